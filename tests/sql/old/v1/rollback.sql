-- libtechmv: remove what install.sql created for one view: its pg_cron job
-- (if any), the refresh function, the refresh log and the materialized view
-- with its indexes.  The source table is never touched.
--
--   psql -v ON_ERROR_STOP=1 -X -q -f sql/rollback.sql \
--        [-v schema=public] [-v view=mv_distinct_technologies]
--
-- Idempotent: objects already gone are skipped.  Nothing is dropped with
-- CASCADE, so a user object built on the view or the log stops the rollback
-- with an error instead of disappearing along with it.
-- pg_trgm stays installed: other objects of the database may use it.

-- A failure must stop the script with a non-zero exit status even when the
-- caller forgot -v ON_ERROR_STOP=1.
\set ON_ERROR_STOP on

\if :{?schema}
\else
  \set schema public
\endif
\if :{?view}
\else
  \set view mv_distinct_technologies
\endif

-- install.sql refuses such names; here the derived names could only be
-- truncated ones that install never created.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '22023',
              format('libtechmv: view name %L is %s bytes long', :'view', octet_length(:'view')),
              'install.sql only accepts view names of at most 50 bytes.')
 WHERE octet_length(:'view') > 50
\gexec

\set log_table :view '_refresh_log'
\set refresh_func :view '_refresh'
\set cron_job 'refresh_' :view

BEGIN;

-- One "does not exist, skipping" notice per object on a second run is noise.
SET LOCAL client_min_messages = warning;

-- A mistyped view name must not drop a materialized view that libtechmv did
-- not create; install.sql marks its views with this comment prefix.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, DETAIL = %L; END $chk$',
              '42809',
              format('libtechmv: %I.%I was not created by install.sql', :'schema', :'view'),
              format('relkind %s, comment %s', c.relkind,
                     coalesce(quote_literal(obj_description(c.oid, 'pg_class')), 'none')))
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema'
   AND c.relname = :'view'
   AND (c.relkind <> 'm'
        OR coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'libtechmv: %')
\gexec

-- pg_cron is optional: its tables are only referenced when it is installed.
SELECT to_regclass('cron.job') IS NOT NULL AS has_pg_cron
\gset
\if :has_pg_cron
-- Aggregated so that \gset always gets exactly one row, job or no job.
SELECT count(cron.unschedule(j.jobname)) AS unscheduled_jobs
  FROM cron.job j
 WHERE j.jobname = :'cron_job'
\gset
\endif

DROP FUNCTION IF EXISTS :"schema".:"refresh_func"(boolean, integer);
DROP TABLE IF EXISTS :"schema".:"log_table";
DROP MATERIALIZED VIEW IF EXISTS :"schema".:"view";

COMMIT;
