-- A live install's refresh log stays bounded however often the drainer
-- runs: the last 1,000 drains, the last successful one and every rebuild;
-- what status reads from it stays right.
\set testdb t_live_log
\ir setup.psql

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'a live install');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE NOT "concurrently"), 1::bigint,
          'its population is logged as a rebuild');

-- 1,200 drains, some with work to do.
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        IF i % 100 = 0 THEN
            UPDATE companies SET technologies = technologies || ('log-' || i) WHERE id = 1;
        END IF;
        PERFORM * FROM mv_distinct_technologies_refresh();
    END LOOP;
END $$;
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE "concurrently"), 1000::bigint,
          'the log keeps the last 1,000 drains');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE NOT "concurrently"), 1::bigint,
          'and the rebuild');
SELECT ok((SELECT min(started_at) FROM mv_distinct_technologies_refresh_log WHERE "concurrently")
          > (SELECT started_at FROM mv_distinct_technologies_refresh_log WHERE NOT "concurrently"),
          'the oldest drains went');

-- Drains that fail (a lock on the pending deltas held elsewhere) do not
-- push the last success out.
SELECT id AS last_ok FROM mv_distinct_technologies_refresh_log WHERE status = 'refreshed' ORDER BY started_at DESC LIMIT 1
\gset
SELECT dblink_connect('locker', :'connstr');
SELECT dblink_exec('locker', 'BEGIN');
SELECT dblink_exec('locker', 'LOCK TABLE mv_distinct_technologies_pending IN ACCESS EXCLUSIVE MODE');
DO $$
BEGIN
    FOR i IN 1..1005 LOOP
        PERFORM * FROM mv_distinct_technologies_refresh(true, 1);
    END LOOP;
END $$;
SELECT dblink_exec('locker', 'ROLLBACK');
SELECT dblink_disconnect('locker');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE status = 'timeout'), 1000::bigint,
          'the last 1,000 failed drains are kept');
SELECT ok(EXISTS (SELECT 1 FROM mv_distinct_technologies_refresh_log WHERE id = :last_ok),
          'and so is the last successful one, older than all of them');
SELECT results_eq($$SELECT last_refresh_at, failures_since_last_refresh FROM mv_distinct_technologies_status$$,
                  $$SELECT started_at, 1000::bigint FROM mv_distinct_technologies_refresh_log WHERE id = $$ || :last_ok,
                  'status reads the last success and the failures since');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a drain succeeds again');
SELECT is((SELECT failures_since_last_refresh FROM mv_distinct_technologies_status), 0::bigint,
          'and status says so');
SELECT * FROM finish();
