-- populate=off on a fresh install: the view is left unpopulated and
-- unlogged; the first refresh through the function is a plain one.
\set testdb t_populate_off
\ir setup.psql

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v populate=off 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'install with populate=off succeeds silently');
SELECT ok(NOT relispopulated, 'the view is unpopulated') FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass;
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), 0::bigint, 'nothing is logged');
SELECT throws_ok('SELECT count(*) FROM mv_distinct_technologies', '55000', NULL, 'reading the view fails as unpopulated');
SELECT results_eq($$SELECT installed, populated, value_count, long_values, last_refresh_at, total_bytes,
                           failures_since_last_refresh
                      FROM mv_distinct_technologies_status$$,
                  $$VALUES (true, false, NULL::bigint, NULL::bigint, NULL::timestamptz, NULL::bigint, 0::bigint)$$,
                  'the status view says installed, not populated, no values, no size');

SELECT results_eq('SELECT status, "concurrently", row_count FROM mv_distinct_technologies_refresh()',
                  $$SELECT 'refreshed', false, count(DISTINCT t) FROM companies, unnest(technologies) t$$,
                  'the first refresh is plain and counts the values');
SELECT ok(relispopulated, 'the view is populated') FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass;
SELECT results_eq('SELECT populated, value_count FROM mv_distinct_technologies_status',
                  $$SELECT true, count(DISTINCT t) FROM companies, unnest(technologies) t$$,
                  'the status view follows');
SELECT results_eq('SELECT status, "concurrently" FROM mv_distinct_technologies_refresh()',
                  $$VALUES ('refreshed', true)$$, 'the next refresh is concurrent');

SELECT * FROM finish();
