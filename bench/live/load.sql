BEGIN;
INSERT INTO companies (id, name, technologies)
SELECT id + 100000000, name, technologies FROM companies WHERE id <= :companies;
ROLLBACK;
