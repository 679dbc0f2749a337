-- wait => false never waits: whatever another session holds in the way,
-- the answer is 'busy' (not logged), and the caller's lock_timeout is kept.
\set testdb t_nowait
\ir setup.psql

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install succeeds');

SELECT dblink_connect('other', :'connstr');
-- Should the function wait after all, it would wait for a session this
-- script controls, forever; this turns that into a failure (the call would
-- return 'failed', 57014).
SET statement_timeout = '5min';
SET lock_timeout = '3s';
SELECT count(*) AS logged FROM mv_distinct_technologies_refresh_log
\gset

-- 1. A REFRESH ... CONCURRENTLY run outside the function, transaction open.
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'REFRESH MATERIALIZED VIEW CONCURRENTLY mv_distinct_technologies');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh(false)), 'busy',
          'busy while another session''s REFRESH CONCURRENTLY is open');
SELECT is(current_setting('lock_timeout'), '3s', 'the caller''s lock_timeout is kept');
SELECT dblink_exec('other', 'ROLLBACK');

-- 2. An index build on the view (ShareLock), transaction open: only the
-- lock queue can tell, the function's own checks do not look for it.  The
-- caller waits forever for locks from here to 4., so that only the
-- function's own bound on lock waits can answer 'busy'.
SET lock_timeout = 0;
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'CREATE INDEX techmv_test_idx ON mv_distinct_technologies (value_lower)');
SELECT ok(EXISTS (SELECT 1 FROM pg_locks WHERE relation = 'mv_distinct_technologies'::regclass
                     AND mode = 'ShareLock' AND granted AND pid <> pg_backend_pid()),
          'the other session holds ShareLock on the view');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh(false)), 'busy',
          'busy while another session builds an index on the view');
SELECT is(current_setting('lock_timeout'), '0', 'the caller''s lock_timeout is kept');
SELECT dblink_exec('other', 'ROLLBACK');

-- 3. The function itself, running in another session.
SELECT dblink_exec('other', 'BEGIN');
SELECT status AS other_status FROM dblink('other', 'SELECT status FROM mv_distinct_technologies_refresh()') AS t(status text)
\gset
SELECT is(:'other_status'::text, 'refreshed', 'the other session''s refresh ran and its transaction is open');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh(false)), 'busy',
          'busy while the function runs in another session');
SELECT dblink_exec('other', 'COMMIT');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :logged::bigint + 1,
          'only the other session''s refresh was logged');

-- 4. Locks elsewhere in the refresh's path: the source table, the log.
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'LOCK TABLE companies IN ACCESS EXCLUSIVE MODE');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh(false)), 'busy',
          'busy while another session locks the source table');
SELECT dblink_exec('other', 'ROLLBACK');
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', 'LOCK TABLE mv_distinct_technologies_refresh_log IN SHARE MODE');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh(false)), 'busy',
          'busy while another session blocks writing the log');
SELECT dblink_exec('other', 'ROLLBACK');

SET lock_timeout = '3s';
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :logged::bigint + 1,
          'busy answers are not logged');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'),
          'no advisory lock is left behind');

-- Nothing in the way: wait => false refreshes.
SELECT results_eq('SELECT status, "concurrently" FROM mv_distinct_technologies_refresh(false)',
                  $$VALUES ('refreshed', true)$$, 'with nothing in the way, nowait refreshes');
SELECT is(current_setting('lock_timeout'), '3s', 'the caller''s lock_timeout is kept');

SELECT dblink_disconnect('other');
SELECT * FROM finish();
