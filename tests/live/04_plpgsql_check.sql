-- Static checks of every PL/pgSQL function live.sql creates: no error or
-- warning from plpgsql_check, and (SECURITY DEFINER functions must not
-- resolve anything a caller controls) every relation and function they use
-- lives in pg_catalog or in the install's schema.
\set testdb t_plpgsql_check
\ir setup.psql

SELECT matches(:'out'::text, 'exit=0$', 'live.sql installs');
CREATE EXTENSION plpgsql_check;

CREATE TEMP TABLE fns AS
SELECT p.oid, p.proname, p.prorettype = 'trigger'::regtype AS is_trigger
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'mv_distinct_technologies%'
   AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql');
SELECT is((SELECT count(*) FROM fns), 6::bigint, 'six PL/pgSQL functions');

SELECT is(array_agg(DISTINCT f.proname || ' line ' || c.lineno || ': ' || c.message || coalesce(' ' || c.detail, '')), NULL,
          'plpgsql_check finds nothing')
  FROM fns f
 CROSS JOIN LATERAL plpgsql_check_function_tb(f.oid, CASE WHEN f.is_trigger THEN 'companies'::regclass ELSE 0 END,
                                              extra_warnings => false, performance_warnings => false,
                                              oldtable => CASE WHEN f.proname LIKE '%\_on\_delete' THEN 'old_rows' END,
                                              newtable => CASE WHEN f.proname LIKE '%\_on\_insert' THEN 'new_rows' END) c
 WHERE c.level IN ('error', 'warning');

SELECT is(array_agg(DISTINCT f.proname || ' uses ' || d.schema || '.' || d.name), NULL,
          'every dependency is in pg_catalog or public')
  FROM fns f
 CROSS JOIN LATERAL plpgsql_show_dependency_tb(f.oid, CASE WHEN f.is_trigger THEN 'companies'::regclass ELSE 0 END) d
 WHERE d.schema NOT IN ('pg_catalog', 'public')
   -- plpgsql_show_dependency_tb knows no transition tables; those two
   -- functions are one INSERT into the pending table each.
   AND f.proname NOT LIKE '%\_on\_insert' AND f.proname NOT LIKE '%\_on\_delete';

SELECT * FROM finish();
