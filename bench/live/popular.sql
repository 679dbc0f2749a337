\set id random(1, :companies)
UPDATE companies
   SET technologies = CASE WHEN technologies @> '{PostgreSQL}' THEN array_remove(technologies, 'PostgreSQL')
                           ELSE technologies || 'PostgreSQL'::text END
 WHERE id = :id;
