-- Static checks of every PL/pgSQL function install.sql creates, in both
-- modes, with names that need quoting everywhere: no error, no warning of
-- any kind (security included), and the definer functions resolve nothing
-- outside pg_catalog and their own schema.
\set testdb t_plpgsql_check
\ir setup.psql

CREATE EXTENSION plpgsql_check;
CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Firms ""quoted""" ("Firm Id" bigint PRIMARY KEY, "Tech Tags" text[]);
INSERT INTO "Odd Schema"."Firms ""quoted""" SELECT id, technologies FROM companies;

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v 'schema=Odd Schema' -v 'view=Odd "View"' -v 'source_table=Firms "quoted"' -v 'source_column=Tech Tags' -v 'id_column=Firm Id' 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install with names that need quoting succeeds');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v schema=tm 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=1$|exit=3$', 'install into a schema that does not exist fails');
CREATE SCHEMA tm;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v schema=tm -v source_table=companies 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'the source is looked up in the same schema');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install in public succeeds');

SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE l.lanname = 'plpgsql' AND p.pronamespace IN ('"Odd Schema"'::regnamespace, 'public'::regnamespace)
              AND obj_description(p.oid, 'pg_proc') LIKE 'libtechmv schema 4: %'),
          6::bigint, 'three PL/pgSQL functions per install: refresh, search, postings upkeep');

SELECT is_empty($$SELECT p.oid::regprocedure, c.*
                    FROM pg_proc p
                    JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
                   CROSS JOIN LATERAL plpgsql_check_function_tb(p.oid, security_warnings => true,
                                                                extra_warnings => true,
                                                                performance_warnings => true) c
                   WHERE obj_description(p.oid, 'pg_proc') LIKE 'libtechmv schema 4: %'$$,
                'plpgsql_check: no error and no warning (security, extra, performance) in any of our functions');

SELECT is_empty($$SELECT d.*
                    FROM pg_proc p
                    JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
                   CROSS JOIN LATERAL plpgsql_show_dependency_tb(p.oid) d
                   WHERE obj_description(p.oid, 'pg_proc') LIKE 'libtechmv schema 4: %'
                     AND d.schema NOT IN ('pg_catalog', p.pronamespace::regnamespace::text)
                     AND quote_ident(d.schema) <> p.pronamespace::regnamespace::text$$,
                'the definer functions resolve nothing outside pg_catalog and their own schema');
SELECT bag_eq($$SELECT d.type, d.name FROM plpgsql_show_dependency_tb('"Odd Schema"."Odd ""View""_refresh"(boolean, integer)') d
                 WHERE d.schema = 'Odd Schema'$$,
              $$VALUES ('RELATION', 'Odd "View"'), ('RELATION', 'Odd "View"_refresh_log'),
                       ('FUNCTION', 'Odd "View"_grams_sync')$$,
              'and what the refresh function resolves in it is the view, the log and the postings upkeep');
SELECT bag_eq($$SELECT d.type, d.name FROM plpgsql_show_dependency_tb('"Odd Schema"."Odd ""View""_search"(text, integer, integer, text, boolean)') d
                 WHERE d.schema = 'Odd Schema'$$,
              $$VALUES ('RELATION', 'Odd "View"'), ('RELATION', 'Odd "View"_grams'), ('RELATION', 'Odd "View"_gram_n')$$,
              'the search function reads the set and its postings');

-- The quoted install works end to end.
SELECT results_eq($$SELECT status, "concurrently" FROM "Odd Schema"."Odd ""View""_refresh"()$$,
                  $$VALUES ('refreshed', true)$$, 'the quoted install refreshes');
SELECT results_eq($$SELECT value_count FROM "Odd Schema"."Odd ""View""_status"$$,
                  $$SELECT count(DISTINCT t) FROM companies, unnest(technologies) t$$, 'and reports its status');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v 'schema=Odd Schema' -v 'view=Odd "View"' -v 'source_table=Firms "quoted"' -v 'source_column=Tech Tags' -v 'id_column=Firm Id' 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'a second run is a no-op');
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v 'schema=Odd Schema' -v 'view=Odd "View"' 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and rolls back');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = '"Odd Schema"'::regnamespace), 2::bigint,
          'leaving only the source table and its primary key');

-- Live mode: the same checks over a live install's PL/pgSQL functions (the
-- drainer, the rebuild, the source's four triggers, the postings' trigger on
-- the set, search), each trigger function checked against the table its
-- trigger is on, with that trigger's transition tables.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v 'schema=Odd Schema' -v 'view=Odd "View"' -v 'source_table=Firms "quoted"' -v 'source_column=Tech Tags' -v 'id_column=Firm Id' 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'a live install with names that need quoting succeeds');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'the install in public switches to live mode');
CREATE TEMP TABLE live_fns AS
SELECT p.oid, p.proname, p.pronamespace,
       (SELECT t.tgrelid::regclass FROM pg_trigger t WHERE t.tgfoid = p.oid LIMIT 1) AS relid,
       (SELECT t.tgoldtable FROM pg_trigger t WHERE t.tgfoid = p.oid AND t.tgoldtable IS NOT NULL LIMIT 1) AS oldtable,
       (SELECT t.tgnewtable FROM pg_trigger t WHERE t.tgfoid = p.oid AND t.tgnewtable IS NOT NULL LIMIT 1) AS newtable
  FROM pg_proc p
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
 WHERE p.pronamespace IN ('"Odd Schema"'::regnamespace, 'public'::regnamespace)
   AND obj_description(p.oid, 'pg_proc') LIKE 'libtechmv schema 4: %"mode":"live"}';
SELECT bag_eq($$SELECT regexp_replace(proname, '^(Odd "View"|mv_distinct_technologies)_', '') AS fn, count(*)
                  FROM live_fns GROUP BY 1$$,
              $$VALUES ('refresh', 2::bigint), ('rebuild', 2), ('on_insert', 2), ('on_update', 2), ('on_delete', 2),
                       ('on_truncate', 2), ('gram_trg', 2), ('search', 2)$$,
              'eight PL/pgSQL functions per live install, the postings'' trigger and search included');
SELECT is((SELECT count(*) FROM live_fns f JOIN pg_proc p ON p.oid = f.oid
            WHERE p.prorettype = 'trigger'::regtype AND f.relid IS NULL), 0::bigint,
          'every live trigger function is used by a trigger');
SELECT is((SELECT relid FROM live_fns WHERE proname = 'Odd "View"_gram_trg'), '"Odd Schema"."Odd ""View"""'::regclass,
          'the postings'' trigger is on the live set');
SELECT is_empty($$SELECT f.oid::regprocedure, c.*
                    FROM live_fns f
                   CROSS JOIN LATERAL plpgsql_check_function_tb(f.oid, coalesce(f.relid, 0::regclass),
                                                                security_warnings => true,
                                                                extra_warnings => true,
                                                                performance_warnings => true,
                                                                oldtable => f.oldtable, newtable => f.newtable) c$$,
                'plpgsql_check: no error and no warning (security, extra, performance) in any live mode function');
-- plpgsql_show_dependency_tb knows no transition tables: the functions of
-- the triggers that have them are left out.
SELECT is_empty($$SELECT f.oid::regprocedure, d.*
                    FROM live_fns f
                   CROSS JOIN LATERAL plpgsql_show_dependency_tb(f.oid, coalesce(f.relid, 0::regclass)) d
                   WHERE f.oldtable IS NULL AND f.newtable IS NULL
                     AND d.schema NOT IN ('pg_catalog', f.pronamespace::regnamespace::text)
                     AND quote_ident(d.schema) <> f.pronamespace::regnamespace::text$$,
                'the live functions resolve nothing outside pg_catalog and their own schema');
SELECT bag_eq($$SELECT d.type, d.name FROM plpgsql_show_dependency_tb('"Odd Schema"."Odd ""View""_search"(text, integer, integer, text, boolean)') d
                 WHERE d.schema = 'Odd Schema'$$,
              $$VALUES ('RELATION', 'Odd "View"'), ('RELATION', 'Odd "View"_grams'), ('RELATION', 'Odd "View"_gram_n')$$,
              'the live search function reads the set and its postings');
SELECT results_eq($$SELECT status FROM "Odd Schema"."Odd ""View""_refresh"()$$, $$VALUES ('refreshed')$$,
                  'the quoted live install drains');
SELECT is(ARRAY(SELECT * FROM "Odd Schema"."Odd ""View""_search"('a', 3, 0, NULL, false)),
          ARRAY(SELECT DISTINCT t FROM companies, unnest(technologies) t WHERE strpos(lower(t), 'a') > 0 ORDER BY t LIMIT 3),
          'and searches');
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v 'schema=Odd Schema' -v 'view=Odd "View"' 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'the live install rolls back');
SELECT is((SELECT count(*) FROM pg_class WHERE relnamespace = '"Odd Schema"'::regnamespace), 2::bigint,
          'leaving only the source table and its primary key');
SELECT is((SELECT count(*) FROM pg_proc WHERE pronamespace = '"Odd Schema"'::regnamespace), 0::bigint,
          'and no function');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = '"Odd Schema"."Firms ""quoted"""'::regclass), 0::bigint,
          'and no trigger on the source');

SELECT * FROM finish();
