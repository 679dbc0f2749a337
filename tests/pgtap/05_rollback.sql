-- rollback.sql drops what install.sql made (versions 1 to 4) and
-- nothing else; where a derived name is taken by something not ours, it
-- refuses and drops nothing.
\set testdb t_rollback
\ir setup.psql

-- The user's own objects, which must survive every rollback untouched.
CREATE TABLE my_stuff (id int PRIMARY KEY, note text);
INSERT INTO my_stuff VALUES (1, 'keep me');
CREATE VIEW my_view AS SELECT id FROM companies;
CREATE FUNCTION my_func() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE INDEX my_companies_name ON companies (name);
COMMENT ON TABLE companies IS 'the source';
CREATE ROLE techmv_reader_rollback NOLOGIN;
-- install.sql would create it; it is not what the rollback is about.
CREATE EXTENSION pg_trgm;

CREATE VIEW users_objects AS
SELECT c.oid, c.relname::text AS name, c.xmin::text AS x, obj_description(c.oid, 'pg_class') AS cmt
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname NOT LIKE 'mv\_%'
   AND c.relname <> 'users_objects' AND c.relname NOT LIKE '%\_before'
UNION ALL
SELECT p.oid, p.proname::text, p.xmin::text, obj_description(p.oid, 'pg_proc')
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND p.proname NOT LIKE 'mv\_%';
CREATE TABLE users_before AS SELECT * FROM users_objects;
CREATE TABLE companies_before AS SELECT * FROM companies;

-- Version 4.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v refresh_role=techmv_reader_rollback 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install succeeds');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a refresh adds history');

-- A user's object built on the view stops the rollback; nothing is dropped.
CREATE VIEW my_dependent AS SELECT value FROM mv_distinct_technologies;
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'rollback fails while a user view depends on ours');
SELECT has_materialized_view('mv_distinct_technologies', 'the view is still there');
SELECT has_view('mv_distinct_technologies_status', 'the status view is still there');
SELECT has_function('mv_distinct_technologies_refresh', ARRAY['boolean', 'integer'], 'the function is still there');
DROP VIEW my_dependent;

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rollback succeeds');
SELECT matches(:'out'::text, 'libtechmv: dropped from schema "public": '
               'function mv_distinct_technologies_grams_apply\(text\[\], text\[\], text\[\], text\[\]\), '
               'function mv_distinct_technologies_grams_sync\(\), '
               'function mv_distinct_technologies_refresh\(boolean, integer\), '
               'function mv_distinct_technologies_search\(text, integer, integer, text, boolean\), '
               'materialized view mv_distinct_technologies, table mv_distinct_technologies_gram_n, '
               'table mv_distinct_technologies_grams, table mv_distinct_technologies_gvals, '
               'table mv_distinct_technologies_refresh_log, view mv_distinct_technologies_status',
               'and says what it dropped');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE 'mv\_distinct\_technologies%'), 0::bigint,
          'no relation of ours is left (view, indexes, log, its sequence, status view)');
SELECT is((SELECT count(*) FROM pg_proc WHERE proname LIKE 'mv\_distinct\_technologies%'), 0::bigint,
          'no function of ours is left');
SELECT is((SELECT count(*) FROM pg_description WHERE description LIKE 'libtechmv%'), 0::bigint,
          'no object with our marker is left');
SELECT bag_eq('SELECT * FROM users_objects', 'SELECT * FROM users_before', 'the user''s objects are untouched');
SELECT bag_eq('SELECT * FROM companies', 'SELECT * FROM companies_before', 'the source rows are untouched');
SELECT has_extension('pg_trgm', 'pg_trgm stays');

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'nothing of "public"."mv_distinct_technologies" to roll back\s+exit=0$',
               'a second rollback succeeds and says there was nothing');

-- The refusal: no view "orders", but a user's table and function with the
-- derived names.
CREATE TABLE orders_refresh_log (id int, started_at timestamptz);
CREATE FUNCTION orders_refresh(boolean, integer) RETURNS int LANGUAGE sql AS 'SELECT 42';
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v view=orders 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'rollback -v view=orders fails');
SELECT matches(:'out'::text, 'nothing rolled back: table orders_refresh_log, function orders_refresh\(boolean, integer\) in schema public not created by install.sql',
               'and names what is not ours');
SELECT has_table('orders_refresh_log', 'the user''s table is kept');
SELECT has_function('orders_refresh', ARRAY['boolean', 'integer'], 'the user''s function is kept');

-- Versions 1 and 2, installed by their own scripts, rolled back by this one.
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v1/install.sql" -v view=old_one 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 1 installs');
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v view=old_one 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 1 rolls back');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE 'old\_one%'), 0::bigint, 'no relation of version 1 is left');
SELECT hasnt_function('old_one_refresh', 'no function of version 1 is left');

\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v2/install.sql" -v view=old_two 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 2 installs');
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v view=old_two 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 2 rolls back');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE 'old\_two%'), 0::bigint, 'no relation of version 2 is left');
SELECT hasnt_function('old_two_refresh', 'no function of version 2 is left');

-- An uncommented log of version 2 that is not of the exact shape version 2
-- made is not taken for ours, even next to a view of ours.
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v2/install.sql" -v view=old_three 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 2 installs again');
ALTER TABLE old_three_refresh_log ADD COLUMN my_note text;
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v view=old_three 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'rollback refuses a version 2 log of another shape');
SELECT has_materialized_view('old_three', 'and drops nothing: the view stays');
SELECT has_table('old_three_refresh_log', 'the log stays');
SELECT has_function('old_three_refresh', ARRAY['boolean', 'integer'], 'the function stays');

-- A same-named materialized view that is not ours.
CREATE MATERIALIZED VIEW not_ours AS SELECT 1 AS value;
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v view=not_ours 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'rollback refuses a materialized view without our marker');
SELECT has_materialized_view('not_ours', 'and keeps it');

SELECT * FROM finish();
