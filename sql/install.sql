-- libtechmv: install the materialized view of the distinct elements of
-- <schema>.<source_table>.<source_column> (a text[] column), its indexes,
-- the search postings (search.sql), the refresh log, the refresh function
-- and the status view (schema version 4), or upgrade an install of version
-- 1, 2 or 3 to it in place.
-- With -v mode=live the set is instead a table kept by triggers on the
-- source and drained by the refresh function (live.sql).
--
--   psql -v ON_ERROR_STOP=1 -X -q -f sql/install.sql \
--        [-v schema=public] [-v view=mv_distinct_technologies] \
--        [-v source_table=companies] [-v source_column=technologies] \
--        [-v id_column=id] [-v refresh_role=ROLE] [-v populate=on] \
--        [-v mode=view|live] [-v switch=on]
--
-- An install of the other mode is refused unless switch=on: then the set is
-- rebuilt in the requested mode beside the old one, which readers keep using
-- until the swap at the end; the refresh log is kept.  Version 1, 2 and 3
-- installs of the materialized view are upgraded to version 4 (mode=view)
-- before they can switch; a live install of version 3 switches to the
-- materialized view of version 4 (mode=view, switch=on), and back.
--
-- Idempotent: a second run with the same variables changes nothing.
-- Everything happens in one transaction: a failure leaves the database as
-- it was.  The installing role needs CREATE on the schema and ownership of
-- (or SELECT on) the source table; it becomes the owner of everything
-- created here, and the refresh function runs with its rights.  pg_trgm is
-- a trusted extension, so a non-superuser can create it too, but that needs
-- CREATE on the database unless pg_trgm is already installed.

-- A failure must stop the script with a non-zero exit status even when the
-- caller forgot -v ON_ERROR_STOP=1 (set here: psql does not stop the
-- including script for a setting made inside an included one).
\set ON_ERROR_STOP on

-- Checked before anything else so that an older server gets this message
-- rather than a syntax error further down.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '0A000',
              format('libtechmv: PostgreSQL %s is not supported', current_setting('server_version')),
              'libtechmv needs PostgreSQL 13 or later.')
 WHERE current_setting('server_version_num')::integer < 130000
\gexec

\ir names.sql
\if :{?populate}
\else
  \set populate on
\endif
\if :{?mode}
\else
  \set mode view
\endif
\if :{?switch}
\else
  \set switch off
\endif
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              '22023', format('libtechmv: mode must be view or live, not %L', :'mode'))
 WHERE :'mode' NOT IN ('view', 'live')
\gexec
SELECT :'mode' = 'live' AS want_live, :'mode' = 'view' AS want_view
\gset

BEGIN;

-- The second run would otherwise print one "already exists, skipping" notice
-- per object.
SET LOCAL client_min_messages = warning;

\ir objects.sql

-- A newer schema than this script knows is left alone.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              '0A000',
              format('libtechmv: %I.%I has schema version %s; this install.sql installs version 4',
                     :'schema', :'view', :installed_version))
 WHERE :installed_version > 4
\gexec

-- Changing the mode rebuilds the set and changes what writers to the source
-- pay: only on request.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '55000',
              format('libtechmv: nothing installed: %I.%I is installed in %s mode, not %s mode',
                     :'schema', :'view', :'installed_mode', :'mode'),
              'Add -v switch=on to switch it in one transaction (the refresh log is kept).')
 WHERE :installed_version IN (3, 4) AND :'installed_mode' <> :'mode' AND NOT :'switch'::boolean
\gexec
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '55000',
              format('libtechmv: nothing installed: %I.%I has schema version %s, which switches to live mode from version 4 only',
                     :'schema', :'view', :installed_version),
              CASE WHEN :'installed_mode' = 'live'
                   THEN 'Switch it to the materialized view of version 4 first (-v mode=view -v switch=on), then back with -v mode=live -v switch=on.'
                   ELSE 'Run install.sql without -v mode=live first (it upgrades to version 4), then with -v mode=live -v switch=on.' END)
 WHERE :'want_live'::boolean AND :installed_version IN (1, 2, 3)
\gexec

-- CREATE ... IF NOT EXISTS would silently keep a same-named object that is
-- not ours, or ours but built from another source: refuse before changing
-- anything.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, DETAIL = %L, HINT = %L; END $chk$',
              '42P07',
              format('libtechmv: nothing installed: %s in schema %I already exist and %s',
                     string_agg(o.label, ', '), :'schema',
                     CASE WHEN bool_or(o.ours) THEN 'were not installed from these variables'
                          ELSE 'were not created by install.sql' END),
              string_agg(format('%s: comment %s', o.label, coalesce(quote_literal(o.cmt), 'none')), '; '),
              'Pick another view name, or run rollback.sql with the variables of the earlier install first.')
  FROM techmv_objects o
 WHERE o.found AND NOT (o.ours AND o.same_source) AND o.mode IN ('common', :'mode', :'installed_mode')
HAVING count(*) > 0
\gexec

-- A version 3 install with a piece missing was changed by hand; filling the
-- gap could pair objects that do not belong together.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '55000',
              format('libtechmv: the install of %I.%I is incomplete: %s missing',
                     :'schema', :'view', string_agg(o.label, ', ')),
              'Run rollback.sql, then install.sql again.')
  FROM techmv_objects o
 WHERE :installed_version = 4 AND NOT o.found AND o.mode IN ('common', :'installed_mode')
HAVING count(*) > 0
\gexec

SELECT :installed_version = 0 AS is_fresh,
       :installed_version IN (1, 2) OR :installed_version = 3 AND :'installed_mode' = :'mode' AS is_upgrade,
       :installed_version IN (3, 4) AND :'installed_mode' <> :'mode' AS is_switch,
       :installed_version IN (1, 2) OR :installed_version = 3 AND :'installed_mode' = :'mode'
       OR :installed_version IN (3, 4) AND :'installed_mode' <> :'mode' AS is_beside
\gset

\if :is_fresh
\set build_view :view
\set build_key :value_key
\set build_trgm :value_trgm
\set with_data 'WITH NO DATA'
\elif :is_beside
-- The new set is built beside the old one under names of its own (short
-- enough for any view name) and takes the old names at the very end.
SELECT 'techmv_build_' || left(md5(:'schema' || '.' || :'view'), 16) AS build_view
\gset
\set build_key :build_view '_key'
\set build_trgm :build_view '_trgm'
\set build_md5 :build_view '_md5'
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              '42P07', format('libtechmv: %I.%I is in the way of the upgrade', :'schema', c.relname))
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relname IN (:'build_view', :'build_key', :'build_trgm', :'build_md5')
\gexec

-- Refreshes (and drains) through the old function wait until the swap is
-- committed (so they cannot deadlock with it on the set and the log), and
-- nothing else refreshes the old set while its replacement is built: both
-- modes' functions take this advisory lock on the set's oid.
SELECT pg_catalog.pg_advisory_xact_lock((1952803693::bigint << 32) | o.oid::bigint) AS upgrade_locked,
       c.relispopulated AS old_populated
  FROM techmv_objects o
  JOIN pg_catalog.pg_class c ON c.oid = o.oid
 WHERE o.role = 'set'
\gset
\if :is_switch
\if :want_live
\else
-- A live set is trusted as populated unless it waits for a rebuild.
SELECT NOT s.needs_rebuild AS old_populated FROM :"schema".:"live_state" s
\gset
\endif
\endif
-- The upgrade keeps a populated view populated whatever populate says:
-- readers must find the same rows after the swap as before.  An unpopulated
-- one stays unpopulated unless populate is on (as on a fresh install).
\if :old_populated
\set with_data 'WITH DATA'
\else
\set with_data 'WITH NO DATA'
\endif
SELECT clock_timestamp() AS build_started
\gset
\endif

\if :is_fresh
\set build_or_upgrade 1
\elif :is_beside
\set build_or_upgrade 1
\else
\set build_or_upgrade 0
\endif

-- One row for monitoring (sql_exporter, postgres_exporter custom queries).
-- It reads only the catalogs, pg_locks and the log, never the view itself:
-- even AccessShareLock on the view would wait for a plain REFRESH (the first
-- population), and a scrape must not queue behind one or in front of one.
-- So value_count and long_values come from the last successful refresh
-- logged, which is what the view holds unless it was refreshed outside the
-- function; total_bytes is left NULL while another session holds
-- AccessExclusiveLock on the view, for the same reason.
-- now() is the scrape's transaction start, as good as any for an age.
-- Both modes' status views have the same columns; those of live mode alone
-- are NULL here.  CREATE OR REPLACE keeps what the view was granted.
\if :want_view
SELECT format($fmt$
CREATE OR REPLACE VIEW %1$I.%2$I AS
SELECT 4                                                  AS schema_version,
       true                                               AS installed,
       c.relispopulated                                   AS populated,
       CASE WHEN c.relispopulated THEN ok.row_count END   AS value_count,
       CASE WHEN c.relispopulated THEN ok.long_values END AS long_values,
       ok.started_at                                      AS last_refresh_at,
       ok.duration_ms                                     AS last_refresh_duration_ms,
       extract(epoch FROM pg_catalog.now() - ok.started_at)::double precision
           - ok.duration_ms / 1000                        AS last_refresh_age_seconds,
       bad.started_at                                     AS last_failure_at,
       bad.sqlstate                                       AS last_failure_sqlstate,
       bad.message                                        AS last_failure_message,
       (SELECT pg_catalog.count(*) FROM %1$I.%4$I f
         WHERE f.status <> 'refreshed' AND f.id > coalesce(ok.id, 0)) AS failures_since_last_refresh,
       EXISTS (SELECT 1
                 FROM pg_catalog.pg_locks l
                WHERE l.database = db.oid
                  AND l.granted
                  AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid()
                  AND (l.locktype = 'relation' AND l.relation = c.oid
                       AND l.mode IN ('ExclusiveLock', 'AccessExclusiveLock')
                       OR l.locktype = 'advisory' AND l.classid = 1952803693
                       AND l.objid = c.oid AND l.objsubid = 1)) AS refresh_running,
       CASE WHEN c.relispopulated
             AND NOT EXISTS (SELECT 1
                               FROM pg_catalog.pg_locks l
                              WHERE l.database = db.oid AND l.locktype = 'relation'
                                AND l.relation = c.oid AND l.mode = 'AccessExclusiveLock'
                                AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid())
            THEN pg_catalog.pg_total_relation_size(c.oid) END AS total_bytes,
       'view'::text                                       AS mode,
       NULL::bigint                                       AS pending_changes,
       NULL::double precision                             AS oldest_pending_age_seconds,
       NULL::boolean                                      AS needs_rebuild
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN (SELECT d.oid FROM pg_catalog.pg_database d
              WHERE d.datname = pg_catalog.current_database()) db
  LEFT JOIN LATERAL (SELECT f.id, f.started_at, f.duration_ms, f.row_count, f.long_values
                       FROM %1$I.%4$I f WHERE f.status = 'refreshed'
                      ORDER BY f.id DESC LIMIT 1) ok ON true
  LEFT JOIN LATERAL (SELECT f.started_at, f.sqlstate, f.message
                       FROM %1$I.%4$I f WHERE f.status <> 'refreshed'
                      ORDER BY f.id DESC LIMIT 1) bad ON true
 WHERE n.nspname = %5$L AND c.relname = %3$L AND c.relkind = 'm'
$fmt$, :'schema', :'status_view', :'view', :'log_table', :'schema') AS status_view_sql
\gset
\else
-- Live mode: the set is always readable and never locked by a drain, so
-- value_count, long_values and the backlog come from <view>_live_status
-- (kept by the drainer); populated means rebuilt at least once.
-- refresh_running is a drain or rebuild holding the advisory lock.
SELECT format($fmt$
CREATE OR REPLACE VIEW %1$I.%2$I AS
SELECT 4                                                  AS schema_version,
       true                                               AS installed,
       ls.last_rebuild_at IS NOT NULL                     AS populated,
       CASE WHEN ls.last_rebuild_at IS NOT NULL THEN ls.value_count END AS value_count,
       CASE WHEN ls.last_rebuild_at IS NOT NULL THEN ls.long_values END AS long_values,
       ok.started_at                                      AS last_refresh_at,
       ok.duration_ms                                     AS last_refresh_duration_ms,
       extract(epoch FROM pg_catalog.now() - ok.started_at)::double precision
           - ok.duration_ms / 1000                        AS last_refresh_age_seconds,
       bad.started_at                                     AS last_failure_at,
       bad.sqlstate                                       AS last_failure_sqlstate,
       bad.message                                        AS last_failure_message,
       (SELECT pg_catalog.count(*) FROM %1$I.%4$I f
         WHERE f.status <> 'refreshed' AND f.id > coalesce(ok.id, 0)) AS failures_since_last_refresh,
       EXISTS (SELECT 1
                 FROM pg_catalog.pg_locks l
                WHERE l.database = db.oid
                  AND l.granted
                  AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid()
                  AND l.locktype = 'advisory' AND l.classid = 1952803693
                  AND l.objid = c.oid AND l.objsubid = 1) AS refresh_running,
       CASE WHEN NOT EXISTS (SELECT 1
                               FROM pg_catalog.pg_locks l
                              WHERE l.database = db.oid AND l.locktype = 'relation'
                                AND l.relation = c.oid AND l.mode = 'AccessExclusiveLock'
                                AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid())
            THEN pg_catalog.pg_total_relation_size(c.oid) END AS total_bytes,
       ls.mode                                            AS mode,
       ls.pending_changes                                 AS pending_changes,
       ls.oldest_pending_age_seconds                      AS oldest_pending_age_seconds,
       ls.needs_rebuild                                   AS needs_rebuild
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN (SELECT d.oid FROM pg_catalog.pg_database d
              WHERE d.datname = pg_catalog.current_database()) db
 CROSS JOIN %1$I.%6$I ls
  LEFT JOIN LATERAL (SELECT f.id, f.started_at, f.duration_ms
                       FROM %1$I.%4$I f WHERE f.status = 'refreshed'
                      ORDER BY f.id DESC LIMIT 1) ok ON true
  LEFT JOIN LATERAL (SELECT f.started_at, f.sqlstate, f.message
                       FROM %1$I.%4$I f WHERE f.status <> 'refreshed'
                      ORDER BY f.id DESC LIMIT 1) bad ON true
 WHERE n.nspname = %5$L AND c.relname = %3$L AND c.relkind = 'r'
$fmt$, :'schema', :'status_view', :'view', :'log_table', :'schema', :'live_status') AS status_view_sql
\gset
\endif

\if :build_or_upgrade
-- rollback.sql leaves pg_trgm installed: other objects of the database may
-- have come to depend on it since.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The operator class lives wherever pg_trgm was installed, which need not be
-- on the search_path this script runs with.
SELECT n.nspname AS trgm_schema
  FROM pg_catalog.pg_extension e
  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'pg_trgm'
\gset

\if :want_live
\else
-- No COLLATE: the column keeps the source column's collation, so ORDER BY and
-- comparisons on the view agree with those on the source.
-- value_lower is what case-insensitive search compares: ILIKE in a UTF-8
-- database is lower(value) LIKE lower(pattern), and folding the case of every
-- value on every search costs about five times the match itself, so it is
-- done once, at refresh.
-- Values over 1024 bytes are not served: a btree entry must fit in a third
-- of a page (2704 bytes), and value plus value_lower (lower() can grow a
-- UTF-8 string by half) would not, so one long value would make every
-- refresh fail.  Each distinct long value is kept as one row with only its
-- md5, so that it is counted and can be found in the source, and so that
-- REFRESH ... CONCURRENTLY still works: the unique index treats the NULL
-- values as distinct.  The library's queries on the source table apply the
-- same octet_length(value) <= 1024, so both paths serve the same values.
-- WITH NO DATA on a fresh install: the first population goes through the
-- refresh function so that it is logged, and populate=off can leave it for
-- later (a large source refreshed at a quiet hour).
CREATE MATERIALIZED VIEW :"schema".:"build_view" AS
SELECT DISTINCT
       CASE WHEN pg_catalog.octet_length(t.value) <= 1024 THEN t.value END AS value,
       CASE WHEN pg_catalog.octet_length(t.value) <= 1024 THEN pg_catalog.lower(t.value) END AS value_lower,
       CASE WHEN pg_catalog.octet_length(t.value) > 1024 THEN pg_catalog.md5(t.value) END AS value_md5
  FROM :"schema".:"source_table" c
 CROSS JOIN LATERAL unnest(c.:"source_column") AS t(value)
 WHERE t.value IS NOT NULL
:with_data;

-- REFRESH ... CONCURRENTLY requires a unique index on plain columns with no
-- WHERE clause; the same index serves ORDER BY value in both directions, and
-- keyset pagination, as index-only scans. INCLUDE (value_lower) keeps the
-- ordered walk of a short search term index-only too.
CREATE UNIQUE INDEX :"build_key"
    ON :"schema".:"build_view" (value) INCLUDE (value_lower);

-- Lets LIKE '%term%' on value_lower be answered from the view instead of
-- scanning every value.
CREATE INDEX :"build_trgm"
    ON :"schema".:"build_view" USING gin (value_lower :"trgm_schema".gin_trgm_ops);

\if :is_beside
\if :old_populated
-- Counted now, before the log and the view are locked for the swap.
SELECT count(v.value) AS build_rows, count(v.value_md5) AS build_long,
       extract(epoch FROM clock_timestamp() - :'build_started'::timestamptz) * 1000 AS build_ms
  FROM :"schema".:"build_view" v
\gset
\endif
\endif
\endif

-- From here on every statement is quick; the log is locked from its ALTER
-- to the commit, the view only from the swap.  Refresh history is kept: the log
-- table is altered, not recreated, and the rows of versions 1 and 2 (which
-- logged successful refreshes only) get status 'refreshed'.
-- CONCURRENTLY is a reserved word, so that column (and the function's output
-- column of the same name) must be written "concurrently" in SQL.
-- refreshed_by uses session_user because inside the SECURITY DEFINER refresh
-- function current_user is always the owner.
-- status keeps a default so that a call of the version 1 or 2 function that
-- was already waiting when the upgrade committed still logs correctly.
CREATE TABLE IF NOT EXISTS :"schema".:"log_table" (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at     timestamptz      NOT NULL,
    duration_ms    double precision NOT NULL,
    row_count      bigint,
    "concurrently" boolean          NOT NULL,
    refreshed_by   text             NOT NULL DEFAULT session_user,
    status         text             NOT NULL DEFAULT 'refreshed'
                   CHECK (status IN ('refreshed', 'failed', 'timeout')),
    sqlstate       text,
    message        text,
    long_values    bigint
);

\if :is_upgrade
-- IF NOT EXISTS: the table may just have been created above, if the old
-- install had lost its log.
ALTER TABLE :"schema".:"log_table"
    ALTER COLUMN row_count DROP NOT NULL,
    ADD COLUMN IF NOT EXISTS status text NOT NULL DEFAULT 'refreshed'
        CHECK (status IN ('refreshed', 'failed', 'timeout')),
    ADD COLUMN IF NOT EXISTS sqlstate text,
    ADD COLUMN IF NOT EXISTS message text,
    ADD COLUMN IF NOT EXISTS long_values bigint;
\endif

-- The latest entry is read with ORDER BY started_at DESC LIMIT 1; without
-- this the log would be scanned in full once it has grown.
CREATE INDEX IF NOT EXISTS :"log_started"
    ON :"schema".:"log_table" (started_at);

-- The function's output columns changed in version 3, which CREATE OR
-- REPLACE refuses; what it was granted is carried over.
CREATE TEMP TABLE techmv_function_grants ON COMMIT DROP AS
SELECT format('GRANT EXECUTE ON FUNCTION %I.%I(boolean, integer) TO %I%s', :'schema', :'refresh_func',
              r.rolname, CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) AS stmt
  FROM techmv_objects o
  JOIN pg_catalog.pg_proc p ON p.oid = o.oid
 CROSS JOIN LATERAL pg_catalog.aclexplode(p.proacl) a
  JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
 WHERE o.role = 'refresh' AND o.found AND a.grantee <> p.proowner;
DROP FUNCTION IF EXISTS :"schema".:"refresh_func"(boolean, integer);

\if :want_live
-- The set, its pending deltas, the triggers and the drainer (under the
-- refresh function's name and signature): live.sql.  Creating the triggers
-- makes writers to the source wait until the commit, so the set computed
-- below misses no change, and none is counted twice.
\if :is_switch
\set live_build :build_view
\set live_build_key :build_key
\set live_build_trgm :build_trgm
\set live_build_md5 :build_md5
-- The set is filled here rather than by live.sql's rebuild, which works on
-- the set's final name, still the materialized view's until the swap.
\set populate_asked :populate
\set populate off
\ir live.sql
\set populate :populate_asked
\if :old_populated
\set live_fill 1
\elif :populate
\set live_fill 1
\else
\set live_fill 0
\endif
\if :live_fill
SELECT clock_timestamp() AS build_started
\gset
-- What live.sql's rebuild computes: per distinct element, the number of
-- source rows that hold it.
INSERT INTO :"schema".:"build_view" (value, value_lower, value_md5, n)
SELECT CASE WHEN pg_catalog.octet_length(e.v) <= 1024 THEN e.v END,
       CASE WHEN pg_catalog.octet_length(e.v) <= 1024 THEN pg_catalog.lower(e.v) END,
       CASE WHEN pg_catalog.octet_length(e.v) > 1024 THEN pg_catalog.md5(e.v) END,
       pg_catalog.count(*)
  FROM :"schema".:"source_table" c
 CROSS JOIN LATERAL (SELECT DISTINCT u.v FROM unnest(c.:"source_column") AS u(v) WHERE u.v IS NOT NULL) AS e
 GROUP BY e.v;
SELECT pg_catalog.count(v.value) AS build_rows, pg_catalog.count(v.value_md5) AS build_long,
       extract(epoch FROM clock_timestamp() - :'build_started'::timestamptz) * 1000 AS build_ms
  FROM :"schema".:"build_view" v
\gset
UPDATE :"schema".:"live_state"
   SET needs_rebuild = false, value_count = :build_rows, long_values = :build_long,
       last_rebuild_at = :'build_started', last_apply_at = clock_timestamp();
INSERT INTO :"schema".:"log_table" (status, started_at, duration_ms, row_count, "concurrently", long_values)
VALUES ('refreshed', :'build_started', :build_ms, :build_rows, false, :build_long);
ANALYZE :"schema".:"build_view";
\endif
\else
\ir live.sql
\endif
\else
-- psql does not interpolate variables inside the dollar-quoted body, so the
-- body is assembled with format(): every name is baked in, quoted and
-- schema-qualified, which together with the fixed search_path keeps a
-- SECURITY DEFINER function from resolving anything the caller controls.
--
-- Mutual exclusion uses a transaction-scoped advisory lock because LOCK TABLE
-- refuses materialized views.  Its bigint key is (1952803693 << 32) | view
-- oid, so pg_locks shows it as locktype 'advisory', classid 1952803693
-- ('tekm'), objid = the view's oid, objsubid 1.
--
-- Every attempt is logged, failed ones too ('timeout' when lock_timeout_ms
-- expired, 'failed' for any error): the refresh runs in a block whose
-- exception handler rolls its work back,
-- records the SQLSTATE and message, and returns status 'failed' instead of
-- raising, so that the log row commits with the call.  query_canceled is
-- named because WHEN OTHERS does not catch it, and a statement_timeout that
-- ends a refresh is precisely a failure to record.  Only 'busy' (wait =>
-- false and something in the way) is not logged: nothing was attempted.
--
-- wait => false must never wait, whoever holds a conflicting lock (a REFRESH
-- or CREATE INDEX of another session on the view, an ALTER of the source...),
-- so lock_timeout is 1ms for everything that takes locks, up to and including
-- the log entry.
--
-- The caller's lock_timeout is put back explicitly because a function-level
-- SET clause would not accept a value computed from an argument, and a local
-- set_config inside the function would otherwise outlive the call until the
-- end of the caller's transaction.
--
-- The local variables are prefixed: the output columns status, sqlstate,
-- message... are also the log table's column names and the exception
-- handler's SQLSTATE.
SELECT format($fmt$
CREATE FUNCTION %1$I.%2$I(
    wait            boolean DEFAULT true,
    lock_timeout_ms integer DEFAULT 0)
RETURNS TABLE (
    status         text,
    "concurrently" boolean,
    started_at     timestamptz,
    duration_ms    double precision,
    row_count      bigint,
    sqlstate       text,
    message        text,
    long_values    bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_saved_lock_timeout text;
    v_oid                oid;
    v_key                bigint;
    v_populated          boolean;
    v_start              timestamptz;
    v_status             text;
    v_duration           double precision;
    v_rows               bigint;
    v_long               bigint;
    v_sqlstate           text;
    v_message            text;
BEGIN
    IF wait IS NULL OR lock_timeout_ms IS NULL OR lock_timeout_ms < 0 THEN
        RAISE EXCEPTION 'libtechmv: invalid arguments wait => %%, lock_timeout_ms => %%', wait, lock_timeout_ms
            USING ERRCODE = '22023',
                  HINT = 'wait must not be NULL; lock_timeout_ms must be >= 0 (0 waits forever).';
    END IF;

    -- Looked up on every call rather than baked in as an oid, so the function
    -- keeps working if the view is dropped and recreated under the same name.
    SELECT c.oid, c.relispopulated INTO v_oid, v_populated
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = %3$L AND c.relname = %4$L AND c.relkind = 'm';
    IF v_oid IS NULL THEN
        RAISE EXCEPTION 'libtechmv: materialized view %%.%% does not exist', %3$L, %4$L
            USING ERRCODE = '42P01';
    END IF;
    v_key := (1952803693::bigint << 32) | v_oid::bigint;

    v_saved_lock_timeout := current_setting('lock_timeout');
    v_start := clock_timestamp();

    IF wait THEN
        PERFORM set_config('lock_timeout', lock_timeout_ms || 'ms', true);
        BEGIN
            PERFORM pg_advisory_xact_lock(v_key);
        EXCEPTION
            WHEN lock_not_available THEN
                GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                v_status := 'timeout';
            -- A statement_timeout or cancel while queued behind another
            -- refresh ends this attempt as surely as one during the refresh.
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                v_status := 'failed';
        END;
    ELSE
        PERFORM set_config('lock_timeout', '1ms', true);
        IF NOT pg_try_advisory_xact_lock(v_key)
           -- A REFRESH issued outside this function does not take the
           -- advisory lock, but holds ExclusiveLock (CONCURRENTLY) or
           -- AccessExclusiveLock (plain) on the view until its transaction
           -- ends.  pid is NULL for a prepared transaction, which counts too.
           -- Any other conflicting lock is met by the 1ms lock_timeout.
           OR EXISTS (SELECT 1
                        FROM pg_locks l
                       WHERE l.locktype = 'relation'
                         AND l.database = (SELECT d.oid FROM pg_database d
                                            WHERE d.datname = current_database())
                         AND l.relation = v_oid
                         AND l.granted
                         AND l.mode IN ('ExclusiveLock', 'AccessExclusiveLock')
                         AND l.pid IS DISTINCT FROM pg_backend_pid()) THEN
            PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
            RETURN QUERY SELECT 'busy'::text, NULL::boolean, NULL::timestamptz, NULL::double precision,
                                NULL::bigint, NULL::text, NULL::text, NULL::bigint;
            RETURN;
        END IF;
    END IF;

    IF v_status IS NULL THEN
        -- Read again once the lock is held: a refresh that finished while
        -- this call waited may have populated the view.
        SELECT c.relispopulated INTO v_populated FROM pg_class c WHERE c.oid = v_oid;
        v_start := clock_timestamp();
        -- The requested lock_timeout also bounds the wait for the view's own
        -- lock (readers block a plain REFRESH; a REFRESH or index build of
        -- another session blocks both kinds).
        BEGIN
            IF v_populated THEN
                REFRESH MATERIALIZED VIEW CONCURRENTLY %1$I.%4$I;
            ELSE
                REFRESH MATERIALIZED VIEW %1$I.%4$I;
            END IF;
            -- The search postings follow the values the refresh added and
            -- removed, in the same transaction: readers see both or neither.
            PERFORM %1$I.%6$I();
            v_duration := extract(epoch FROM clock_timestamp() - v_start)::double precision * 1000;
            -- With wait the caller's own lock_timeout applies to the
            -- bookkeeping; without, nothing may wait.
            IF wait THEN
                PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
            END IF;
            SELECT count(v.value), count(v.value_md5) INTO v_rows, v_long FROM %1$I.%4$I v;
            INSERT INTO %1$I.%5$I (status, started_at, duration_ms, row_count, "concurrently", long_values)
            VALUES ('refreshed', v_start, v_duration, v_rows, v_populated, v_long);
            v_status := 'refreshed';
        EXCEPTION
            WHEN lock_not_available THEN
                GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                IF NOT wait THEN
                    PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
                    RETURN QUERY SELECT 'busy'::text, NULL::boolean, NULL::timestamptz, NULL::double precision,
                                        NULL::bigint, NULL::text, NULL::text, NULL::bigint;
                    RETURN;
                END IF;
                v_status := 'timeout';
            WHEN query_canceled THEN
                GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                v_status := 'failed';
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
                v_status := 'failed';
        END;
    END IF;

    IF v_status <> 'refreshed' THEN
        v_rows := NULL;
        v_long := NULL;
        v_duration := extract(epoch FROM clock_timestamp() - v_start)::double precision * 1000;
        -- Without wait the 1ms bound still applies: should another session
        -- hold the log locked, the outcome is returned unlogged rather than
        -- after a wait (or, once a statement_timeout has fired, never).
        IF wait THEN
            PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
        END IF;
        BEGIN
            INSERT INTO %1$I.%5$I (status, started_at, duration_ms, "concurrently", sqlstate, message)
            VALUES (v_status, v_start, v_duration, v_populated, v_sqlstate, v_message);
        EXCEPTION WHEN lock_not_available THEN
            NULL;
        END;
    END IF;

    PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);

    RETURN QUERY SELECT v_status, v_populated, v_start, v_duration, v_rows, v_sqlstate, v_message, v_long;
END
$body$
$fmt$,
    :'schema',                                                                -- 1
    :'refresh_func',                                                          -- 2
    :'schema',                                                                -- 3
    :'view',                                                                  -- 4
    :'log_table',                                                             -- 5
    :'grams_sync')                                                            -- 6
\gexec

-- Refreshing runs with the owner's rights, so it is only for those granted it.
REVOKE ALL ON FUNCTION :"schema".:"refresh_func"(boolean, integer) FROM PUBLIC;
\endif
SELECT stmt FROM techmv_function_grants
\gexec

-- The new set keeps whatever the old one was granted.
SELECT format('GRANT %s ON %I.%I TO %s%s', a.privilege_type, :'schema', :'build_view',
              CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END,
              CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
  FROM techmv_objects o
  JOIN pg_catalog.pg_class c ON c.oid = o.oid
 CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
 WHERE o.role = 'set' AND o.found AND a.grantee <> c.relowner
\gexec


SELECT :'status_view_sql'
\gexec

\if :want_live
\elif :is_beside
-- The new view's data was computed by the upgrade, which is a refresh as far
-- as its readers and monitoring are concerned.
\if :old_populated
INSERT INTO :"schema".:"log_table" (status, started_at, duration_ms, row_count, "concurrently", long_values)
VALUES ('refreshed', :'build_started', :build_ms, :build_rows, false, :build_long);
\endif
\endif

\if :is_beside
-- The swap.  Readers of the set wait from here to COMMIT, and only for
-- that: dropping the old set needs its AccessExclusiveLock.  A reader
-- waiting on the old set finds the new one by name once the lock is
-- granted.  No CASCADE: a user's object built on the old set stops the
-- upgrade, and the whole transaction with it.
\if :want_live
DROP MATERIALIZED VIEW :"schema".:"view";
ALTER TABLE :"schema".:"build_view" RENAME TO :"view";
ALTER INDEX :"schema".:"build_md5" RENAME TO :"live_md5_key";
\elif :is_switch
DROP TABLE :"schema".:"view";
-- Live mode's own objects go, dependents first.  Dropping the triggers
-- locks the source table (AccessExclusiveLock) until the commit, so it comes
-- after the set's drop, which may wait for the set's readers.
SELECT o.drop_stmt
  FROM techmv_objects o
 WHERE o.found AND o.ours AND o.mode = 'live' AND o.drop_stmt IS NOT NULL
 ORDER BY o.drop_order, o.label
\gexec
ALTER MATERIALIZED VIEW :"schema".:"build_view" RENAME TO :"view";
\else
DROP MATERIALIZED VIEW :"schema".:"view";
ALTER MATERIALIZED VIEW :"schema".:"build_view" RENAME TO :"view";
\endif
ALTER INDEX :"schema".:"build_key" RENAME TO :"value_key";
ALTER INDEX :"schema".:"build_trgm" RENAME TO :"value_trgm";
\endif

-- Every object carries the marker: it tells the library which schema
-- version (and mode) is installed, and tells rollback.sql and a later
-- install.sql what is theirs to change.  live.sql marked its own objects.
\if :want_live
\set mode_marker :live_marker
\else
\set mode_marker :marker
COMMENT ON MATERIALIZED VIEW :"schema".:"view" IS :'marker';
COMMENT ON INDEX :"schema".:"value_key" IS :'marker';
COMMENT ON INDEX :"schema".:"value_trgm" IS :'marker';
COMMENT ON FUNCTION :"schema".:"refresh_func"(boolean, integer) IS :'marker';
\endif
COMMENT ON TABLE :"schema".:"log_table" IS :'mode_marker';
COMMENT ON INDEX :"schema".:"log_started" IS :'mode_marker';
SELECT format('COMMENT ON INDEX %I.%I IS %L', :'schema', i.relname, :'mode_marker')
  FROM pg_catalog.pg_index x
  JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
 WHERE x.indrelid = format('%I.%I', :'schema', :'log_table')::regclass AND x.indisprimary
\gexec
COMMENT ON VIEW :"schema".:"status_view" IS :'mode_marker';
\ir search.sql
\endif

\if :build_or_upgrade
\else
-- Version 3 status views made before the mode columns existed get them (a
-- view can gain columns at its end in place); an up-to-date one is left
-- alone, so that a second run still writes nothing.
SELECT :'status_view_sql'
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid = pg_catalog.format('%I.%I', :'schema', :'status_view')::regclass
                      AND a.attname = 'mode' AND NOT a.attisdropped)
\gexec
\endif

-- The role also needs USAGE on the schema, which is the schema owner's call
-- and is left alone here.
-- Only what is missing is granted, so that a second run writes nothing.
\if :{?refresh_role}
SELECT format('GRANT EXECUTE ON FUNCTION %I.%I(boolean, integer) TO %I', :'schema', :'refresh_func', :'refresh_role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
                    WHERE p.oid = format('%I.%I(boolean, integer)', :'schema', :'refresh_func')::regprocedure
                      AND a.grantee = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = :'refresh_role')
                      AND a.privilege_type = 'EXECUTE')
UNION ALL
SELECT format('GRANT SELECT ON %I.%I TO %I', :'schema', t.name, :'refresh_role')
  FROM (VALUES (:'view'), (:'log_table'), (:'status_view'), (:'grams'), (:'gram_n')) t(name)
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
                    WHERE c.oid = format('%I.%I', :'schema', t.name)::regclass
                      AND a.grantee = (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = :'refresh_role')
                      AND a.privilege_type = 'SELECT')
\gexec
\endif

-- live.sql populates a fresh live set itself.
\if :want_live
\elif :populate
SELECT NOT c.relispopulated AS needs_populate
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relname = :'view'
\gset
\if :needs_populate
SELECT r.status AS populate_status, r.row_count AS populate_rows,
       coalesce(r.long_values, 0) AS populate_long,
       coalesce(r.sqlstate, '') AS populate_sqlstate, coalesce(r.message, '') AS populate_message
  FROM :"schema".:"refresh_func"() AS r
\gset
-- The function records a failed refresh instead of raising; the install
-- must still stop, and leave nothing behind.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              CASE WHEN :'populate_sqlstate' ~ '^[0-9A-Z]{5}$' THEN :'populate_sqlstate' ELSE 'XX000' END,
              format('libtechmv: populating %I.%I failed (%s): %s', :'schema', :'view',
                     :'populate_status', :'populate_message'))
 WHERE :'populate_status' <> 'refreshed'
\gexec
\echo 'libtechmv: populated' :"schema"'.':"view" 'with' :populate_rows 'values,' :populate_long 'too long to serve'
\endif
\endif

COMMIT;

\if :is_upgrade
\echo 'libtechmv: upgraded' :"schema"'.':"view" 'from schema version' :installed_version 'to 4'
\endif
\if :is_switch
\echo 'libtechmv: switched' :"schema"'.':"view" 'from' :installed_mode 'mode to' :mode 'mode'
\endif
