-- The status view: one row, its columns, values against the catalogs and
-- the log, refresh_running from the locks, and reading it never waits for
-- a refresh (it does not lock the view).
\set testdb t_status_view
\ir setup.psql

CREATE ROLE techmv_app_status NOLOGIN;
INSERT INTO companies VALUES (900001, 'Long', ARRAY[repeat('x', 2000), repeat('y', 1500)]);
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v refresh_role=techmv_app_status 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install succeeds');

SELECT is((SELECT array_agg(attname::text || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'mv_distinct_technologies_status'::regclass AND attnum > 0),
          ARRAY['schema_version integer', 'installed boolean', 'populated boolean', 'value_count bigint',
                'long_values bigint', 'last_refresh_at timestamp with time zone',
                'last_refresh_duration_ms double precision', 'last_refresh_age_seconds double precision',
                'last_failure_at timestamp with time zone', 'last_failure_sqlstate text',
                'last_failure_message text', 'failures_since_last_refresh bigint', 'refresh_running boolean',
                'total_bytes bigint', 'mode text', 'pending_changes bigint',
                'oldest_pending_age_seconds double precision', 'needs_rebuild boolean'],
          'status view columns (the same in live mode)');
SELECT results_eq('SELECT mode, pending_changes, oldest_pending_age_seconds, needs_rebuild FROM mv_distinct_technologies_status',
                  $$VALUES ('view', NULL::bigint, NULL::double precision, NULL::boolean)$$,
                  'view mode: no backlog columns');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_status), 1::bigint, 'one row');
SELECT is(status, 'refreshed', 'a refresh') FROM mv_distinct_technologies_refresh();

SELECT results_eq($$SELECT schema_version, installed, populated, value_count, long_values, last_refresh_at,
                           last_refresh_duration_ms, last_failure_at, failures_since_last_refresh, refresh_running,
                           total_bytes
                      FROM mv_distinct_technologies_status$$,
                  $$SELECT 4, true, true,
                           (SELECT count(value) FROM mv_distinct_technologies),
                           (SELECT count(value_md5) FROM mv_distinct_technologies),
                           (SELECT max(started_at) FROM mv_distinct_technologies_refresh_log),
                           (SELECT duration_ms FROM mv_distinct_technologies_refresh_log ORDER BY id DESC LIMIT 1),
                           NULL::timestamptz, 0::bigint, false,
                           pg_total_relation_size('mv_distinct_technologies')$$,
                  'values match the view, the log and the catalogs');
SELECT is(long_values, 2::bigint, 'two long values') FROM mv_distinct_technologies_status;
SELECT ok(last_refresh_age_seconds >= 0, 'the age is not negative') FROM mv_distinct_technologies_status;

-- refresh_running: the function in another session, and a REFRESH run
-- outside it.
SELECT dblink_connect('other', :'connstr');
SELECT dblink_exec('other', 'BEGIN');
SELECT status AS other_status FROM dblink('other', 'SELECT status FROM mv_distinct_technologies_refresh()') AS t(status text)
\gset
SELECT ok(refresh_running, 'running while another session''s refresh is open') FROM mv_distinct_technologies_status;
SELECT dblink_exec('other', 'COMMIT');
SELECT ok(NOT refresh_running, 'not running once it committed') FROM mv_distinct_technologies_status;
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv_distinct_technologies');
SELECT ok(refresh_running, 'running while a REFRESH outside the function is open') FROM mv_distinct_technologies_status;
SELECT dblink_exec('other', 'ROLLBACK');

-- A plain refresh holds AccessExclusiveLock on the view for its whole run:
-- reading the status must not queue behind it.  With a 1ms lock_timeout any
-- lock wait would be an error.
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'REFRESH MATERIALIZED VIEW mv_distinct_technologies');
SET lock_timeout = '1ms';
SELECT lives_ok('SELECT * FROM mv_distinct_technologies_status', 'the status reads during a plain REFRESH');
SELECT results_eq('SELECT refresh_running, total_bytes FROM mv_distinct_technologies_status',
                  $$VALUES (true, NULL::bigint)$$, 'running, and the size is not taken meanwhile');
RESET lock_timeout;
SELECT dblink_exec('other', 'ROLLBACK');

-- The function's own plain refresh (the first population), transaction open.
REFRESH MATERIALIZED VIEW mv_distinct_technologies WITH NO DATA;
SELECT dblink_exec('other', 'BEGIN');
SELECT status AS other_status FROM dblink('other', 'SELECT status FROM mv_distinct_technologies_refresh()') AS t(status text)
\gset
SET lock_timeout = '1ms';
SELECT results_eq('SELECT populated, refresh_running, value_count FROM mv_distinct_technologies_status',
                  $$VALUES (false, true, NULL::bigint)$$, 'the status reads during the function''s plain refresh');
RESET lock_timeout;
SELECT dblink_exec('other', 'COMMIT');
SELECT results_eq('SELECT populated, refresh_running FROM mv_distinct_technologies_status',
                  $$VALUES (true, false)$$, 'and follows once it committed');

-- Reading it takes no lock on the view at all.
BEGIN;
SELECT * FROM mv_distinct_technologies_status \g /dev/null
SELECT is((SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
              AND relation = 'mv_distinct_technologies'::regclass), 0::bigint,
          'a transaction that read the status holds no lock on the view');
COMMIT;

-- The refresh role may read it, and nothing it reads needs more grants.
SET ROLE techmv_app_status;
SELECT lives_ok('SELECT * FROM mv_distinct_technologies_status', 'the refresh role reads the status');
RESET ROLE;

SELECT dblink_disconnect('other');
-- A version 3 status view from before the mode columns gets them from a
-- later run of install.sql, in place (what it was granted is kept).
SELECT obj_description('mv_distinct_technologies_status'::regclass, 'pg_class') AS status_marker
\gset
DROP VIEW mv_distinct_technologies_status;
CREATE VIEW mv_distinct_technologies_status AS SELECT 3 AS schema_version, true AS installed;
GRANT SELECT ON mv_distinct_technologies_status TO techmv_app_status;
COMMENT ON VIEW mv_distinct_technologies_status IS :'status_marker';
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'install over an older status view succeeds');
SELECT results_eq('SELECT schema_version, mode, pending_changes FROM mv_distinct_technologies_status',
                  $$VALUES (4, 'view'::text, NULL::bigint)$$, 'the status view has the mode columns');
SELECT ok(has_table_privilege('techmv_app_status', 'mv_distinct_technologies_status', 'SELECT'), 'and its grant');

SELECT * FROM finish();
