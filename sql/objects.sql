-- libtechmv: find the objects the variables name, and tell which of them an
-- install.sql made.  Included by install.sql and rollback.sql inside their
-- transaction, after names.sql; not meant to be run alone.
--
-- Fills pg_temp.techmv_objects (one row per name, found or not) and sets
-- :installed_version: 0 when there is no view of that name, 1, 2 or 3 for a
-- view of ours of that schema version, -1 for a same-named relation that is
-- not ours.
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
                         :'log_started', :'status_view')
), fn AS (
    SELECT p.oid, p.prosecdef,
           pg_catalog.obj_description(p.oid, 'pg_proc') AS cmt,
           pg_catalog.pg_get_function_result(p.oid) AS result,
           l.lanname
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_catalog.pg_language l ON l.oid = p.prolang
     WHERE n.nspname = :'schema'
       AND p.proname = :'refresh_func'
       AND p.proargtypes = '16 23'::pg_catalog.oidvector  -- (boolean, integer)
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
            SELECT 'pg_proc', oid, cmt FROM fn) r
), v AS (
    SELECT r.oid, r.cmt,
           CASE WHEN r.relkind <> 'm' THEN -1
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
), expected(kind, name) AS (
    VALUES ('materialized view', :'view'),
           ('index', :'value_key'),
           ('index', :'value_trgm'),
           ('table', :'log_table'),
           ('index', :'log_started'),
           ('function', :'refresh_func' || '(boolean, integer)'),
           ('view', :'status_view')
)
SELECT e.kind, e.name, o.oid, o.oid IS NOT NULL AS found,
       e.kind || ' ' || CASE WHEN e.kind = 'function' THEN quote_ident(:'refresh_func') || '(boolean, integer)'
                             ELSE quote_ident(e.name) END AS label,
       coalesce(o.ours, false) AS ours, o.cmt, o.version,
       -- install.sql also requires the very variables it runs with.
       coalesce(o.ours AND (o.cmt = :'marker' OR o.cmt = :'old_comment'
                            OR o.cmt IS NULL AND (SELECT v.cmt FROM v) = :'old_comment'), false) AS same_source
  FROM expected e
  LEFT JOIN LATERAL (
        SELECT v.oid, v.cmt, v.version > 0 AS ours, v.version
          FROM v WHERE e.kind = 'materialized view'
        UNION ALL
        SELECT r.oid, r.cmt,
               r.relkind = 'i'
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x JOIN v ON v.oid = x.indrelid
                            WHERE x.indexrelid = r.oid AND v.version > 0),
               NULL
          FROM rel r WHERE e.kind = 'index' AND r.relname IN (:'value_key', :'value_trgm') AND r.relname = e.name
        UNION ALL
        SELECT l.oid, l.cmt,
               l.relkind = 'r'
               AND (l.version IS NOT NULL
                    OR l.cmt IS NULL AND (SELECT ours FROM old_view)
                       AND l.shape = 'id bigint, started_at timestamp with time zone, duration_ms double precision, '
                                     'row_count bigint, concurrently boolean, refreshed_by text'),
               NULL
          FROM log l WHERE e.kind = 'table'
        UNION ALL
        SELECT r.oid, r.cmt,
               r.relkind = 'i'
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_index x JOIN log l ON l.oid = x.indrelid
                            WHERE x.indexrelid = r.oid
                              AND (l.version IS NOT NULL OR (SELECT ours FROM old_view))),
               NULL
          FROM rel r WHERE e.kind = 'index' AND r.relname = :'log_started' AND r.relname = e.name
        UNION ALL
        SELECT f.oid, f.cmt,
               m.version IS NOT NULL
               OR f.cmt IS NULL AND (SELECT ours FROM old_view) AND f.prosecdef AND f.lanname = 'plpgsql'
                  AND f.result = 'TABLE(status text, "concurrently" boolean, started_at timestamp with time zone, '
                                 'duration_ms double precision, row_count bigint)',
               NULL
          FROM fn f JOIN marked m ON m.cat = 'pg_proc' AND m.oid = f.oid WHERE e.kind = 'function'
        UNION ALL
        SELECT r.oid, r.cmt, r.relkind = 'v' AND m.version IS NOT NULL, NULL
          FROM rel r JOIN marked m ON m.cat = 'pg_class' AND m.oid = r.oid WHERE e.kind = 'view' AND r.relname = e.name
       ) o ON true;

SELECT coalesce((SELECT o.version FROM techmv_objects o
                  WHERE o.kind = 'materialized view' AND o.found), 0) AS installed_version
\gset
