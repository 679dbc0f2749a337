-- Every refresh attempt that fails is logged and returned, not raised:
-- an error of the refresh query, a statement_timeout (query_canceled), and
-- a lock_timeout while waiting.  The log row commits with the call.
\set testdb t_failures
\ir setup.psql

-- A source that fails on demand: a view over companies that divides by zero
-- while boom has a row.
CREATE TABLE boom (armed boolean);
CREATE VIEW src AS
SELECT c.id, c.technologies FROM companies c
 WHERE 1 / (SELECT CASE WHEN EXISTS (SELECT 1 FROM boom) THEN 0 ELSE 1 END) = 1;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v source_table=src 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install over the source view succeeds');

SELECT dblink_connect('other', :'connstr');
CREATE TEMP TABLE content AS SELECT * FROM mv_distinct_technologies;

-- An error of the refresh itself.
INSERT INTO boom VALUES (true);
INSERT INTO companies VALUES (900001, 'New', ARRAY['Never-Seen']);
SET lock_timeout = '7s';
SELECT results_eq($$SELECT status, "concurrently", row_count, sqlstate, message, long_values
                      FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('failed', true, NULL::bigint, '22012', 'division by zero', NULL::bigint)$$,
                  'a failing refresh returns status failed with its SQLSTATE and message');
SELECT is(current_setting('lock_timeout'), '7s', 'the caller''s lock_timeout is back');
SELECT ok(started_at IS NOT NULL AND duration_ms >= 0, 'started_at and duration_ms are given')
  FROM mv_distinct_technologies_refresh();
SELECT bag_eq('SELECT * FROM mv_distinct_technologies', 'SELECT * FROM content',
              'the failed refresh changed nothing in the view');
SELECT results_eq($$SELECT * FROM dblink('other', $q$SELECT status, sqlstate, message, row_count IS NULL, "concurrently"
                                          FROM mv_distinct_technologies_refresh_log ORDER BY id DESC LIMIT 1$q$)
                      AS t(status text, sqlstate text, message text, no_rows boolean, conc boolean)$$,
                  $$VALUES ('failed', '22012', 'division by zero', true, true)$$,
                  'the failure row is committed: another session sees it');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE status = 'failed'), 2::bigint,
          'each failed attempt is one log row');
SELECT results_eq($$SELECT last_failure_sqlstate, last_failure_message, failures_since_last_refresh
                      FROM mv_distinct_technologies_status$$,
                  $$VALUES ('22012', 'division by zero', 2::bigint)$$, 'the status view shows the failures');
SELECT is((SELECT last_failure_at FROM mv_distinct_technologies_status),
          (SELECT max(started_at) FROM mv_distinct_technologies_refresh_log WHERE status <> 'refreshed'),
          'last_failure_at is the latest failed attempt');

-- The refresh of an unpopulated view (plain) fails the same way.
REFRESH MATERIALIZED VIEW mv_distinct_technologies WITH NO DATA;
SELECT results_eq($$SELECT status, "concurrently", sqlstate FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('failed', false, '22012')$$, 'a failing plain refresh returns failed');
SELECT ok(NOT relispopulated, 'and leaves the view unpopulated') FROM pg_class
 WHERE oid = 'mv_distinct_technologies'::regclass;
-- Without wait nothing waits, not even the failure's log entry: with the log
-- locked by another session the outcome is still returned, unlogged.
SELECT count(*) AS logged FROM mv_distinct_technologies_refresh_log
\gset
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'LOCK TABLE mv_distinct_technologies_refresh_log IN SHARE MODE');
SELECT results_eq($$SELECT status, sqlstate FROM mv_distinct_technologies_refresh(false)$$,
                  $$VALUES ('failed', '22012')$$, 'without wait, a failure is returned though the log is locked');
SELECT dblink_exec('other', 'ROLLBACK');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :logged::bigint, 'and it could not be logged');
SELECT is(current_setting('lock_timeout'), '7s', 'the caller''s lock_timeout is back');
DELETE FROM boom;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'repaired, the source refreshes again');

-- statement_timeout ending a refresh that waits on the source: query_canceled
-- is not caught by WHEN OTHERS, but must be logged too.
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'LOCK TABLE companies IN ACCESS EXCLUSIVE MODE');
SET statement_timeout = '200ms';
SELECT results_eq($$SELECT status, sqlstate FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('failed', '57014')$$, 'a refresh cancelled by statement_timeout returns failed');
RESET statement_timeout;
SELECT dblink_exec('other', 'ROLLBACK');
SELECT results_eq($$SELECT * FROM dblink('other', $q$SELECT status, sqlstate, message FROM mv_distinct_technologies_refresh_log
                                                       ORDER BY id DESC LIMIT 1$q$) AS t(status text, sqlstate text, message text)$$,
                  $$VALUES ('failed', '57014', 'canceling statement due to statement timeout')$$,
                  'the cancelled refresh is logged and committed');

-- lock_timeout expiring while another session's refresh holds the lock.
SELECT dblink_exec('other', 'BEGIN');
SELECT status AS other_status FROM dblink('other', 'SELECT status FROM mv_distinct_technologies_refresh()') AS t(status text)
\gset
SELECT is(:'other_status'::text, 'refreshed', 'another session refreshes and keeps its transaction open');
SELECT results_eq($$SELECT status, sqlstate, row_count FROM mv_distinct_technologies_refresh(true, 50)$$,
                  $$VALUES ('timeout', '55P03', NULL::bigint)$$, 'a bounded wait that expires returns timeout');
SELECT is(current_setting('lock_timeout'), '7s', 'the caller''s lock_timeout is back after a timeout');
SET statement_timeout = '200ms';
SELECT results_eq($$SELECT status, sqlstate FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('failed', '57014')$$, 'statement_timeout while queued behind another refresh: failed');
RESET statement_timeout;
SELECT dblink_exec('other', 'COMMIT');
SELECT results_eq($$SELECT * FROM dblink('other', $q$SELECT status, sqlstate FROM mv_distinct_technologies_refresh_log
                                                       ORDER BY id DESC LIMIT 2$q$) AS t(status text, sqlstate text)$$,
                  $$VALUES ('failed', '57014'), ('timeout', '55P03')$$, 'the timeout and the cancel are logged and committed');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE status = 'failed' AND sqlstate = '57014'),
          2::bigint, 'both cancelled attempts are logged');
SELECT is(failures_since_last_refresh, 2::bigint, 'failures since the other session''s refresh: the timeout and the cancel')
  FROM mv_distinct_technologies_status;

SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a refresh succeeds again');
SELECT results_eq('SELECT failures_since_last_refresh, last_failure_sqlstate FROM mv_distinct_technologies_status',
                  $$VALUES (0::bigint, '57014')$$, 'which resets the count; the last failure stays visible');
SELECT ok(EXISTS (SELECT 1 FROM mv_distinct_technologies WHERE value = 'Never-Seen'), 'and the view is current');

-- Invalid arguments are the caller's error, not a refresh attempt.
SELECT throws_ok('SELECT * FROM mv_distinct_technologies_refresh(NULL)', '22023', NULL, 'wait => NULL raises');
SELECT throws_ok('SELECT * FROM mv_distinct_technologies_refresh(true, -1)', '22023', NULL, 'a negative timeout raises');

SELECT dblink_disconnect('other');
SELECT * FROM finish();
