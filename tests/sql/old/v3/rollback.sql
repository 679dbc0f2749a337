-- libtechmv: remove what install.sql created for one view: its pg_cron job
-- (if any), the status view, the refresh function, the refresh log and the
-- materialized view with its indexes; for a live install (-v mode=live) the
-- set table, its pending and state tables, the live status view, the
-- rebuild function, and the triggers on the source table with their
-- functions.  The source table's rows are never touched.
--
--   psql -v ON_ERROR_STOP=1 -X -q -f sql/rollback.sql \
--        [-v schema=public] [-v view=mv_distinct_technologies]
--
-- Works on installs of schema versions 1, 2 and 3.  Only objects that are
-- provably ours are dropped (see objects.sql); if any object of the derived
-- names exists and is not ours, nothing at all is dropped and the script
-- fails.  Idempotent: objects already gone are skipped.  Nothing is dropped
-- with CASCADE, so a user object built on the view or the log stops the
-- rollback with an error instead of disappearing along with it.
-- pg_trgm stays installed: other objects of the database may use it.

-- A failure must stop the script with a non-zero exit status even when the
-- caller forgot -v ON_ERROR_STOP=1 (set here: psql does not stop the
-- including script for a setting made inside an included one).
\set ON_ERROR_STOP on
\ir names.sql

BEGIN;

-- One "does not exist, skipping" notice per object on a second run is noise.
SET LOCAL client_min_messages = warning;

\ir objects.sql

-- A newer schema may have objects this script does not know of.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              '0A000',
              format('libtechmv: nothing rolled back: %I.%I has schema version %s; this rollback.sql knows versions 1 to 3',
                     :'schema', :'view', :installed_version))
 WHERE :installed_version > 3
\gexec

-- A mistyped view name, or a user's table or function that happens to have
-- a derived name, must not be dropped.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, DETAIL = %L, HINT = %L; END $chk$',
              '42809',
              format('libtechmv: nothing rolled back: %s in schema %I not created by install.sql',
                     string_agg(o.label, ', '), :'schema'),
              string_agg(format('%s: comment %s', o.label, coalesce(quote_literal(o.cmt), 'none')), '; '),
              'Check -v schema and -v view; objects of libtechmv carry a comment starting "libtechmv".')
  FROM techmv_objects o
 WHERE o.found AND NOT o.ours AND o.mode IN ('common', :'installed_mode')
HAVING count(*) > 0
\gexec

-- pg_cron is optional: its tables are only referenced when it is installed.
-- Only the job schedule_pg_cron.sql made (its name and its command) goes.
SELECT to_regclass('cron.job') IS NOT NULL AS has_pg_cron
\gset
\set unscheduled ''
\if :has_pg_cron
SELECT coalesce(string_agg(format('pg_cron job %s (id %s); ', j.jobname, j.jobid), ''), '') AS unscheduled,
       count(cron.unschedule(j.jobid)) AS unscheduled_jobs
  FROM cron.job j
 WHERE j.jobname = :'cron_job'
   AND j.command = format('SELECT * FROM %I.%I()', :'schema', :'refresh_func')
\gset
\endif

-- The indexes go with their tables.  The set first: nothing of ours depends
-- on it, and its drop may wait for its readers, which must not happen while
-- the source table is locked: dropping a trigger locks it
-- (AccessExclusiveLock) until the commit.  Then dependents first: the
-- triggers call their functions, the status views read the tables, and
-- nothing may be left pointing at a dropped object.
SELECT coalesce(string_agg(o.label, ', ' ORDER BY o.kind, o.label), '') AS dropped
  FROM techmv_objects o
 WHERE o.found AND o.ours AND o.drop_stmt IS NOT NULL
\gset

SELECT o.drop_stmt
  FROM techmv_objects o
 WHERE o.found AND o.ours AND o.drop_stmt IS NOT NULL
 ORDER BY o.drop_order, o.label
\gexec

COMMIT;

SELECT :'unscheduled' = '' AND :'dropped' = '' AS nothing_dropped
\gset
\if :nothing_dropped
\echo 'libtechmv: nothing of' :"schema"'.':"view" 'to roll back'
\else
\echo 'libtechmv: dropped from schema' :"schema"':' :unscheduled:dropped
\endif
