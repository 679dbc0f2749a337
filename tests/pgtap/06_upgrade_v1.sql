-- An install of schema version 1 (view of value only) upgraded in place by
-- install.sql: history, grants and data kept, the result a version 4
-- install, a second run a no-op.
\set testdb t_upgrade_v1
\ir setup.psql

CREATE ROLE techmv_app_v1 NOLOGIN;
CREATE ROLE techmv_reader_v1 NOLOGIN;
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v1/install.sql" -v refresh_role=techmv_app_v1 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 1 installs');
SELECT is(obj_description('mv_distinct_technologies'::regclass, 'pg_class'),
          'libtechmv: distinct elements of public.companies.technologies (company id column: id)',
          'it is version 1: the old comment');
GRANT SELECT ON mv_distinct_technologies TO techmv_reader_v1;
SELECT is(count(*), 2::bigint, 'two refreshes of version 1')
  FROM (SELECT * FROM mv_distinct_technologies_refresh() UNION ALL SELECT * FROM mv_distinct_technologies_refresh()) r
 WHERE r.status = 'refreshed';
CREATE TABLE old_log AS SELECT * FROM mv_distinct_technologies_refresh_log;
INSERT INTO companies VALUES (900001, 'New', ARRAY['Upgrade-Tech']);

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install.sql upgrades version 1');
SELECT matches(:'out'::text, 'upgraded "public"."mv_distinct_technologies" from schema version 1 to 4', 'and says so');
\ir contract.psql

SELECT bag_eq($$SELECT id, started_at, duration_ms, row_count, "concurrently", refreshed_by, status, sqlstate, message, long_values
                 FROM mv_distinct_technologies_refresh_log WHERE id <= (SELECT max(id) FROM old_log)$$,
              $$SELECT id, started_at, duration_ms, row_count, "concurrently", refreshed_by, 'refreshed' AS s, NULL AS q, NULL AS m, NULL::bigint AS l
                 FROM old_log$$,
              'the history is kept, old rows with status refreshed');
SELECT results_eq($$SELECT status, "concurrently", row_count, long_values FROM mv_distinct_technologies_refresh_log
                     WHERE id > (SELECT max(id) FROM old_log)$$,
                  $$SELECT 'refreshed', false, count(DISTINCT t), 0::bigint FROM companies, unnest(technologies) t$$,
                  'the upgrade logs its build of the new view');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies',
              $$SELECT DISTINCT t, lower(t), NULL::text FROM companies, unnest(technologies) t$$,
              'the new view holds the source''s values, the latest included');
SELECT ok(has_function_privilege('techmv_app_v1', 'mv_distinct_technologies_refresh(boolean, integer)', 'EXECUTE')
          AND has_table_privilege('techmv_app_v1', 'mv_distinct_technologies', 'SELECT')
          AND has_table_privilege('techmv_app_v1', 'mv_distinct_technologies_refresh_log', 'SELECT'),
          'the refresh role keeps what version 1 granted it');
SELECT ok(has_table_privilege('techmv_reader_v1', 'mv_distinct_technologies', 'SELECT'),
          'a grant of the user''s on the old view is carried over');
SELECT results_eq('SELECT status, "concurrently" FROM mv_distinct_technologies_refresh()',
                  $$VALUES ('refreshed', true)$$, 'the new function refreshes concurrently');
SELECT is(schema_version, 4, 'the status view says version 4') FROM mv_distinct_technologies_status;

SELECT count(*) AS logged FROM mv_distinct_technologies_refresh_log
\gset
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'a further run succeeds silently');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :logged::bigint, 'and does nothing');

SELECT * FROM finish();
