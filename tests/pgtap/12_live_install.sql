-- install.sql -v mode=live: the live set through live.sql, populated by a
-- logged rebuild, the status view with the backlog, a second run that
-- changes nothing, and an install of the other mode refused.
\set testdb t_live_install
\ir setup.psql

CREATE ROLE techmv_app_live NOLOGIN;
SELECT 'libtechmv schema 4: {"schema":"public","view":"mv_distinct_technologies","source_table":"companies","source_column":"technologies","id_column":"id","mode":"live"}' AS live_marker
\gset
-- What the set must hold: plain SQL over the source.
CREATE VIEW truth AS
SELECT e.v AS value, count(*) AS n
  FROM companies c CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(c.technologies) u WHERE u IS NOT NULL) AS e(v)
 GROUP BY e.v;

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v refresh_role=techmv_app_live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install -v mode=live succeeds');
SELECT matches(:'out'::text, 'populated live set "public"."mv_distinct_technologies" with [0-9]+ values', 'and says it populated the set');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'r', 'the set is a table');
SELECT is(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), :'live_marker', 'marked as live');
SELECT is(obj_description('mv_distinct_technologies_status'::regclass, 'pg_class'), :'live_marker', 'the status view too');
SELECT is(obj_description('mv_distinct_technologies_refresh_log'::regclass, 'pg_class'), :'live_marker', 'and the log');
SELECT triggers_are('companies', ARRAY['mv_distinct_technologies_on_insert', 'mv_distinct_technologies_on_update',
                                       'mv_distinct_technologies_on_delete', 'mv_distinct_technologies_on_truncate'],
                    'the triggers are on the source');
SELECT bag_eq('SELECT value, n FROM mv_distinct_technologies', 'SELECT value, n FROM truth',
              'the set is SELECT DISTINCT unnest(...) of the source, with counts');
SELECT results_eq($$SELECT status, "concurrently", row_count FROM mv_distinct_technologies_refresh_log$$,
                  $$SELECT 'refreshed', false, count(*) FROM truth$$, 'the population is logged as a rebuild');
SELECT ok(has_function_privilege('techmv_app_live', 'mv_distinct_technologies_refresh(boolean, integer)', 'EXECUTE')
          AND has_function_privilege('techmv_app_live', 'mv_distinct_technologies_rebuild(boolean, integer)', 'EXECUTE')
          AND has_table_privilege('techmv_app_live', 'mv_distinct_technologies', 'SELECT')
          AND has_table_privilege('techmv_app_live', 'mv_distinct_technologies_status', 'SELECT'),
          'refresh_role may drain, rebuild and read');

-- The status view in live mode.
SELECT results_eq($$SELECT schema_version, installed, populated, value_count, mode, pending_changes,
                           oldest_pending_age_seconds, needs_rebuild, failures_since_last_refresh
                      FROM mv_distinct_technologies_status$$,
                  $$SELECT 4, true, true, count(*), 'live'::text, 0::bigint, NULL::double precision, false, 0::bigint
                      FROM truth$$,
                  'status: live, populated, nothing pending');
INSERT INTO companies (id, name, technologies) VALUES (900001, 'New', ARRAY['zz-live-new', 'Go']);
UPDATE companies SET technologies = technologies || ARRAY['zz-live-upd'] WHERE id = 1;
DELETE FROM companies WHERE id = 2;
SELECT ok(pending_changes > 0 AND oldest_pending_age_seconds >= 0, 'writes are pending')
  FROM mv_distinct_technologies_status;
SELECT results_eq($$SELECT status, "concurrently" FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('refreshed', true)$$, 'the refresh function drains');
SELECT results_eq($$SELECT pending_changes, value_count FROM mv_distinct_technologies_status$$,
                  $$SELECT 0::bigint, count(*) FROM truth$$, 'nothing pending after it; the count follows');
SELECT bag_eq('SELECT value, n FROM mv_distinct_technologies', 'SELECT value, n FROM truth',
              'the set follows the writes');

-- A second run changes nothing: same objects, same definitions, no refresh.
CREATE TEMP TABLE before AS
SELECT c.oid, c.relname::text AS name, c.xmin::text AS x, obj_description(c.oid, 'pg_class') AS cmt, c.relacl::text AS acl
  FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
UNION ALL
SELECT p.oid, p.proname::text, p.xmin::text, obj_description(p.oid, 'pg_proc'), p.proacl::text
  FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
UNION ALL
SELECT t.oid, t.tgname::text, t.xmin::text, obj_description(t.oid, 'pg_trigger'), NULL
  FROM pg_trigger t WHERE t.tgrelid = 'companies'::regclass;
SELECT count(*) AS log_before FROM mv_distinct_technologies_refresh_log
\gset
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v refresh_role=techmv_app_live 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'a second run succeeds silently');
SELECT bag_eq($$SELECT c.oid, c.relname::text AS name, c.xmin::text AS x, obj_description(c.oid, 'pg_class') AS cmt,
                      c.relacl::text AS acl
                 FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace
               UNION ALL
               SELECT p.oid, p.proname::text, p.xmin::text, obj_description(p.oid, 'pg_proc'), p.proacl::text
                 FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
               UNION ALL
               SELECT t.oid, t.tgname::text, t.xmin::text, obj_description(t.oid, 'pg_trigger'), NULL
                 FROM pg_trigger t WHERE t.tgrelid = 'companies'::regclass$$,
              'SELECT * FROM before', 'a second run leaves every object as it was');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :log_before::bigint, 'and logs nothing');

-- The other mode, or an unknown one, is refused without a switch.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'install in view mode over a live install fails');
SELECT matches(:'out'::text, 'installed in live mode, not view mode', 'and says why');
SELECT matches(:'out'::text, 'switch=on', 'and how to switch');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=mv 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'an unknown mode fails');
SELECT matches(:'out'::text, 'mode must be view or live', 'and says why');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'r', 'the set is unchanged');

-- TRUNCATE has no transition table: it marks the set, the next drain rebuilds.
TRUNCATE companies;
SELECT is(needs_rebuild, true, 'TRUNCATE sets needs_rebuild') FROM mv_distinct_technologies_status;
SELECT results_eq($$SELECT status, "concurrently" FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('refreshed', false)$$, 'the next refresh rebuilds');
SELECT results_eq('SELECT needs_rebuild, value_count FROM mv_distinct_technologies_status',
                  $$VALUES (false, 0::bigint)$$, 'and clears it');
SELECT is((SELECT count(*) FROM mv_distinct_technologies), 0::bigint, 'the set is empty');

-- populate=off leaves the set empty and marked for the first drain.
INSERT INTO companies (id, name, technologies) VALUES (1, 'One', ARRAY['a', 'b']), (2, 'Two', ARRAY['b']);
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v view=cold_live -v populate=off 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'install -v mode=live -v populate=off succeeds silently');
SELECT results_eq('SELECT populated, value_count, needs_rebuild FROM cold_live_status',
                  $$VALUES (false, NULL::bigint, true)$$, 'not populated, needs a rebuild');
SELECT is((SELECT count(*) FROM cold_live_refresh_log), 0::bigint, 'nothing logged');
SELECT results_eq($$SELECT status, "concurrently", row_count FROM cold_live_refresh()$$,
                  $$VALUES ('refreshed', false, 2::bigint)$$, 'the first drain rebuilds');
SELECT bag_eq('SELECT value, n FROM cold_live', $$VALUES ('a', 1::bigint), ('b', 2::bigint)$$, 'and fills the set');

SELECT * FROM finish();
