-- libtechmv: find the objects the variables name, and tell which of them an
-- install.sql made.  Included by install.sql and rollback.sql inside their
-- transaction, after names.sql; not meant to be run alone.
--
-- Fills pg_temp.techmv_objects (one row per name, found or not; one per
-- trigger found) and sets :installed_version: 0 when there is no view of
-- that name, 1 to 4 for a view of ours of that schema version, -1 for a
-- same-named relation that is not ours; and :installed_mode: 'view' (a
-- materialized view), 'live' (live.sql's table, marked "mode":"live") or ''.
-- Each row says which mode the object belongs to ('common' to both), its
-- role, and the statement that drops it (NULL for indexes, which go with
-- their table) with the order of the drops: dependents first, but the set
-- (on which nothing of ours depends) before all, since it may wait for its
-- readers, and dropping a trigger locks the source table until the commit.
--
-- An object is ours when its comment carries the marker of this schema and
-- view.  Versions 1 and 2 commented only the view, so their log table and
-- function count as ours only next to a view of ours, uncommented, and of
-- exactly the shape those versions created: a user's table or function that
-- merely shares the derived name must never be taken for ours.

CREATE TEMP TABLE techmv_objects ON COMMIT DROP AS
WITH rel AS (
    SELECT c.oid, c.relname, c.relkind,
           pg_catalog.obj_description(c.oid, 'pg_class') AS cmt
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = :'schema'
       AND c.relname IN (:'view', :'value_key', :'value_trgm', :'log_table',
                         :'log_started', :'status_view', :'live_md5_key',
                         :'live_pending', :'live_state', :'live_status',
                         :'grams', :'grams_key', :'gram_n', :'gram_n_key',
                         :'gvals', :'gvals_key')
), fn AS (
    SELECT p.oid, p.proname, p.prosecdef,
           pg_catalog.obj_description(p.oid, 'pg_proc') AS cmt,
           pg_catalog.pg_get_function_result(p.oid) AS result,
           l.lanname
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE n.nspname = :'schema'
       AND (p.proname IN (:'refresh_func', :'live_rebuild')
            AND p.proargtypes = '16 23'::pg_catalog.oidvector  -- (boolean, integer)
            OR p.proname IN (:'live_on_insert', :'live_on_update', :'live_on_delete', :'live_on_trunc',
                             :'gram_trg', :'grams_sync')
            AND p.pronargs = 0
            OR p.proname = :'grams_apply' AND p.proargtypes = '1009 1009 1009 1009'::pg_catalog.oidvector
            OR p.proname = :'search_func' AND p.proargtypes = '25 23 23 25 16'::pg_catalog.oidvector)
), trg AS (
    -- Live mode's triggers sit on the source table, which rollback.sql is
    -- not told: they are found by name on the source named, or on any table
    -- where they call one of our trigger functions.
    SELECT t.oid, t.tgname, pg_catalog.obj_description(t.oid, 'pg_trigger') AS cmt,
           pg_catalog.format('%I.%I', tn.nspname, tc.relname) AS on_table
      FROM pg_catalog.pg_trigger t
      JOIN pg_catalog.pg_class tc ON tc.oid = t.tgrelid
      JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
     WHERE NOT t.tgisinternal
       AND t.tgname IN (:'live_on_insert', :'live_on_update', :'live_on_delete', :'live_on_trunc',
                        :'gram_ins', :'gram_del')
       AND (t.tgfoid IN (SELECT fn.oid FROM fn)
            OR tn.nspname = :'schema' AND tc.relname = :'source_table')
), marked AS (
    -- The version a marker names, when it is the marker of this schema and
    -- view (whatever source it was installed from).
    SELECT r.cat, r.oid,
           CASE WHEN r.cmt ~ '^libtechmv schema [0-9]+: '
                 AND pg_catalog.starts_with(pg_catalog.regexp_replace(r.cmt, '^libtechmv schema [0-9]+: ', ''),
                                            :'marker_head')
                THEN pg_catalog.substring(r.cmt, '^libtechmv schema ([0-9]+): ')::integer
           END AS version
      FROM (SELECT 'pg_class' AS cat, oid, cmt FROM rel
            UNION ALL
            SELECT 'pg_proc', oid, cmt FROM fn
            UNION ALL
            SELECT 'pg_trigger', oid, cmt FROM trg) r
), v AS (
    SELECT r.oid, r.cmt, r.relkind,
           CASE WHEN r.relkind = 'r' THEN
                     CASE WHEN m.version IN (3, 4) AND r.cmt LIKE '%"mode":"live"}' THEN m.version ELSE -1 END
                WHEN r.relkind <> 'm' THEN -1
                WHEN m.version IS NOT NULL THEN m.version
                WHEN r.cmt LIKE 'libtechmv: %' THEN
                     CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                                        WHERE a.attrelid = r.oid AND a.attname = 'value_lower'
                                          AND NOT a.attisdropped)
                          THEN 2 ELSE 1 END
                ELSE -1
           END AS version
      FROM rel r JOIN marked m ON m.cat = 'pg_class' AND m.oid = r.oid
     WHERE r.relname = :'view'
), log AS (
    SELECT r.oid, r.relkind, r.cmt, m.version,
           (SELECT pg_catalog.string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod),
                                         ', ' ORDER BY a.attnum)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped) AS shape
      FROM rel r JOIN marked m ON m.cat = 'pg_class' AND m.oid = r.oid
     WHERE r.relname = :'log_table'
), old_view AS (
    SELECT EXISTS (SELECT 1 FROM v WHERE v.version IN (1, 2)) AS ours
), expected(kind, name, role, mode, drop_order) AS (
    VALUES ('materialized view', :'view', 'set', 'common', 0),
           ('index', :'value_key', 'index', 'common', NULL),
           ('index', :'value_trgm', 'index', 'common', NULL),
           ('table', :'log_table', 'log', 'common', 5),
           ('index', :'log_started', 'log_index', 'common', NULL),
           ('function', :'refresh_func', 'refresh', 'common', 4),
           ('view', :'status_view', 'status', 'common', 2),
           ('index', :'live_md5_key', 'index', 'live', NULL),
           ('table', :'live_pending', 'table', 'live', 5),
           ('table', :'live_state', 'table', 'live', 5),
           ('view', :'live_status', 'live_status', 'live', 3),
           ('function', :'live_rebuild', 'rebuild', 'live', 4),
           ('trigger function', :'live_on_insert', 'trigger function', 'live', 4),
           ('trigger function', :'live_on_update', 'trigger function', 'live', 4),
           ('trigger function', :'live_on_delete', 'trigger function', 'live', 4),
           ('trigger function', :'live_on_trunc', 'trigger function', 'live', 4),
           ('trigger', :'live_on_insert', 'trigger', 'live', 1),
           ('trigger', :'live_on_update', 'trigger', 'live', 1),
           ('trigger', :'live_on_delete', 'trigger', 'live', 1),
           ('trigger', :'live_on_trunc', 'trigger', 'live', 1),
           ('table', :'grams', 'table', 'common', 5),
           ('index', :'grams_key', 'postings_index', 'common', NULL),
           ('table', :'gram_n', 'table', 'common', 5),
           ('index', :'gram_n_key', 'postings_index', 'common', NULL),
           ('function', :'grams_apply', 'function', 'common', 4),
           ('function', :'search_func', 'function', 'common', 4),
           ('table', :'gvals', 'table', 'view', 5),
           ('index', :'gvals_key', 'postings_index', 'view', NULL),
           ('function', :'grams_sync', 'function', 'view', 4),
           ('trigger function', :'gram_trg', 'trigger function', 'live', 4),
           -- on the set, and dropped with it
           ('trigger', :'gram_ins', 'trigger', 'live', NULL),
           ('trigger', :'gram_del', 'trigger', 'live', NULL)
), found AS (
SELECT e.role, e.mode, e.drop_order, e.name,
       coalesce(o.kind, e.kind) AS kind, o.oid, o.oid IS NOT NULL AS found,
       o.on_table,
       coalesce(o.ours, false) AS ours, o.cmt, o.version
  FROM expected e
  LEFT JOIN LATERAL (
        SELECT v.oid, v.cmt, v.version > 0 AS ours, v.version,
               CASE v.relkind WHEN 'm' THEN 'materialized view' WHEN 'r' THEN 'table' ELSE 'relation' END AS kind,
               NULL AS on_table
          FROM v WHERE e.role = 'set'
        UNION ALL
        SELECT r.oid, r.cmt,
               r.relkind = 'i'
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x JOIN v ON v.oid = x.indrelid
                            WHERE x.indexrelid = r.oid AND v.version > 0),
               NULL, NULL, NULL
          FROM rel r WHERE e.role = 'index' AND r.relname = e.name
        UNION ALL
        SELECT l.oid, l.cmt,
               l.relkind = 'r'
               AND (l.version IS NOT NULL
                    OR l.cmt IS NULL AND (SELECT ours FROM old_view)
                       AND l.shape = 'id bigint, started_at timestamp with time zone, duration_ms double precision, '
                                     'row_count bigint, concurrently boolean, refreshed_by text'),
               NULL, NULL, NULL
          FROM log l WHERE e.role = 'log'
        UNION ALL
        SELECT r.oid, r.cmt,
               r.relkind = 'i'
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x JOIN log l ON l.oid = x.indrelid
                            WHERE x.indexrelid = r.oid
                              AND (l.version IS NOT NULL OR (SELECT ours FROM old_view))),
               NULL, NULL, NULL
          FROM rel r WHERE e.role = 'log_index' AND r.relname = e.name
        UNION ALL
        -- The postings' indexes are ours on a table of ours.
        SELECT r.oid, r.cmt,
               r.relkind = 'i' AND m.version IS NOT NULL
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x JOIN rel t ON t.oid = x.indrelid
                            JOIN marked tm ON tm.cat = 'pg_class' AND tm.oid = t.oid
                            WHERE x.indexrelid = r.oid AND tm.version IS NOT NULL),
               NULL, NULL, NULL
          FROM rel r JOIN marked m ON m.cat = 'pg_class' AND m.oid = r.oid
         WHERE e.role = 'postings_index' AND r.relname = e.name
        UNION ALL
        SELECT f.oid, f.cmt,
               m.version IS NOT NULL
               OR e.role = 'refresh' AND f.cmt IS NULL AND (SELECT ours FROM old_view) AND f.prosecdef
                  AND f.lanname = 'plpgsql'
                  AND f.result = 'TABLE(status text, "concurrently" boolean, started_at timestamp with time zone, '
                                 'duration_ms double precision, row_count bigint)',
               NULL, NULL, NULL
          FROM fn f JOIN marked m ON m.cat = 'pg_proc' AND m.oid = f.oid
         WHERE e.role IN ('refresh', 'rebuild', 'trigger function', 'function') AND f.proname = e.name
           AND (e.role = 'trigger function') = (f.result = 'trigger')
        UNION ALL
        SELECT r.oid, r.cmt,
               r.relkind = CASE WHEN e.kind = 'view' THEN 'v' ELSE 'r' END AND m.version IS NOT NULL,
               NULL, NULL, NULL
          FROM rel r JOIN marked m ON m.cat = 'pg_class' AND m.oid = r.oid
         WHERE e.role IN ('status', 'live_status', 'table') AND r.relname = e.name
        UNION ALL
        SELECT t.oid, t.cmt, m.version IS NOT NULL, NULL, NULL, t.on_table
          FROM trg t JOIN marked m ON m.cat = 'pg_trigger' AND m.oid = t.oid
         WHERE e.role = 'trigger' AND t.tgname = e.name
       ) o ON true
)
SELECT f.kind, f.name, f.role, f.mode, f.oid, f.found, f.ours, f.cmt, f.version,
       f.kind || ' ' || CASE WHEN f.role IN ('refresh', 'rebuild') THEN quote_ident(f.name) || '(boolean, integer)'
                             WHEN f.role = 'trigger function' THEN quote_ident(f.name) || '()'
                             WHEN f.role = 'function' THEN quote_ident(f.name) || '('
                                  || coalesce((SELECT pg_catalog.oidvectortypes(p.proargtypes) FROM pg_catalog.pg_proc p WHERE p.oid = f.oid), '') || ')'
                             WHEN f.role = 'trigger' THEN quote_ident(f.name) || coalesce(' on ' || f.on_table, '')
                             ELSE quote_ident(f.name) END AS label,
       -- install.sql also requires the very variables it runs with (in
       -- either mode: a switch keeps the source), whatever the version.
       coalesce(f.ours AND (pg_catalog.regexp_replace(f.cmt, '^libtechmv schema [0-9]+: ', '')
                            IN (pg_catalog.regexp_replace(:'marker', '^libtechmv schema [0-9]+: ', ''),
                                pg_catalog.regexp_replace(:'live_marker', '^libtechmv schema [0-9]+: ', ''))
                            OR f.cmt = :'old_comment'
                            OR f.cmt IS NULL
                               AND (SELECT v.cmt FROM v) = :'old_comment'), false) AS same_source,
       CASE WHEN NOT f.found OR f.drop_order IS NULL THEN NULL
            WHEN f.role = 'trigger' THEN format('DROP TRIGGER %I ON %s', f.name, f.on_table)
            WHEN f.role IN ('refresh', 'rebuild') THEN format('DROP FUNCTION %I.%I(boolean, integer)', :'schema', f.name)
            WHEN f.role = 'trigger function' THEN format('DROP FUNCTION %I.%I()', :'schema', f.name)
            WHEN f.role = 'function' THEN format('DROP FUNCTION %I.%I(%s)', :'schema', f.name,
                                                 (SELECT pg_catalog.oidvectortypes(p.proargtypes) FROM pg_catalog.pg_proc p WHERE p.oid = f.oid))
            WHEN f.kind = 'materialized view' THEN format('DROP MATERIALIZED VIEW %I.%I', :'schema', f.name)
            WHEN f.kind = 'view' THEN format('DROP VIEW %I.%I', :'schema', f.name)
            WHEN f.kind = 'table' THEN format('DROP TABLE %I.%I', :'schema', f.name)
       END AS drop_stmt,
       f.drop_order
  FROM found f;

SELECT coalesce((SELECT o.version FROM techmv_objects o
                  WHERE o.role = 'set' AND o.found), 0) AS installed_version,
       coalesce((SELECT CASE o.kind WHEN 'table' THEN 'live' ELSE 'view' END FROM techmv_objects o
                  WHERE o.role = 'set' AND o.found AND o.version > 0), '') AS installed_mode
\gset
