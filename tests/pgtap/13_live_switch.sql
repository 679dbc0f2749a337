-- Switching modes with -v switch=on, both ways: one transaction, the new
-- set built beside the old one, the refresh log and the grants kept, the
-- set equal to plain SQL after, nothing of the old mode left.
\set testdb t_live_switch
\ir setup.psql

CREATE ROLE techmv_app_switch NOLOGIN;
CREATE VIEW truth AS
SELECT e.v AS value, count(*) AS n
  FROM companies c CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(c.technologies) u WHERE u IS NOT NULL) AS e(v)
 GROUP BY e.v;
CREATE VIEW live_leftovers AS
SELECT c.relname::text AS name FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relname IN ('mv_distinct_technologies_pending', 'mv_distinct_technologies_live_state',
                     'mv_distinct_technologies_live_status', 'mv_distinct_technologies_value_md5')
UNION ALL
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND p.proname IN ('mv_distinct_technologies_rebuild', 'mv_distinct_technologies_on_insert',
                     'mv_distinct_technologies_on_update', 'mv_distinct_technologies_on_delete',
                     'mv_distinct_technologies_on_truncate')
UNION ALL
SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = 'companies'::regclass AND NOT t.tgisinternal;

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v refresh_role=techmv_app_switch 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'view mode installs');
GRANT SELECT ON mv_distinct_technologies TO techmv_app_switch WITH GRANT OPTION;
SELECT is(status, 'refreshed', 'a refresh') FROM mv_distinct_technologies_refresh();
CREATE TEMP TABLE log_before AS SELECT * FROM mv_distinct_technologies_refresh_log;

-- Without switch=on, nothing changes.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'mode=live over a view install fails without switch=on');
SELECT matches(:'out'::text, 'installed in view mode, not live mode', 'and says why');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'm', 'the view is unchanged');
SELECT is_empty('SELECT * FROM live_leftovers', 'nothing of live mode was made');

-- Readers are served by the old set until the swap: a reader's open
-- transaction on it holds up nothing before the drop of the old set, where
-- the switch waits for it (here it gives up after lock_timeout and changes
-- nothing).
\set droplines `grep -n -e '^DROP MATERIALIZED VIEW :"schema".:"view";$' -e '^DROP TABLE :"schema".:"view";$' "$TECHMV_SQLDIR/install.sql" | cut -d: -f1 | paste -sd'|'`
SELECT dblink_connect('reader', :'connstr');
SELECT dblink_exec('reader', 'BEGIN');
SELECT is(n > 0, true, 'a reader holds the view') FROM dblink('reader', 'SELECT count(*) FROM mv_distinct_technologies') AS t(n bigint);
\set out `PGOPTIONS='-c lock_timeout=3s' psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'install\.sql:(' || :'droplines' || '): ERROR:  canceling statement due to lock timeout',
               'the switch waits for the reader only at the swap');
SELECT dblink_exec('reader', 'COMMIT');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'm', 'and, stopped there, changes nothing');
SELECT is_empty('SELECT * FROM live_leftovers', 'nothing of live mode is left');

-- View to live.
INSERT INTO companies (id, name, technologies) VALUES (900001, 'Between', ARRAY['zz-switch-1']);
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on -v refresh_role=techmv_app_switch 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'mode=live -v switch=on switches');
SELECT matches(:'out'::text, 'switched "public"."mv_distinct_technologies" from view mode to live mode', 'and says so');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'r', 'the set is a table');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '"mode":"live"}$', 'marked as live');
SELECT bag_eq('SELECT value, n FROM mv_distinct_technologies', 'SELECT value, n FROM truth',
              'the live set is SELECT DISTINCT unnest(...) of the source, with counts');
SELECT bag_eq('SELECT * FROM mv_distinct_technologies_refresh_log WHERE id IN (SELECT id FROM log_before)',
              'SELECT * FROM log_before', 'the refresh history is kept');
SELECT results_eq($$SELECT status, "concurrently", row_count FROM mv_distinct_technologies_refresh_log
                    WHERE id NOT IN (SELECT id FROM log_before)$$,
                  $$SELECT 'refreshed', false, count(*) FROM truth$$, 'the build is logged as a rebuild');
SELECT results_eq($$SELECT mode, populated, value_count, pending_changes, needs_rebuild FROM mv_distinct_technologies_status$$,
                  $$SELECT 'live'::text, true, count(*), 0::bigint, false FROM truth$$, 'the status view is live mode''s');
SELECT ok(has_table_privilege('techmv_app_switch', 'mv_distinct_technologies', 'SELECT WITH GRANT OPTION'),
          'the set keeps the old one''s grants');
SELECT ok(has_function_privilege('techmv_app_switch', 'mv_distinct_technologies_refresh(boolean, integer)', 'EXECUTE'),
          'and so does the refresh function');
SELECT has_index('mv_distinct_technologies', 'mv_distinct_technologies_value_key', 'the unique index has its name');
SELECT has_index('mv_distinct_technologies', 'mv_distinct_technologies_value_trgm', 'the trigram index too');
SELECT has_index('mv_distinct_technologies', 'mv_distinct_technologies_value_md5', 'and the md5 index');
SELECT is_empty($$SELECT relname FROM pg_class WHERE relname LIKE 'techmv\_build\_%'$$, 'no build name is left');

UPDATE companies SET technologies = ARRAY['zz-switch-2'] WHERE id = 900001;
SELECT results_eq($$SELECT status, "concurrently" FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('refreshed', true)$$, 'the drain works after the switch');
SELECT bag_eq('SELECT value, n FROM mv_distinct_technologies', 'SELECT value, n FROM truth', 'and the set follows');

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'switch=on in the installed mode does nothing');

-- Live to view.
DELETE FROM companies WHERE id = 900001;
CREATE TEMP TABLE log_before_back AS SELECT * FROM mv_distinct_technologies_refresh_log;
SELECT dblink_exec('reader', 'BEGIN');
SELECT is(n > 0, true, 'a reader holds the live set') FROM dblink('reader', 'SELECT count(*) FROM mv_distinct_technologies') AS t(n bigint);
\set out `PGOPTIONS='-c lock_timeout=3s' psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'install\.sql:(' || :'droplines' || '): ERROR:  canceling statement due to lock timeout',
               'switching back waits for the reader only at the swap');
SELECT dblink_exec('reader', 'COMMIT');
SELECT dblink_disconnect('reader');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'r', 'and, stopped there, changes nothing');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'mode=view -v switch=on switches back');
SELECT matches(:'out'::text, 'switched "public"."mv_distinct_technologies" from live mode to view mode', 'and says so');
SELECT results_eq($$SELECT relkind::text, relispopulated FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass$$,
                  $$VALUES ('m', true)$$, 'the set is a populated materialized view');
SELECT is(obj_description('mv_distinct_technologies'::regclass, 'pg_class'),
          'libtechmv schema 4: {"schema":"public","view":"mv_distinct_technologies","source_table":"companies","source_column":"technologies","id_column":"id"}',
          'marked as view mode');
SELECT bag_eq('SELECT value FROM mv_distinct_technologies', 'SELECT value FROM truth',
              'the view is SELECT DISTINCT unnest(...) of the source');
SELECT bag_eq('SELECT * FROM mv_distinct_technologies_refresh_log WHERE id IN (SELECT id FROM log_before_back)',
              'SELECT * FROM log_before_back', 'the refresh history is kept');
SELECT is_empty('SELECT * FROM live_leftovers', 'nothing of live mode is left: no triggers on the source');
SELECT ok(has_table_privilege('techmv_app_switch', 'mv_distinct_technologies', 'SELECT WITH GRANT OPTION'),
          'the view keeps the set''s grants');
SELECT results_eq('SELECT mode, populated, pending_changes FROM mv_distinct_technologies_status',
                  $$VALUES ('view'::text, true, NULL::bigint)$$, 'the status view is view mode''s');
SELECT results_eq($$SELECT status, "concurrently" FROM mv_distinct_technologies_refresh()$$,
                  $$VALUES ('refreshed', true)$$, 'the refresh works after the switch');

-- Version 2 switches to live mode only once upgraded to version 4.
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v2/install.sql" -v view=old_two 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 2 installs');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=old_two -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'version 2 does not switch to live mode directly');
SELECT matches(:'out'::text, 'switches to live mode from version 4 only', 'and says why');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=old_two 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'it upgrades to version 4');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=old_two -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'then switches');
SELECT bag_eq('SELECT value, n FROM old_two', 'SELECT value, n FROM truth', 'and its live set is right');

SELECT * FROM finish();
