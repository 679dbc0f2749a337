-- schedule_pg_cron.sql on a real pg_cron (preloaded by the harness, in the
-- one database it serves): the job, its command refreshing the view (run
-- here directly, not waited for), rescheduling, and rollback removing it.
\set testdb techmv_cron
\ir setup.psql

CREATE EXTENSION pg_cron;
SELECT is(current_setting('cron.database_name'), current_database()::text, 'pg_cron serves this database');

\set out `psql -X -q -f "$TECHMV_SQLDIR/schedule_pg_cron.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'scheduling before install fails');
SELECT matches(:'out'::text, 'refresh function "public"."mv_distinct_technologies_refresh"\(boolean, integer\) does not exist|refresh function public.mv_distinct_technologies_refresh\(boolean, integer\) does not exist',
               'and says why');
SELECT is((SELECT count(*) FROM cron.job), 0::bigint, 'and schedules nothing');

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install succeeds');
\set out `psql -X -q -f "$TECHMV_SQLDIR/schedule_pg_cron.sql" -v 'schedule=*/5 * * * *' 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'scheduling succeeds');
SELECT is((SELECT array_agg(format('%s | %s | %s | %s | %s | %s', jobname, schedule, command, database, username, active))
             FROM cron.job),
          ARRAY[format('refresh_mv_distinct_technologies | */5 * * * * | SELECT * FROM public.mv_distinct_technologies_refresh() | %s | %s | t',
                       current_database(), current_user)],
          'one job, with the requested schedule, refreshing through the function');

-- The job's command, run as pg_cron would run it.
INSERT INTO companies VALUES (900001, 'New', ARRAY['Cron-Tech']);
SELECT count(*) AS logged FROM mv_distinct_technologies_refresh_log
\gset
\o /dev/null
SELECT command FROM cron.job WHERE jobname = 'refresh_mv_distinct_technologies'
\gexec
\o
SELECT ok(EXISTS (SELECT 1 FROM mv_distinct_technologies WHERE value = 'Cron-Tech'), 'the job''s command refreshes the view');
SELECT results_eq($$SELECT status, "concurrently" FROM mv_distinct_technologies_refresh_log ORDER BY id DESC LIMIT 1$$,
                  $$VALUES ('refreshed', true)$$, 'and the refresh is logged');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :logged::bigint + 1, 'once');

SELECT jobid AS first_jobid FROM cron.job
\gset
\set out `psql -X -q -f "$TECHMV_SQLDIR/schedule_pg_cron.sql" -v 'schedule=0 3 * * *' 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'scheduling again succeeds');
SELECT is((SELECT array_agg(format('%s %s', jobid, schedule)) FROM cron.job), ARRAY[:first_jobid || ' 0 3 * * *'],
                  'still one job, now with the new schedule');

-- A job of the user's own under the same name is not ours to remove.
CREATE TABLE my_counter (n int);
SELECT cron.schedule('refresh_other', '0 4 * * *', 'INSERT INTO my_counter VALUES (1)') AS other_jobid
\gset

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rollback succeeds');
SELECT matches(:'out'::text, 'pg_cron job refresh_mv_distinct_technologies', 'and says it unscheduled the job');
SELECT is((SELECT array_agg(jobname::text) FROM cron.job), ARRAY['refresh_other'],
                  'our job is gone, the user''s job stays');
SELECT hasnt_materialized_view('mv_distinct_technologies', 'and the view is gone');

SELECT cron.unschedule('refresh_other');
SELECT cron.schedule('refresh_mv_distinct_technologies', '0 5 * * *', 'INSERT INTO my_counter VALUES (2)') AS same_name_jobid
\gset
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rollback with a same-named job of the user''s succeeds');
SELECT is((SELECT array_agg(command::text) FROM cron.job), ARRAY['INSERT INTO my_counter VALUES (2)'],
                  'and leaves that job alone: its command is not ours');

SELECT * FROM finish();
