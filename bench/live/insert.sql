\set id random(1, :companies)
INSERT INTO companies (id, name, technologies)
SELECT nextval('bench_ids'), name, technologies FROM companies WHERE id = :id;
