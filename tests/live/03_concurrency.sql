-- Drains and rebuilds next to other sessions: a drain consumes exactly the
-- deltas its snapshot sees, never waits on writers and never blocks
-- readers; wait => false never waits; failures are logged and returned.
\set testdb t_concurrency
\ir setup.psql

CREATE FUNCTION pg_temp.drain() RETURNS text LANGUAGE sql AS
$$SELECT status || ' ' || "concurrently" FROM mv_distinct_technologies_refresh()$$;

SELECT matches(:'out'::text, 'exit=0$', 'live.sql installs');
SELECT dblink_connect('w', :'connstr');
SELECT dblink_connect('d', :'connstr');

-- A writer's uncommitted change is neither applied nor lost.
SELECT dblink_exec('w', 'BEGIN');
SELECT dblink_exec('w', $$INSERT INTO companies VALUES (9001, 'w', ARRAY['T-in-flight', 'PostgreSQL'])$$);
SELECT dblink_exec('w', $$UPDATE companies SET technologies = array_remove(technologies, 'Python') WHERE id <= 50$$);
SET lock_timeout = '2s';
SELECT is(pg_temp.drain(), 'refreshed true', 'a drain next to an open writer does not wait for it');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'and matches the committed source');
SELECT dblink_exec('w', 'COMMIT');
SELECT isnt((SELECT count(*) FROM mv_distinct_technologies_pending), 0::bigint, 'the committed deltas are still pending');
SELECT is(pg_temp.drain(), 'refreshed true', 'the next drain');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'applies them');

-- A rebuild next to an open writer: the writer's change is not in the
-- rebuild's snapshot, and its deltas stay pending for the next drain.
SELECT dblink_exec('w', 'BEGIN');
SELECT dblink_exec('w', $$INSERT INTO companies VALUES (9002, 'w', ARRAY['T-during-rebuild'])$$);
SELECT dblink_exec('w', $$DELETE FROM companies WHERE id BETWEEN 51 AND 80$$);
SELECT results_eq($$SELECT status, "concurrently" FROM mv_distinct_technologies_rebuild()$$,
                  $$VALUES ('refreshed', false)$$, 'a rebuild does not wait for an open writer either');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'the rebuild matches the committed source');
SELECT dblink_exec('w', 'COMMIT');
SELECT is(pg_temp.drain(), 'refreshed true', 'the next drain');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'applies what committed during the rebuild');

-- A drain in progress (its transaction still open) blocks no reader and no
-- writer; a second drain with wait => false answers busy at once.
SELECT dblink_exec('w', $$UPDATE companies SET technologies = technologies || 'T-held'::text WHERE id = 100$$);
SELECT dblink_exec('d', 'BEGIN');
SELECT is((SELECT s FROM dblink('d', 'SELECT status FROM mv_distinct_technologies_refresh()') AS t(s text)),
          'refreshed', 'another session drains and keeps its transaction open');
SET lock_timeout = '100ms';
SELECT is((SELECT count(*) > 0 FROM mv_distinct_technologies WHERE value IS NOT NULL), true,
          'readers read the set meanwhile');
SELECT lives_ok($$INSERT INTO companies VALUES (9003, 'x', ARRAY['T-held', 'Go'])$$, 'writers insert meanwhile');
SELECT lives_ok($$UPDATE companies SET technologies = technologies || 'T-held'::text WHERE id = 101$$, 'and update');
SELECT lives_ok($$DELETE FROM companies WHERE id = 102$$, 'and delete');
SELECT is((SELECT pending_changes > 0 FROM mv_distinct_technologies_live_status), true, 'the status view answers meanwhile');
RESET lock_timeout;
SELECT results_eq($$SELECT status, "concurrently", started_at, row_count FROM mv_distinct_technologies_refresh(false)$$,
                  $$VALUES ('busy', NULL::boolean, NULL::timestamptz, NULL::bigint)$$, 'wait => false: busy');
SELECT ok(clock_timestamp() - statement_timestamp() < interval '1s', 'at once');
SELECT results_eq($$SELECT status, sqlstate, row_count FROM mv_distinct_technologies_refresh(true, 50)$$,
                  $$VALUES ('timeout', '55P03', NULL::bigint)$$, 'a bounded wait that expires: timeout');
SELECT results_eq($$SELECT status FROM mv_distinct_technologies_rebuild(false)$$,
                  $$VALUES ('busy')$$, 'a rebuild takes the same lock');
SELECT dblink_exec('d', 'COMMIT');
SELECT results_eq($$SELECT * FROM dblink('d', $q$SELECT status, sqlstate FROM mv_distinct_technologies_refresh_log
                                                  ORDER BY id DESC LIMIT 1$q$) AS t(s text, c text)$$,
                  $$VALUES ('timeout', '55P03')$$, 'the timeout is logged and committed; busy is not logged');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact');

-- wait => false does not wait for a lock on the set either.
SELECT dblink_exec('d', 'BEGIN');
SELECT dblink_exec('d', 'LOCK TABLE mv_distinct_technologies IN EXCLUSIVE MODE');
INSERT INTO companies VALUES (9004, 'x', ARRAY['T-locked']);
SELECT results_eq($$SELECT status FROM mv_distinct_technologies_refresh(false)$$, $$VALUES ('busy')$$,
                  'wait => false: busy behind a table lock');
SELECT ok(clock_timestamp() - statement_timestamp() < interval '1s', 'at once');
-- statement_timeout cancels the wait: logged as failed.
SET statement_timeout = '200ms';
SELECT results_eq($$SELECT status, sqlstate FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('failed', '57014')$$, 'a drain cancelled by statement_timeout returns failed');
RESET statement_timeout;
SET lock_timeout = '7s';
SELECT results_eq($$SELECT status, sqlstate FROM mv_distinct_technologies_refresh(true, 100)$$,
                  $$VALUES ('timeout', '55P03')$$, 'lock_timeout_ms bounds the wait for the set''s lock too');
SELECT is(current_setting('lock_timeout'), '7s', 'the caller''s lock_timeout is back');
RESET lock_timeout;
SELECT dblink_exec('d', 'ROLLBACK');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_pending WHERE 'T-locked' = ANY (plus)), 1::bigint,
          'failed drains consumed nothing');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact');

-- An error inside the drain is rolled back, logged with its SQLSTATE and
-- message, and returned.
ALTER TABLE mv_distinct_technologies ADD CONSTRAINT small CHECK (n < 1000);
INSERT INTO companies SELECT 10000 + i, 'many', ARRAY['T-many'] FROM generate_series(1, 1000) i;
SELECT results_eq($$SELECT status, "concurrently", row_count, sqlstate, long_values
                      FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('failed', true, NULL::bigint, '23514', NULL::bigint)$$,
                  'a failing drain returns failed with its SQLSTATE');
SELECT results_eq($$SELECT * FROM dblink('d', $q$SELECT status, sqlstate, message FROM mv_distinct_technologies_refresh_log
                                                  ORDER BY id DESC LIMIT 1$q$) AS t(s text, c text, m text)$$,
                  $$VALUES ('failed', '23514', 'new row for relation "mv_distinct_technologies" violates check constraint "small"')$$,
                  'and is logged and committed');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_pending WHERE 'T-many' = ANY (plus)), 1000::bigint,
          'the deltas stay pending');
ALTER TABLE mv_distinct_technologies DROP CONSTRAINT small;
SELECT is(pg_temp.drain(), 'refreshed true', 'repaired, the drain succeeds');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact');

-- A delta that cannot belong to a correct history marks the set for a
-- rebuild instead of being trusted.
INSERT INTO mv_distinct_technologies_pending (minus, times) VALUES ('{T-never-there}', 1), ('{PostgreSQL}', 100000);
SELECT is(pg_temp.drain(), 'refreshed true', 'an impossible delta is consumed');
SELECT is((SELECT needs_rebuild FROM mv_distinct_technologies_live_status), true, 'and marks the set');
SELECT is(pg_temp.drain(), 'refreshed false', 'the next drain rebuilds');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'and repairs');

-- TRUNCATE while a drain holds the state row: neither deadlocks, and the
-- mark survives the drain.
SELECT dblink_exec('d', 'BEGIN');
SELECT dblink_exec('w', $$INSERT INTO companies VALUES (9005, 'x', ARRAY['T-before-truncate'])$$);
SELECT is((SELECT s FROM dblink('d', 'SELECT status FROM mv_distinct_technologies_refresh()') AS t(s text)),
          'refreshed', 'a drain holds the state row');
SELECT dblink_send_query('w', 'TRUNCATE companies');
SELECT dblink_exec('d', 'COMMIT');
SELECT is((SELECT r FROM dblink_get_result('w') AS t(r text)), 'TRUNCATE TABLE', 'TRUNCATE goes through after it');
SELECT is((SELECT needs_rebuild FROM mv_distinct_technologies_live_status), true, 'and marks the set');
SELECT is(pg_temp.drain(), 'refreshed false', 'rebuilt');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact (empty)');

-- Privileges: a writer needs none on the pending table; only granted roles drain.
CREATE ROLE writer LOGIN;
GRANT SELECT, INSERT, UPDATE, DELETE ON companies TO writer;
SET ROLE writer;
SELECT lives_ok($$INSERT INTO companies VALUES (9100, 'w', ARRAY['T-by-writer'])$$, 'an unprivileged writer writes');
SELECT lives_ok($$UPDATE companies SET technologies = technologies || 'T-x'::text WHERE id = 9100$$, 'and updates');
SELECT throws_ok($$INSERT INTO mv_distinct_technologies_pending (plus) VALUES ('{forged}')$$, '42501', NULL,
                 'but cannot forge deltas');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_refresh()$$, '42501', NULL, 'nor drain');
RESET ROLE;
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact');

SELECT dblink_disconnect('w');
SELECT dblink_disconnect('d');
SELECT * FROM finish();
