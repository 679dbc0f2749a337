-- libtechmv: install the materialized view of the distinct elements of
-- <schema>.<source_table>.<source_column> (a text[] column), its indexes,
-- the refresh log and the refresh function.
--
--   psql -v ON_ERROR_STOP=1 -X -q -f sql/install.sql \
--        [-v schema=public] [-v view=mv_distinct_technologies] \
--        [-v source_table=companies] [-v source_column=technologies] \
--        [-v id_column=id] [-v refresh_role=ROLE] [-v populate=on]
--
-- Idempotent: a second run with the same variables changes nothing.
-- The installing role needs CREATE on the schema and ownership of (or SELECT
-- on) the source table; it becomes the owner of everything created here, and
-- the refresh function runs with its rights.  pg_trgm is a trusted extension,
-- so a non-superuser can create it too, but that needs CREATE on the database
-- unless pg_trgm is already installed.

-- A failure must stop the script with a non-zero exit status even when the
-- caller forgot -v ON_ERROR_STOP=1 (set here: psql does not stop the
-- including script for a setting made inside an included one).
\set ON_ERROR_STOP on
\ir names.sql
\if :{?populate}
\else
  \set populate on
\endif

SELECT format('libtechmv: distinct elements of %I.%I.%I (company id column: %I)',
              :'schema', :'source_table', :'source_column', :'id_column') AS view_comment
\gset

BEGIN;

-- The second run would otherwise print one "already exists, skipping" notice
-- per object.
SET LOCAL client_min_messages = warning;

-- CREATE MATERIALIZED VIEW IF NOT EXISTS would silently keep a same-named
-- object built from another source (or not a materialized view at all); the
-- comment written below is what identifies a view as installed from these
-- very variables.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, DETAIL = %L, HINT = %L; END $chk$',
              '42P07',
              format('libtechmv: %I.%I already exists and was not installed from this source', :'schema', :'view'),
              format('relkind %s, comment %s; expected a materialized view with comment %L',
                     c.relkind, coalesce(quote_literal(obj_description(c.oid, 'pg_class')), 'none'), :'view_comment'),
              'Pick another view name, or run rollback.sql with the variables of the earlier install first.')
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema'
   AND c.relname = :'view'
   AND (c.relkind <> 'm' OR obj_description(c.oid, 'pg_class') IS DISTINCT FROM :'view_comment')
\gexec

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

-- No COLLATE: the column keeps the source column's collation, so ORDER BY and
-- comparisons on the view agree with those on the source.
-- value_lower is what case-insensitive search compares: ILIKE in a UTF-8
-- database is lower(value) LIKE lower(pattern), and folding the case of every
-- value on every search costs about five times the match itself, so it is
-- done once, at refresh.
-- WITH NO DATA: the first population goes through the refresh function so
-- that it is logged, and populate=off can leave it for later (a large source
-- refreshed at a quiet hour).
CREATE MATERIALIZED VIEW IF NOT EXISTS :"schema".:"view" AS
SELECT DISTINCT t.value, pg_catalog.lower(t.value) AS value_lower
  FROM :"schema".:"source_table" c
 CROSS JOIN LATERAL unnest(c.:"source_column") AS t(value)
 WHERE t.value IS NOT NULL
WITH NO DATA;

-- REFRESH ... CONCURRENTLY requires a unique index on plain columns with no
-- WHERE clause; the same index serves ORDER BY value in both directions, and
-- keyset pagination, as index-only scans. INCLUDE (value_lower) keeps the
-- ordered walk of a short search term index-only too.
CREATE UNIQUE INDEX IF NOT EXISTS :"value_key"
    ON :"schema".:"view" (value) INCLUDE (value_lower);

-- Lets LIKE '%term%' on value_lower be answered from the view instead of
-- scanning every value.
CREATE INDEX IF NOT EXISTS :"value_trgm"
    ON :"schema".:"view" USING gin (value_lower :"trgm_schema".gin_trgm_ops);

COMMENT ON MATERIALIZED VIEW :"schema".:"view" IS :'view_comment';

-- CONCURRENTLY is a reserved word, so that column (and the function's output
-- column of the same name) must be written "concurrently" in SQL.
-- refreshed_by uses session_user because inside the SECURITY DEFINER refresh
-- function current_user is always the owner.
CREATE TABLE IF NOT EXISTS :"schema".:"log_table" (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz      NOT NULL,
    duration_ms  double precision NOT NULL,
    row_count    bigint           NOT NULL,
    "concurrently" boolean        NOT NULL,
    refreshed_by text             NOT NULL DEFAULT session_user
);

-- The library reads the latest entry with ORDER BY started_at DESC LIMIT 1;
-- without this the log would be scanned in full once it has grown.
CREATE INDEX IF NOT EXISTS :"log_started"
    ON :"schema".:"log_table" (started_at);

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
-- The caller's lock_timeout is put back explicitly because a function-level
-- SET clause would not accept a value computed from an argument, and a local
-- set_config inside the function would otherwise outlive the call until the
-- end of the caller's transaction.  On the error paths the (sub)transaction
-- abort undoes it anyway.
SELECT format($fmt$
CREATE OR REPLACE FUNCTION %1$I.%2$I(
    wait            boolean DEFAULT true,
    lock_timeout_ms integer DEFAULT 0)
RETURNS TABLE (
    status       text,
    "concurrently" boolean,
    started_at   timestamptz,
    duration_ms  double precision,
    row_count    bigint)
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
BEGIN
    IF wait IS NULL OR lock_timeout_ms IS NULL OR lock_timeout_ms < 0 THEN
        RAISE EXCEPTION 'libtechmv: invalid arguments wait => %%, lock_timeout_ms => %%', wait, lock_timeout_ms
            USING ERRCODE = '22023',
                  HINT = 'wait must not be NULL; lock_timeout_ms must be >= 0 (0 waits forever).';
    END IF;

    -- Looked up on every call rather than baked in as an oid, so the function
    -- keeps working if the view is dropped and recreated under the same name.
    SELECT c.oid INTO v_oid
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = %3$L AND c.relname = %4$L AND c.relkind = 'm';
    IF v_oid IS NULL THEN
        RAISE EXCEPTION 'libtechmv: materialized view %%.%% does not exist', %3$L, %4$L
            USING ERRCODE = '42P01';
    END IF;
    v_key := (1952803693::bigint << 32) | v_oid::bigint;

    v_saved_lock_timeout := current_setting('lock_timeout');
    PERFORM set_config('lock_timeout', lock_timeout_ms || 'ms', true);

    IF wait THEN
        BEGIN
            PERFORM pg_advisory_xact_lock(v_key);
        EXCEPTION WHEN lock_not_available THEN
            PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
            RETURN QUERY SELECT 'timeout'::text, NULL::boolean, NULL::timestamptz,
                                NULL::double precision, NULL::bigint;
            RETURN;
        END;
    ELSIF NOT pg_try_advisory_xact_lock(v_key)
          -- A REFRESH issued outside this function does not take the
          -- advisory lock, but holds ExclusiveLock (CONCURRENTLY) or
          -- AccessExclusiveLock (plain) on the view until its transaction
          -- ends.  pid is NULL for a prepared transaction, which counts too.
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
        RETURN QUERY SELECT 'busy'::text, NULL::boolean, NULL::timestamptz,
                            NULL::double precision, NULL::bigint;
        RETURN;
    END IF;

    -- Read only once the lock is held: a refresh that finished while this
    -- call waited may have populated the view.
    SELECT c.relispopulated INTO v_populated FROM pg_class c WHERE c.oid = v_oid;

    -- The requested lock_timeout also bounds the wait for the view's own lock
    -- (readers block a plain REFRESH; a REFRESH run outside this function
    -- blocks both kinds).
    v_start := clock_timestamp();
    BEGIN
        IF v_populated THEN
            EXECUTE %5$L;
        ELSE
            EXECUTE %6$L;
        END IF;
    EXCEPTION WHEN lock_not_available THEN
        PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
        RETURN QUERY SELECT CASE WHEN wait THEN 'timeout' ELSE 'busy' END::text,
                            NULL::boolean, NULL::timestamptz,
                            NULL::double precision, NULL::bigint;
        RETURN;
    END;
    duration_ms := extract(epoch FROM clock_timestamp() - v_start)::double precision * 1000;

    -- The caller's own lock_timeout applies to the bookkeeping below.
    PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);

    SELECT count(*) INTO row_count FROM %1$I.%4$I;

    INSERT INTO %1$I.%7$I (started_at, duration_ms, row_count, "concurrently")
    VALUES (v_start, duration_ms, row_count, v_populated);

    status       := 'refreshed';
    "concurrently" := v_populated;
    started_at   := v_start;
    RETURN NEXT;
END
$body$
$fmt$,
    :'schema',                                                                -- 1
    :'refresh_func',                                                          -- 2
    :'schema',                                                                -- 3
    :'view',                                                                  -- 4
    format('REFRESH MATERIALIZED VIEW CONCURRENTLY %I.%I', :'schema', :'view'), -- 5
    format('REFRESH MATERIALIZED VIEW %I.%I', :'schema', :'view'),            -- 6
    :'log_table')                                                             -- 7
\gexec

-- Refreshing runs with the owner's rights, so it is only for those granted it.
REVOKE ALL ON FUNCTION :"schema".:"refresh_func"(boolean, integer) FROM PUBLIC;

-- The role also needs USAGE on the schema, which is the schema owner's call
-- and is left alone here.
\if :{?refresh_role}
GRANT EXECUTE ON FUNCTION :"schema".:"refresh_func"(boolean, integer) TO :"refresh_role";
GRANT SELECT ON :"schema".:"view", :"schema".:"log_table" TO :"refresh_role";
\endif

\if :populate
SELECT NOT c.relispopulated AS needs_populate
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relname = :'view'
\gset
\if :needs_populate
SELECT r.row_count AS populate_rows
  FROM :"schema".:"refresh_func"() AS r
\gset
\echo 'libtechmv: populated' :"schema"'.':"view" 'with' :populate_rows 'rows'
\endif
\endif

COMMIT;
