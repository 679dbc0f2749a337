-- An install of schema version 2 upgraded in place: a failed upgrade
-- changes nothing; a successful one keeps history, data and readers'
-- prepared statements; populate=off keeps a populated view populated and
-- an unpopulated one unpopulated.
\set testdb t_upgrade_v2
\ir setup.psql

\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v2/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 2 installs');
SELECT is(status, 'refreshed', 'a refresh of version 2') FROM mv_distinct_technologies_refresh();
CREATE TABLE old_log AS SELECT * FROM mv_distinct_technologies_refresh_log;

-- A user's view on the old view makes the upgrade fail as a whole.
CREATE VIEW my_dependent AS SELECT value FROM mv_distinct_technologies;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'the upgrade fails while a user view depends on the old view');
SELECT is(obj_description('mv_distinct_technologies'::regclass, 'pg_class'),
          'libtechmv: distinct elements of public.companies.technologies (company id column: id)',
          'the view is still version 2');
SELECT is((SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'mv_distinct_technologies'::regclass AND attnum > 0 AND NOT attisdropped),
          ARRAY['value', 'value_lower'], 'with the columns of version 2');
SELECT is(pg_get_function_result('mv_distinct_technologies_refresh(boolean, integer)'::regprocedure),
          'TABLE(status text, "concurrently" boolean, started_at timestamp with time zone, '
          'duration_ms double precision, row_count bigint)', 'the function is still version 2');
SELECT bag_eq('SELECT * FROM mv_distinct_technologies_refresh_log', 'SELECT * FROM old_log',
              'the log is still version 2, rows and columns');
SELECT hasnt_view('mv_distinct_technologies_status', 'no status view was left');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE 'techmv\_build\_%'), 0::bigint,
          'nothing of the build was left');
DROP VIEW my_dependent;

-- A reader's prepared statement, planned on the old view, still runs after
-- the swap (its plan is invalidated and the name resolved again).
SELECT dblink_connect('reader', :'connstr');
SELECT dblink_exec('reader', 'PREPARE page AS SELECT value FROM mv_distinct_technologies ORDER BY value LIMIT 5');
CREATE TABLE page_before AS SELECT * FROM dblink('reader', 'EXECUTE page') AS t(value text);

-- populate=off: a populated view stays populated through the upgrade.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v populate=off 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install.sql upgrades version 2');
SELECT matches(:'out'::text, 'upgraded "public"."mv_distinct_technologies" from schema version 2 to 4', 'and says so');
\ir contract.psql
SELECT ok(relispopulated, 'populate=off: the populated view was rebuilt populated') FROM pg_class
 WHERE oid = 'mv_distinct_technologies'::regclass;
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies',
              $$SELECT DISTINCT t, lower(t), NULL::text FROM companies, unnest(technologies) t$$,
              'the new view holds the source''s values');
SELECT bag_eq($$SELECT id, started_at, duration_ms, row_count, "concurrently", refreshed_by, status
                 FROM mv_distinct_technologies_refresh_log WHERE id <= (SELECT max(id) FROM old_log)$$,
              $$SELECT id, started_at, duration_ms, row_count, "concurrently", refreshed_by, 'refreshed' FROM old_log$$,
              'the history of version 2 is kept');
SELECT bag_eq($$SELECT * FROM dblink('reader', 'EXECUTE page') AS t(value text)$$, 'SELECT * FROM page_before',
              'the reader''s prepared statement runs on the new view');
SELECT dblink_disconnect('reader');

-- An unpopulated version 2 view, upgraded with populate=off, stays so.
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v2/install.sql" -v view=cold -v populate=off 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'an unpopulated version 2 installs');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=cold -v populate=off 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and upgrades with populate=off');
SELECT ok(NOT relispopulated, 'the view is still unpopulated') FROM pg_class WHERE oid = 'cold'::regclass;
SELECT is((SELECT count(*) FROM cold_refresh_log), 0::bigint, 'and nothing was logged');
SELECT matches(obj_description('cold'::regclass, 'pg_class'), '^libtechmv schema 4: ', 'it is version 4');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=cold 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'libtechmv: populated "public"."cold"', 'installing again with populate on populates it');
SELECT results_eq('SELECT status, "concurrently" FROM cold_refresh_log', $$VALUES ('refreshed', false)$$,
                  'through the function, logged as a plain refresh');

SELECT * FROM finish();
