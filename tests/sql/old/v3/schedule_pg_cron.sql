-- libtechmv: refresh the materialized view periodically with pg_cron.
--
--   psql -v ON_ERROR_STOP=1 -X -q -f sql/schedule_pg_cron.sql \
--        [-v schema=public] [-v view=mv_distinct_technologies] \
--        [-v schedule='0 */6 * * *']
--
-- Run it after install.sql, in the database named by cron.database_name
-- (the only one where pg_cron can be created); for a view in another
-- database use cron.schedule_in_database instead.  The job runs as the role
-- that scheduled it, so that role needs EXECUTE on the refresh function.
--
-- Scheduling again (for example with another schedule) replaces the job,
-- since cron.schedule overwrites a job of the same name.  To stop it:
--
--   SELECT cron.unschedule('refresh_mv_distinct_technologies');
--
-- (the job is named refresh_<view>); rollback.sql does that too.

-- A failure must stop the script with a non-zero exit status even when the
-- caller forgot -v ON_ERROR_STOP=1 (set here: psql does not stop the
-- including script for a setting made inside an included one).
\set ON_ERROR_STOP on
\ir names.sql
\if :{?schedule}
\else
  \set schedule '0 */6 * * *'
\endif

DO $chk$
BEGIN
    IF to_regnamespace('cron') IS NULL THEN
        RAISE EXCEPTION 'libtechmv: pg_cron is not installed in database %', current_database()
            USING ERRCODE = '55000',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, '
                         'restart the server, then run CREATE EXTENSION pg_cron.';
    END IF;
END
$chk$;

-- Failing now is clearer than a job that errors every few hours.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '42883',
              format('libtechmv: refresh function %I.%I(boolean, integer) does not exist', :'schema', :'refresh_func'),
              'Run install.sql with the same schema and view first.')
 WHERE to_regprocedure(format('%I.%I(boolean, integer)', :'schema', :'refresh_func')) IS NULL
\gexec

BEGIN;

SELECT cron.schedule(:'cron_job', :'schedule',
                     format('SELECT * FROM %I.%I()', :'schema', :'refresh_func')) AS cron_jobid
\gset

COMMIT;

\echo 'libtechmv: pg_cron job' :cron_job 'id' :cron_jobid 'schedule' :schedule
