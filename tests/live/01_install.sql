-- The install: objects, markers, rights, initial population, idempotence.
\set testdb t_install
\ir setup.psql
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; s text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP s := s || r || E'\n'; END LOOP;
    RETURN s;
END $$;

SELECT matches(:'out'::text, 'exit=0$', 'live.sql installs');
SELECT has_table('mv_distinct_technologies');
SELECT columns_are('mv_distinct_technologies', ARRAY['value', 'value_lower', 'value_md5', 'n']);
SELECT col_type_is('mv_distinct_technologies', 'n', 'bigint');
SELECT col_not_null('mv_distinct_technologies', 'n');
SELECT is((SELECT indexdef FROM pg_indexes WHERE indexname = 'mv_distinct_technologies_value_key'),
          'CREATE UNIQUE INDEX mv_distinct_technologies_value_key ON public.mv_distinct_technologies USING btree (value) INCLUDE (value_lower)',
          'the unique index on value includes value_lower');
SELECT is((SELECT indexdef FROM pg_indexes WHERE indexname = 'mv_distinct_technologies_value_trgm'),
          'CREATE INDEX mv_distinct_technologies_value_trgm ON public.mv_distinct_technologies USING gin (value_lower gin_trgm_ops)',
          'the trigram index');
SELECT is((SELECT indexdef FROM pg_indexes WHERE indexname = 'mv_distinct_technologies_value_md5'),
          'CREATE UNIQUE INDEX mv_distinct_technologies_value_md5 ON public.mv_distinct_technologies USING btree (value_md5)',
          'long values are unique by md5');
SELECT has_table('mv_distinct_technologies_pending');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 'mv_distinct_technologies_pending'::regclass), 0::bigint,
          'the pending table has no index');
SELECT has_table('mv_distinct_technologies_live_state');
SELECT has_view('mv_distinct_technologies_live_status');
SELECT has_function('mv_distinct_technologies_refresh', ARRAY['boolean', 'integer']);
SELECT has_function('mv_distinct_technologies_rebuild', ARRAY['boolean', 'integer']);
SELECT is(pg_get_function_result('mv_distinct_technologies_refresh(boolean,integer)'::regprocedure),
          'TABLE(status text, "concurrently" boolean, started_at timestamp with time zone, duration_ms double precision, row_count bigint, sqlstate text, message text, long_values bigint)',
          'the drainer returns what the materialized view''s refresh returns');
SELECT is(pg_get_function_arguments('mv_distinct_technologies_refresh(boolean,integer)'::regprocedure),
          'wait boolean DEFAULT true, lock_timeout_ms integer DEFAULT 0', 'and takes the same arguments');
SELECT triggers_are('companies', ARRAY['mv_distinct_technologies_on_insert', 'mv_distinct_technologies_on_update',
                                       'mv_distinct_technologies_on_delete', 'mv_distinct_technologies_on_truncate']);

-- Every object carries the marker.
SELECT is(array_agg(o ORDER BY o), NULL, 'every object is marked')
  FROM (SELECT c.relname::text AS o FROM pg_class c
         WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'mv_distinct_technologies%'
           AND c.relname <> 'mv_distinct_technologies_refresh_log' AND c.relname NOT LIKE 'mv_distinct_technologies_refresh_log%'
           AND obj_description(c.oid, 'pg_class') IS DISTINCT FROM
               'libtechmv schema 4: {"schema":"public","view":"mv_distinct_technologies","source_table":"companies","source_column":"technologies","id_column":"id","mode":"live"}'
        UNION ALL
        SELECT p.proname FROM pg_proc p
         WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'mv_distinct_technologies%'
           AND obj_description(p.oid, 'pg_proc') NOT LIKE 'libtechmv schema 4: %"mode":"live"}'
        UNION ALL
        SELECT t.tgname FROM pg_trigger t
         WHERE t.tgrelid = 'companies'::regclass
           AND obj_description(t.oid, 'pg_trigger') NOT LIKE 'libtechmv schema 4: %"mode":"live"}') x;

-- SECURITY DEFINER with a fixed search_path, and nobody else may run them.
SELECT is(array_agg(p.proname::text ORDER BY p.proname), NULL, 'all functions are definer, pinned and not public')
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'mv_distinct_technologies%'
   AND NOT (p.prosecdef AND p.proconfig[1] = 'search_path=pg_catalog, pg_temp'
            AND NOT has_function_privilege('public', p.oid, 'EXECUTE'));

-- The initial population is a logged rebuild and exact.
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'populated with exact values and counts');
SELECT results_eq($$SELECT status, "concurrently", row_count, long_values FROM mv_distinct_technologies_refresh_log$$,
                  $$SELECT 'refreshed', false, count(value), count(value_md5) FROM expected$$,
                  'the population is logged as a rebuild');
SELECT results_eq($$SELECT mode, pending_changes, oldest_pending_age_seconds, needs_rebuild, value_count, long_values
                      FROM mv_distinct_technologies_live_status$$,
                  $$SELECT 'live', 0::bigint, NULL::float8, false, count(value), count(value_md5) FROM expected$$,
                  'the status view');
SELECT isnt((SELECT last_rebuild_at FROM mv_distinct_technologies_live_status), NULL, 'last_rebuild_at is set');

-- The library's list query plans as on the materialized view: an
-- index-only walk of the unique index.
VACUUM ANALYZE mv_distinct_technologies;
SELECT matches(pg_temp.plan_of($$SELECT v.value FROM mv_distinct_technologies v
                                  WHERE v.value IS NOT NULL
                                    AND v.value > 'M' ORDER BY v.value LIMIT 26$$),
               '^Limit\s+->  Index Only Scan using mv_distinct_technologies_value_key',
               'the list query walks the unique index, index-only');

-- A second run changes nothing.
SELECT xmin AS state_xmin FROM mv_distinct_technologies_live_state
\gset
\set out2 `psql -X -q -1 -v ON_ERROR_STOP=1 -v trgm_schema=public -f "$TECHMV_SQLDIR/names.sql" -f "$TECHMV_SQLDIR/live.sql" 2>&1; echo "exit=$?"`
SELECT is(:'out2'::text, 'exit=0', 'a second install succeeds silently');
SELECT is((SELECT xmin::text FROM mv_distinct_technologies_live_state), :'state_xmin', 'and writes nothing');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), 1::bigint, 'nor rebuilds');

-- A same-named object that is not ours stops the install.
CREATE TABLE other_mv (value text);
\set out3 `psql -X -q -1 -v ON_ERROR_STOP=1 -v trgm_schema=public -v view=other_mv -f "$TECHMV_SQLDIR/names.sql" -f "$TECHMV_SQLDIR/live.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out3'::text, 'already exists and is not the live set of this source.*exit=3$', 'a foreign object is refused');

-- populate=off leaves the set empty and marked; the first drain fills it.
\set out4 `psql -X -q -1 -v ON_ERROR_STOP=1 -v trgm_schema=public -v view=lazy -v populate=off -f "$TECHMV_SQLDIR/names.sql" -f "$TECHMV_LIVE_TESTDIR/common.sql" -f "$TECHMV_SQLDIR/live.sql" 2>&1; echo "exit=$?"`
SELECT is(:'out4'::text, 'exit=0', 'populate=off installs silently');
SELECT is((SELECT count(*) FROM lazy), 0::bigint, 'and leaves the set empty');
SELECT is((SELECT needs_rebuild FROM lazy_live_status), true, 'marked for a rebuild');
SELECT results_eq($$SELECT status, "concurrently" FROM lazy_refresh()$$, $$VALUES ('refreshed', false)$$,
                  'the first drain rebuilds');
SELECT bag_eq('SELECT value, value_md5, n FROM lazy', 'SELECT * FROM expected', 'and fills the set');

-- The longest view name allowed fits every derived name.
\set out5 `psql -X -q -1 -v ON_ERROR_STOP=1 -v trgm_schema=public -v view=v2345678901234567890123456789012345678901234567890 -f "$TECHMV_SQLDIR/names.sql" -f "$TECHMV_LIVE_TESTDIR/common.sql" -f "$TECHMV_SQLDIR/live.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out5'::text, 'exit=0$', 'a 50-byte view name installs');
SELECT has_view('v2345678901234567890123456789012345678901234567890_live_status');
SELECT has_function('v2345678901234567890123456789012345678901234567890_on_truncate');

SELECT * FROM finish();
