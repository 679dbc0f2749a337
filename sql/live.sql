-- libtechmv live mode: the distinct set of <source_table>.<source_column> as
-- a plain table that follows every commit, instead of a materialized view
-- refreshed on a schedule.
--
-- Included by install.sql with -v mode=live (\ir live.sql), inside its
-- transaction, after names.sql, once the log table, the compat function and
-- pg_trgm exist (psql variable trgm_schema set).  Standalone, for tests:
--
--   psql -X -1 -v ON_ERROR_STOP=1 -v trgm_schema=public \
--        [-v schema=...] [-v view=...] [-v populate=off] \
--        -f sql/names.sql -f sql/live.sql
--
-- Design, in short:
-- * Writers only append rows to <view>_pending, inside their own
--   transaction, from triggers on the source: statement-level INSERT and
--   DELETE triggers copy from their transition tables, a row-level trigger
--   handles UPDATE OF <source_column> only when the array really changed.
--   A pending row (plus, minus, times) means: add times to the count of
--   every distinct non-NULL element of plus, subtract it from every one of
--   minus.  INSERT and DELETE append each row's array as it is; UPDATE
--   appends the elements added and removed.  A changed row costs one tuple,
--   whatever the array's length.
--   The deltas commit or roll back with the change that produced them, and
--   no writer ever updates a row another writer could touch: no waits, no
--   deadlocks between writers because of the set.
-- * <view>_refresh() (the drainer) consumes, in one statement and therefore
--   one snapshot, exactly the deltas that snapshot sees, and applies their
--   per-value sums to the set.  A writer's transaction is either wholly
--   visible to that snapshot (its deltas are applied now) or not at all
--   (they are applied by a later drain): never half.  Counts are sums of
--   per-row contributions, so applying committed transactions' deltas in
--   any order yields exact counts.
-- * <view>_rebuild() recomputes the set from the source, also in one
--   statement: the source scan and the deletion of the pending deltas share
--   one snapshot, so it needs no lock that would stop writers.  It repairs
--   the set after a TRUNCATE (which has no transition table) or whenever an
--   operator asks.
-- * Drains and rebuilds take the refresh function's advisory lock, so one
--   runs at a time, and only RowExclusiveLock on the set: readers are never
--   blocked.  Call them in READ COMMITTED (the default): under REPEATABLE
--   READ a drain that meets a newer drain's or writer's rows fails with a
--   serialization error (logged, nothing applied) instead of retrying.
-- * After a TRUNCATE, and until the next drain rebuilds, the set still holds
--   the values from before it (marked needs_rebuild in <view>_live_status).
-- * Every drain is logged; the log keeps the last 1,000 drains, the last
--   successful one and every rebuild, so that a drainer running every
--   second does not grow it without end.
-- * The search postings (search.sql) follow the set through triggers on it:
--   each value the drainer or a rebuild adds or removes costs its postings.
--
-- Objects (for rollback): tables <view>, <view>_pending, <view>_live_state;
-- view <view>_live_status; functions <view>_refresh(boolean, integer),
-- <view>_rebuild(boolean, integer), <view>_on_insert(), <view>_on_update(),
-- <view>_on_delete(), <view>_on_truncate(); triggers of those four names on
-- the source table.  The installing role must own the source table (to
-- create triggers on it).

\set ON_ERROR_STOP on

\if :{?populate}
\else
  \set populate on
\endif

-- Names of the live mode's own objects; the view name is at most 50 bytes,
-- so each fits in 63.
\set live_pending :view '_pending'
\set live_state :view '_live_state'
\set live_status :view '_live_status'
\set live_rebuild :view '_rebuild'
\set live_md5_key :view '_value_md5'
\set live_on_insert :view '_on_insert'
\set live_on_update :view '_on_update'
\set live_on_delete :view '_on_delete'
\set live_on_trunc :view '_on_truncate'
-- install.sql, switching from the materialized view, creates the set and its
-- indexes under names of its own beside the view and renames them at the end.
\if :{?live_build}
\else
  \set live_build :view
  \set live_build_key :value_key
  \set live_build_trgm :value_trgm
  \set live_build_md5 :live_md5_key
\endif

SELECT format('libtechmv schema 4: {"schema":%s,"view":%s,"source_table":%s,"source_column":%s,"id_column":%s,"mode":"live"}',
              to_json(:'schema'::text), to_json(:'view'::text), to_json(:'source_table'::text),
              to_json(:'source_column'::text), to_json(:'id_column'::text)) AS live_marker
\gset

-- A live install of these very variables is left as it is (a second run
-- writes nothing); anything else of that name stops the install.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, DETAIL = %L, HINT = %L; END $chk$',
              '42P07',
              format('libtechmv: %I.%I already exists and is not the live set of this source', :'schema', :'live_build'),
              format('relkind %s, comment %s', c.relkind, coalesce(quote_literal(obj_description(c.oid, 'pg_class')), 'none')),
              'Pick another view name, or run rollback.sql with the variables of the earlier install first.')
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = :'schema' AND c.relname = :'live_build'
   AND (c.relkind <> 'r' OR obj_description(c.oid, 'pg_class') IS DISTINCT FROM :'live_marker')
\gexec

SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = :'schema' AND c.relname = :'live_build') AS live_installed
\gset

\if :live_installed
\else

-- The set keeps the source column's collation, so that ORDER BY value and the
-- unique index agree with the source (as the materialized view's column does).
SELECT coalesce(bool_or(t.typname = '_text' AND tn.nspname = 'pg_catalog'), false) AS live_is_text_array,
       coalesce(max(format('%I.%I', cn.nspname, co.collname)), 'pg_catalog."default"') AS live_collation
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
  JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE n.nspname = :'schema' AND c.relname = :'source_table' AND a.attname = :'source_column'
   AND a.attnum > 0 AND NOT a.attisdropped
\gset
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              '42804', format('libtechmv: %I.%I.%I must be a text[] column', :'schema', :'source_table', :'source_column'))
 WHERE NOT :'live_is_text_array'::boolean
\gexec

-- value is NULL for values over 1024 bytes (a btree entry must fit in a third
-- of a page, and value plus value_lower would not); such a value is one row
-- keyed by its md5, counted but never served, exactly as in the
-- materialized view.  n > 0 always: a value whose count reaches 0 is deleted
-- by the drainer in the same statement, so the check only guards against a
-- bug.  fillfactor leaves room for HOT updates of n, which touch no index;
-- an early vacuum keeps pages all-visible, so that the library's ordered
-- walks stay index-only as on the materialized view.
CREATE TABLE :"schema".:"live_build" (
    value       text COLLATE :live_collation,
    value_lower text COLLATE :live_collation,
    value_md5   text,
    n           bigint NOT NULL CHECK (n > 0),
    CHECK ((value IS NULL) <> (value_md5 IS NULL))
) WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

-- Same index as the materialized view's: the library's ORDER BY value LIMIT
-- and keyset pages get the same plans (index-only scans).
CREATE UNIQUE INDEX :"live_build_key" ON :"schema".:"live_build" (value) INCLUDE (value_lower);
CREATE INDEX :"live_build_trgm" ON :"schema".:"live_build" USING gin (value_lower :"trgm_schema".gin_trgm_ops);
-- NULLs are distinct, so this constrains long values only.
CREATE UNIQUE INDEX :"live_build_md5" ON :"schema".:"live_build" (value_md5);

-- Append-only and index-free: a changed source row costs one heap tuple here,
-- and a writer never waits.  The drainer
-- deletes what it applied; vacuum is asked for early so that the next
-- drain's scan stays short.
CREATE TABLE :"schema".:"live_pending" (
    plus      text[] COLLATE :live_collation NOT NULL DEFAULT '{}',
    minus     text[] COLLATE :live_collation NOT NULL DEFAULT '{}',
    times     integer NOT NULL DEFAULT 1,
    queued_at timestamptz NOT NULL DEFAULT pg_catalog.now()
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000,
        autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);

-- One row, written only by the drainer, rebuilds and TRUNCATE: never by an
-- ordinary writer.  truncations lets a rebuild tell whether a TRUNCATE
-- committed after its snapshot (it then must not clear needs_rebuild).
CREATE TABLE :"schema".:"live_state" (
    one             boolean PRIMARY KEY DEFAULT true CHECK (one),
    needs_rebuild   boolean NOT NULL,
    truncations     bigint NOT NULL DEFAULT 0,
    last_rebuild_at timestamptz,
    last_apply_at   timestamptz,
    value_count     bigint NOT NULL DEFAULT 0,
    long_values     bigint NOT NULL DEFAULT 0
);
INSERT INTO :"schema".:"live_state" (needs_rebuild) VALUES (true);

-- The distinct non-NULL elements of each array of a relation, one row each
-- with a weight, as a format() template taking the relation, the array
-- column and the weight.  An element is kept where it first occurs
-- (array_position stops there), which costs less than a DISTINCT per row;
-- that is quadratic in the array's length, so long arrays take the DISTINCT,
-- and so do arrays of more than one dimension, which array_position refuses.
-- Used by the drainer on the pending rows and by the rebuild on the source.
SELECT $fmt$
        SELECT e.v AS e, %3$s AS w
          FROM %1$s r CROSS JOIN LATERAL unnest(r.%2$s) WITH ORDINALITY AS e(v, i)
         WHERE cardinality(r.%2$s) <= 64 AND array_ndims(r.%2$s) = 1
           AND e.v IS NOT NULL AND array_position(r.%2$s, e.v) = e.i
        UNION ALL
        SELECT x.e, %3$s
          FROM %1$s r CROSS JOIN LATERAL (SELECT DISTINCT y.e FROM unnest(r.%2$s) AS y(e) WHERE y.e IS NOT NULL) AS x
         WHERE cardinality(r.%2$s) > 64 OR array_ndims(r.%2$s) > 1$fmt$ AS live_elements
\gset

-- Trigger functions run with the owner's rights so that writers need no
-- privilege on the pending table (and cannot forge deltas by hand).
-- INSERT and DELETE append each row's array as it is, one pending row per
-- source row that has elements: no aggregation on the writer's side (for a
-- 100,000-row statement that was as costly as the insert itself); the drainer
-- removes duplicates and NULL elements.
SELECT format($fmt$
CREATE FUNCTION %1$I.%2$I() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
BEGIN
    INSERT INTO %1$I.%3$I (%5$s)
    SELECT r.%6$I FROM %4$s r WHERE cardinality(r.%6$I) > 0;
    RETURN NULL;
END
$body$
$fmt$, :'schema', fn, :'live_pending', tbl, sign, :'source_column')
  FROM (VALUES (:'live_on_insert', 'new_rows', 'plus'), (:'live_on_delete', 'old_rows', 'minus')) AS t(fn, tbl, sign)
\gexec

-- Fired only for rows whose array changed (the trigger's WHEN), so updates of
-- other columns cost nothing.  Each side keeps its non-NULL elements where they
-- first occur (no duplicates) and that the other side lacks; array_position
-- compares as the column's collation does and stops at the first match, which
-- for arrays of usual lengths costs less than two EXCEPTs (a quarter of the
-- trigger's own time, measured).  Long arrays, where it would be quadratic,
-- and arrays of more than one dimension, which it refuses, take the EXCEPTs.
-- A permutation appends nothing.
SELECT format($fmt$
CREATE FUNCTION %1$I.%2$I() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    added text[];
    removed text[];
BEGIN
    IF cardinality(NEW.%4$I) > 64 OR cardinality(OLD.%4$I) > 64
       OR array_ndims(NEW.%4$I) > 1 OR array_ndims(OLD.%4$I) > 1 THEN
        added := ARRAY(SELECT a.e FROM (SELECT unnest(NEW.%4$I) EXCEPT SELECT unnest(OLD.%4$I)) AS a(e)
                        WHERE a.e IS NOT NULL);
        removed := ARRAY(SELECT r.e FROM (SELECT unnest(OLD.%4$I) EXCEPT SELECT unnest(NEW.%4$I)) AS r(e)
                          WHERE r.e IS NOT NULL);
    ELSE
        added := ARRAY(SELECT x.e FROM unnest(NEW.%4$I) WITH ORDINALITY AS x(e, i)
                        WHERE x.e IS NOT NULL AND array_position(NEW.%4$I, x.e) = x.i
                          AND array_position(OLD.%4$I, x.e) IS NULL);
        removed := ARRAY(SELECT x.e FROM unnest(OLD.%4$I) WITH ORDINALITY AS x(e, i)
                          WHERE x.e IS NOT NULL AND array_position(OLD.%4$I, x.e) = x.i
                            AND array_position(NEW.%4$I, x.e) IS NULL);
    END IF;
    IF cardinality(added) > 0 OR cardinality(removed) > 0 THEN
        INSERT INTO %1$I.%3$I (plus, minus) VALUES (added, removed);
    END IF;
    RETURN NULL;
END
$body$
$fmt$, :'schema', :'live_on_update', :'live_pending', :'source_column')
\gexec

-- TRUNCATE has no transition table: the set is marked for a rebuild, which
-- the next drain does.  The state row is written only here, by drains and by
-- rebuilds, never by ordinary writers; a drain that wrote it first makes the
-- TRUNCATE wait until the drain commits.  An apply never locks the source,
-- and a rebuild's statement locks the source before it writes the state row,
-- so neither can deadlock with a TRUNCATE (unless one transaction calls them
-- twice: then the second call fails, logged, like any deadlock).
SELECT format($fmt$
CREATE FUNCTION %1$I.%2$I() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
BEGIN
    UPDATE %1$I.%3$I SET needs_rebuild = true, truncations = truncations + 1;
    RETURN NULL;
END
$body$
$fmt$, :'schema', :'live_on_trunc', :'live_state')
\gexec

CREATE TRIGGER :"live_on_insert" AFTER INSERT ON :"schema".:"source_table"
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION :"schema".:"live_on_insert"();
CREATE TRIGGER :"live_on_delete" AFTER DELETE ON :"schema".:"source_table"
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION :"schema".:"live_on_delete"();
-- A statement-level UPDATE trigger would need transition tables, which cannot
-- have a column list: every UPDATE of any column would pay for them.
CREATE TRIGGER :"live_on_update" AFTER UPDATE OF :"source_column" ON :"schema".:"source_table"
    FOR EACH ROW WHEN (OLD.:"source_column" IS DISTINCT FROM NEW.:"source_column")
    EXECUTE FUNCTION :"schema".:"live_on_update"();
CREATE TRIGGER :"live_on_trunc" AFTER TRUNCATE ON :"schema".:"source_table"
    FOR EACH STATEMENT EXECUTE FUNCTION :"schema".:"live_on_trunc"();

-- The drainer and the rebuild share one body: the MV refresh function's
-- locking, argument checks and logging, with the refresh replaced by
--   apply:   one statement that deletes the pending deltas its snapshot
--            sees, sums them per value, updates, inserts or deletes the
--            touched rows of the set (each at most once) and keeps the
--            counts in the state row up to date;
--   rebuild: one statement that deletes the pending deltas and compares
--            the set with fresh counts from the source, in the same
--            snapshot, and writes only the rows that differ.
-- Only the lock holder writes the set, so a ctid read earlier in the same
-- statement still names the row.  A delta that would take a count below
-- zero, or remove a value the set lacks, cannot come from a correct history:
-- it marks the set for a rebuild rather than being trusted.
-- "concurrently" is true for an apply and false for a rebuild; readers are
-- blocked by neither.
SELECT format($fmt$
WITH consumed AS (
    DELETE FROM %1$I.%3$I p RETURNING p.plus, p.minus, p.times
), summed AS (
    SELECT d.e AS raw, sum(d.w) AS delta
      FROM (%5$s
            UNION ALL
            %6$s) AS d
     GROUP BY d.e
), keyed AS (
    SELECT CASE WHEN octet_length(s.raw) <= 1024 THEN s.raw END AS value,
           CASE WHEN octet_length(s.raw) > 1024 THEN md5(s.raw) END AS value_md5,
           s.delta
      FROM summed s WHERE s.delta <> 0
), cur AS (
    SELECT k.value, k.value_md5, k.delta, v.ctid AS tid, v.n
      FROM keyed k LEFT JOIN %1$I.%2$I v ON v.value = k.value
     WHERE k.value IS NOT NULL
    UNION ALL
    SELECT k.value, k.value_md5, k.delta, v.ctid, v.n
      FROM keyed k LEFT JOIN %1$I.%2$I v ON v.value_md5 = k.value_md5
     WHERE k.value_md5 IS NOT NULL
), upd AS (
    UPDATE %1$I.%2$I v SET n = c.n + c.delta
      FROM cur c WHERE v.ctid = c.tid AND c.n + c.delta > 0
    RETURNING 1
), del AS (
    DELETE FROM %1$I.%2$I v USING cur c
     WHERE v.ctid = c.tid AND c.n + c.delta <= 0
    RETURNING v.value_md5 IS NOT NULL AS long
), ins AS (
    INSERT INTO %1$I.%2$I (value, value_lower, value_md5, n)
    SELECT c.value, lower(c.value), c.value_md5, c.delta
      FROM cur c WHERE c.tid IS NULL AND c.delta > 0
    RETURNING value_md5 IS NOT NULL AS long
), tally AS (
    SELECT (SELECT count(*) FROM consumed) AS deltas,
           (SELECT count(*) FROM upd) AS updated,
           coalesce((SELECT sum(CASE WHEN i.long THEN 0 ELSE 1 END) FROM ins i), 0)
             - coalesce((SELECT sum(CASE WHEN d.long THEN 0 ELSE 1 END) FROM del d), 0) AS d_values,
           coalesce((SELECT sum(CASE WHEN i.long THEN 1 ELSE 0 END) FROM ins i), 0)
             - coalesce((SELECT sum(CASE WHEN d.long THEN 1 ELSE 0 END) FROM del d), 0) AS d_long,
           EXISTS (SELECT 1 FROM cur c WHERE c.n + c.delta < 0 OR c.tid IS NULL AND c.delta < 0) AS broken
)
UPDATE %1$I.%4$I st
   SET value_count = st.value_count + t.d_values,
       long_values = st.long_values + t.d_long,
       needs_rebuild = st.needs_rebuild OR t.broken,
       last_apply_at = clock_timestamp()
  FROM tally t
RETURNING st.value_count, st.long_values
$fmt$, :'schema', :'view', :'live_pending', :'live_state',
       format(:'live_elements', 'consumed', 'plus', 'r.times'),
       format(:'live_elements', 'consumed', 'minus', '-r.times')) AS live_apply_sql,
       format($fmt$
WITH consumed AS (
    DELETE FROM %1$I.%3$I p RETURNING 1
), seen AS (
    SELECT s.truncations FROM %1$I.%4$I s
), fresh AS (
    SELECT CASE WHEN octet_length(u.e) <= 1024 THEN u.e END AS value,
           CASE WHEN octet_length(u.e) > 1024 THEN md5(u.e) END AS value_md5,
           sum(u.w) AS n
      FROM (%6$s) AS u
     GROUP BY u.e
), j AS (
    SELECT f.value, f.value_md5, f.n, v.tid, v.n AS old_n, coalesce(f.value_md5, v.value_md5) IS NOT NULL AS long
      FROM (SELECT * FROM fresh WHERE value IS NOT NULL) f
      FULL JOIN (SELECT ctid AS tid, value, value_md5, n FROM %1$I.%2$I WHERE value IS NOT NULL) v
        ON v.value = f.value
    UNION ALL
    SELECT f.value, f.value_md5, f.n, v.tid, v.n, true
      FROM (SELECT * FROM fresh WHERE value_md5 IS NOT NULL) f
      FULL JOIN (SELECT ctid AS tid, value, value_md5, n FROM %1$I.%2$I WHERE value_md5 IS NOT NULL) v
        ON v.value_md5 = f.value_md5
), upd AS (
    UPDATE %1$I.%2$I v SET n = j.n FROM j
     WHERE v.ctid = j.tid AND j.n IS NOT NULL AND j.n <> j.old_n
    RETURNING 1
), del AS (
    DELETE FROM %1$I.%2$I v USING j WHERE v.ctid = j.tid AND j.n IS NULL
    RETURNING 1
), ins AS (
    INSERT INTO %1$I.%2$I (value, value_lower, value_md5, n)
    SELECT j.value, lower(j.value), j.value_md5, j.n FROM j WHERE j.tid IS NULL
    RETURNING 1
), tally AS (
    SELECT (SELECT count(*) FROM consumed) AS deltas,
           (SELECT count(*) FROM upd) + (SELECT count(*) FROM del) + (SELECT count(*) FROM ins) AS written,
           count(*) FILTER (WHERE j.n IS NOT NULL AND NOT j.long) AS n_values,
           count(*) FILTER (WHERE j.n IS NOT NULL AND j.long) AS n_long
      FROM j
)
UPDATE %1$I.%4$I st
   SET value_count = t.n_values,
       long_values = t.n_long,
       needs_rebuild = st.truncations <> (SELECT s.truncations FROM seen s),
       last_rebuild_at = clock_timestamp(),
       last_apply_at = clock_timestamp()
  FROM tally t
RETURNING st.value_count, st.long_values
$fmt$, :'schema', :'view', :'live_pending', :'live_state', :'source_table',
       format(:'live_elements', format('%I.%I', :'schema', :'source_table'),
              format('%I', :'source_column'), '1')) AS live_rebuild_sql
\gset

-- enable_sort is off because the planner, with no statistics on a CTE over
-- a data-modifying statement, estimates a handful of rows and sorts: a
-- backlog of 1.7 million elements would then go through an external sort
-- instead of a hash.  jit is off because the pending table's statistics are
-- stale by nature (it is emptied by every drain), and a compilation costs
-- more than a typical drain.  The weights are integers so that sum() stays
-- bigint, not numeric.  Same prologue as the materialized view's refresh
-- function (see install.sql): names baked in and quoted, fixed search_path, the advisory
-- lock (1952803693 << 32) | oid of the set, wait => false never waits
-- (lock_timeout 1ms for everything that takes a lock), the caller's
-- lock_timeout put back, every attempt past the lock logged, failures
-- (errors, lock timeouts, cancels) rolled back with the block, logged and
-- returned.
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
SET enable_sort = off
SET jit = off
AS $body$
DECLARE
    v_saved_lock_timeout text;
    v_oid                oid;
    v_key                bigint;
    v_rebuild            boolean := %8$s;
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

    SELECT c.oid INTO v_oid
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = %3$L AND c.relname = %4$L AND c.relkind = 'r';
    IF v_oid IS NULL THEN
        RAISE EXCEPTION 'libtechmv: live set %%.%% does not exist', %3$L, %4$L
            USING ERRCODE = '42P01';
    END IF;
    v_key := (1952803693::bigint << 32) | v_oid::bigint;

    v_saved_lock_timeout := current_setting('lock_timeout');
    v_start := clock_timestamp();

    IF wait THEN
        PERFORM set_config('lock_timeout', lock_timeout_ms || 'ms', true);
        BEGIN
            PERFORM pg_advisory_xact_lock(v_key);
        EXCEPTION WHEN lock_not_available THEN
            GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
            v_status := 'timeout';
        END;
    ELSE
        PERFORM set_config('lock_timeout', '1ms', true);
        IF NOT pg_try_advisory_xact_lock(v_key) THEN
            PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
            RETURN QUERY SELECT 'busy'::text, NULL::boolean, NULL::timestamptz, NULL::double precision,
                                NULL::bigint, NULL::text, NULL::text, NULL::bigint;
            RETURN;
        END IF;
    END IF;

    IF v_status IS NULL THEN
        v_start := clock_timestamp();
        BEGIN
            IF NOT v_rebuild THEN
                SELECT s.needs_rebuild INTO v_rebuild FROM %3$I.%7$I s;
            END IF;
            IF v_rebuild THEN
                %6$s
                INTO v_rows, v_long;
            ELSE
                %5$s
                INTO v_rows, v_long;
            END IF;
            v_duration := extract(epoch FROM clock_timestamp() - v_start)::double precision * 1000;
            IF wait THEN
                PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);
            END IF;
            INSERT INTO %3$I.%9$I (status, started_at, duration_ms, row_count, "concurrently", long_values)
            VALUES ('refreshed', v_start, v_duration, v_rows, NOT v_rebuild, v_long);
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

    PERFORM set_config('lock_timeout', v_saved_lock_timeout, true);

    IF v_status <> 'refreshed' THEN
        v_rows := NULL;
        v_long := NULL;
        v_duration := extract(epoch FROM clock_timestamp() - v_start)::double precision * 1000;
        INSERT INTO %3$I.%9$I (status, started_at, duration_ms, "concurrently", sqlstate, message)
        VALUES (v_status, v_start, v_duration, NOT v_rebuild, v_sqlstate, v_message);
    END IF;

    -- A drainer runs every second or so: the log keeps its last 1,000
    -- drains (successful or not), the last successful one whatever its
    -- age, and every rebuild.  Each drain deletes what fell out of that
    -- window, a row or so, found through the started_at index; a failure
    -- to prune fails nothing.
    IF NOT v_rebuild THEN
        BEGIN
            DELETE FROM %3$I.%9$I l
             WHERE l."concurrently"
               AND l.started_at < (SELECT x.started_at FROM %3$I.%9$I x WHERE x."concurrently"
                                    ORDER BY x.started_at DESC OFFSET 999 LIMIT 1)
               AND l.id <> coalesce((SELECT y.id FROM %3$I.%9$I y WHERE y."concurrently" AND y.status = 'refreshed'
                                      ORDER BY y.started_at DESC LIMIT 1), 0);
        EXCEPTION WHEN OTHERS THEN
            NULL;
        END;
    END IF;

    RETURN QUERY SELECT v_status, NOT v_rebuild, v_start, v_duration, v_rows, v_sqlstate, v_message, v_long;
END
$body$
$fmt$,
    :'schema', fn, :'schema', :'view', :'live_apply_sql', :'live_rebuild_sql',
    :'live_state', rebuild::text, :'log_table')
  FROM (VALUES (:'refresh_func', false), (:'live_rebuild', true)) AS t(fn, rebuild)
\gexec

-- Runs with the owner's rights, so only for those granted it.
REVOKE ALL ON FUNCTION :"schema".:"refresh_func"(boolean, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION :"schema".:"live_rebuild"(boolean, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION :"schema".:"live_on_insert"() FROM PUBLIC;
REVOKE ALL ON FUNCTION :"schema".:"live_on_update"() FROM PUBLIC;
REVOKE ALL ON FUNCTION :"schema".:"live_on_delete"() FROM PUBLIC;
REVOKE ALL ON FUNCTION :"schema".:"live_on_trunc"() FROM PUBLIC;

-- What monitoring needs, without touching the set: the pending table is short
-- when drains keep up, and the state row is one row.  pending_changes counts
-- pending rows (about one per changed row or statement), pending_values the
-- value deltas they carry.  Nothing here waits for
-- a drain or a rebuild.
SELECT format($fmt$
CREATE VIEW %1$I.%2$I AS
SELECT 'live'::text                                                      AS mode,
       p.pending_changes,
       p.pending_values,
       extract(epoch FROM pg_catalog.now() - p.oldest)::double precision AS oldest_pending_age_seconds,
       s.needs_rebuild,
       s.last_apply_at,
       s.last_rebuild_at,
       s.value_count,
       s.long_values
  FROM %1$I.%3$I s
 CROSS JOIN (SELECT pg_catalog.count(*) AS pending_changes,
                    COALESCE(pg_catalog.sum(pg_catalog.cardinality(q.plus) + pg_catalog.cardinality(q.minus)), 0)
                        AS pending_values,
                    pg_catalog.min(q.queued_at) AS oldest
               FROM %1$I.%4$I q) p
$fmt$, :'schema', :'live_status', :'live_state', :'live_pending')
\gexec

COMMENT ON TABLE :"schema".:"live_build" IS :'live_marker';
COMMENT ON INDEX :"schema".:"live_build_key" IS :'live_marker';
COMMENT ON INDEX :"schema".:"live_build_trgm" IS :'live_marker';
COMMENT ON INDEX :"schema".:"live_build_md5" IS :'live_marker';
COMMENT ON TABLE :"schema".:"live_pending" IS :'live_marker';
COMMENT ON TABLE :"schema".:"live_state" IS :'live_marker';
SELECT format('COMMENT ON INDEX %I.%I IS %L', :'schema', i.relname, :'live_marker')
  FROM pg_catalog.pg_index x
  JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
 WHERE x.indrelid = format('%I.%I', :'schema', :'live_state')::regclass
\gexec
COMMENT ON VIEW :"schema".:"live_status" IS :'live_marker';
COMMENT ON FUNCTION :"schema".:"refresh_func"(boolean, integer) IS :'live_marker';
COMMENT ON FUNCTION :"schema".:"live_rebuild"(boolean, integer) IS :'live_marker';
COMMENT ON FUNCTION :"schema".:"live_on_insert"() IS :'live_marker';
COMMENT ON FUNCTION :"schema".:"live_on_update"() IS :'live_marker';
COMMENT ON FUNCTION :"schema".:"live_on_delete"() IS :'live_marker';
COMMENT ON FUNCTION :"schema".:"live_on_trunc"() IS :'live_marker';
COMMENT ON TRIGGER :"live_on_insert" ON :"schema".:"source_table" IS :'live_marker';
COMMENT ON TRIGGER :"live_on_update" ON :"schema".:"source_table" IS :'live_marker';
COMMENT ON TRIGGER :"live_on_delete" ON :"schema".:"source_table" IS :'live_marker';
COMMENT ON TRIGGER :"live_on_trunc" ON :"schema".:"source_table" IS :'live_marker';

\if :{?refresh_role}
GRANT EXECUTE ON FUNCTION :"schema".:"refresh_func"(boolean, integer) TO :"refresh_role";
GRANT EXECUTE ON FUNCTION :"schema".:"live_rebuild"(boolean, integer) TO :"refresh_role";
GRANT SELECT ON :"schema".:"live_build", :"schema".:"live_status" TO :"refresh_role";
\endif

-- The first population is a rebuild, logged like any other; with
-- populate=off the set stays empty and marked, and the first drain fills it.
-- The triggers exist already, so changes committed meanwhile are not lost:
-- the rebuild's snapshot either sees a change in the source or leaves its
-- deltas pending.
\if :populate
SELECT r.status AS live_populate_status, r.row_count AS live_populate_rows,
       coalesce(r.long_values, 0) AS live_populate_long,
       coalesce(r.sqlstate, '') AS live_populate_sqlstate, coalesce(r.message, '') AS live_populate_message
  FROM :"schema".:"live_rebuild"() AS r
\gset
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              CASE WHEN :'live_populate_sqlstate' ~ '^[0-9A-Z]{5}$' THEN :'live_populate_sqlstate' ELSE 'XX000' END,
              format('libtechmv: populating %I.%I failed (%s): %s', :'schema', :'view',
                     :'live_populate_status', :'live_populate_message'))
 WHERE :'live_populate_status' <> 'refreshed'
\gexec
ANALYZE :"schema".:"view";
\echo 'libtechmv: populated live set' :"schema"'.':"view" 'with' :live_populate_rows 'values,' :live_populate_long 'too long to serve'
\endif

\endif
