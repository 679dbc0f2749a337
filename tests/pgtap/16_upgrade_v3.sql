-- An install of schema version 3 (no search postings) upgraded to version
-- 4: the view rebuilt beside the old one with its postings, history and
-- grants kept, a second run a no-op, a rollback that leaves nothing; a live
-- install of version 3 refused in live mode with the way through the view,
-- which works (and on to live mode of version 4); an unpopulated view of
-- version 3 upgraded unpopulated, its postings built by its first refresh.
\set testdb t_upgrade_v3
\ir setup.psql

CREATE ROLE techmv_app_v3 NOLOGIN;
CREATE ROLE techmv_reader_v3 NOLOGIN;
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v3/install.sql" -v refresh_role=techmv_app_v3 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 3 installs');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '^libtechmv schema 3: ', 'it is version 3');
SELECT hasnt_table('mv_distinct_technologies_grams', 'version 3 has no search postings');
GRANT SELECT ON mv_distinct_technologies TO techmv_reader_v3;
SELECT is(status, 'refreshed', 'a refresh of version 3') FROM mv_distinct_technologies_refresh();
CREATE TABLE old_log AS SELECT * FROM mv_distinct_technologies_refresh_log;
INSERT INTO companies VALUES (900001, 'New', ARRAY['Upgrade-Tech-Three', NULL, 'Ünï_%\', repeat('x', 2000)]);
CREATE TABLE old_companies AS SELECT * FROM companies;

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install.sql upgrades version 3');
SELECT matches(:'out'::text, 'upgraded "public"."mv_distinct_technologies" from schema version 3 to 4', 'and says so');
\ir contract.psql

SELECT bag_eq('SELECT * FROM mv_distinct_technologies_refresh_log WHERE id <= (SELECT max(id) FROM old_log)',
              'SELECT * FROM old_log', 'the history is kept');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies',
              $$SELECT DISTINCT CASE WHEN octet_length(t) <= 1024 THEN t END AS value,
                       CASE WHEN octet_length(t) <= 1024 THEN lower(t) END AS value_lower,
                       CASE WHEN octet_length(t) > 1024 THEN md5(t) END AS value_md5
                  FROM companies, unnest(technologies) t WHERE t IS NOT NULL$$,
              'the new view holds the source''s values, the latest and a long one included');
SELECT ok(has_table_privilege('techmv_reader_v3', 'mv_distinct_technologies', 'SELECT')
          AND has_table_privilege('techmv_reader_v3', 'mv_distinct_technologies_grams', 'SELECT')
          AND has_table_privilege('techmv_reader_v3', 'mv_distinct_technologies_gram_n', 'SELECT'),
          'a reader of the old view may read the new one and search it');
SELECT ok(has_function_privilege('techmv_app_v3', 'mv_distinct_technologies_refresh(boolean, integer)', 'EXECUTE'),
          'the refresh role keeps its grant');
SELECT is(ARRAY(SELECT * FROM mv_distinct_technologies_search('three', 5, 0, NULL, false)),
          ARRAY['Upgrade-Tech-Three'], 'the search finds the latest value');
SELECT is(schema_version, 4, 'the status view says version 4') FROM mv_distinct_technologies_status;

SELECT count(*) AS logged FROM mv_distinct_technologies_refresh_log
\gset
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'a further run succeeds silently');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log), :logged::bigint, 'and does nothing');

-- Nothing of the upgraded install is left by rollback.sql.
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'the upgraded install rolls back');
SELECT is((SELECT array_agg(relname::text ORDER BY relname) FROM pg_class WHERE relname LIKE 'mv\_distinct\_technologies%'), NULL,
          'no relation of the upgraded install is left');
SELECT is((SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc WHERE proname LIKE 'mv\_distinct\_technologies%'), NULL,
          'no function of it is left');
SELECT bag_eq('SELECT * FROM companies', 'SELECT * FROM old_companies', 'the source is untouched');

-- A live install of version 3.
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v3/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'a live install of version 3');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'is not upgraded in live mode');
SELECT matches(:'out'::text, 'Switch it to the materialized view of version 4 first', 'which says the way through');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '^libtechmv schema 3: ',
               'and leaves it as it was');
INSERT INTO companies VALUES (900002, 'Live', ARRAY['Live-Three-Value']);
SELECT is(status, 'refreshed', 'version 3 drains') FROM mv_distinct_technologies_refresh();
CREATE TABLE live_log AS SELECT * FROM mv_distinct_technologies_refresh_log;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=view -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'it switches to the view of version 4');
\ir contract.psql
SELECT bag_eq('SELECT * FROM mv_distinct_technologies_refresh_log WHERE id <= (SELECT max(id) FROM live_log)',
              'SELECT * FROM live_log', 'the live install''s history is kept');
SELECT is(ARRAY(SELECT * FROM mv_distinct_technologies_search('live-three', 5, 0, NULL, false)),
          ARRAY['Live-Three-Value'], 'the view finds what the live set held');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and from there to live mode');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '^libtechmv schema 4: .*"mode":"live"}$',
               'a live install of version 4');
SELECT hasnt_trigger('companies', 'mv_distinct_technologies_gram_ins', 'the postings triggers are on the set, not the source');
SELECT has_trigger('mv_distinct_technologies', 'mv_distinct_technologies_gram_ins', 'but on the set');
UPDATE companies SET technologies = array_remove(technologies, 'Live-Three-Value') || ARRAY['Live-Four-Value'] WHERE id = 900002;
SELECT is(status, 'refreshed', 'version 4 drains') FROM mv_distinct_technologies_refresh();
SELECT bag_eq('SELECT gram, value FROM mv_distinct_technologies_grams',
              $$SELECT DISTINCT substr(lower(v.value), i, k), v.value FROM mv_distinct_technologies v,
                       generate_series(1, length(lower(v.value))) i, generate_series(1, 2) k
                 WHERE v.value IS NOT NULL AND i + k - 1 <= length(lower(v.value))$$,
              'the live postings are the grams of the set''s values');
SELECT bag_eq('SELECT gram, n FROM mv_distinct_technologies_gram_n WHERE n > 0',
              'SELECT gram, count(*) FROM mv_distinct_technologies_grams GROUP BY gram', 'and their counts');
SELECT is(ARRAY(SELECT * FROM mv_distinct_technologies_search('live-', 5, 0, NULL, false)),
          ARRAY['Live-Four-Value'], 'the live search follows the drain');

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and rolls back');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE 'mv\_distinct\_technologies%'), 0::bigint,
          'no relation of ours is left');
SELECT is((SELECT count(*) FROM pg_proc WHERE proname LIKE 'mv\_distinct\_technologies%'), 0::bigint,
          'no function of ours is left');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'companies'::regclass AND NOT tgisinternal), 0::bigint,
          'no trigger on the source is left');

-- An unpopulated version 3 view stays unpopulated through the upgrade; its
-- first refresh builds the postings.
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v3/install.sql" -v populate=off 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 3 installs unpopulated');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v populate=off 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and is upgraded');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '^libtechmv schema 4: ', 'to version 4');
SELECT ok(NOT relispopulated, 'still unpopulated') FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass;
SELECT is_empty('SELECT 1 FROM mv_distinct_technologies_grams', 'with no postings');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('py', 5, 0, NULL, false)$$, '55000', NULL,
                 'searching it fails as reading it would');
SELECT is(status, 'refreshed', 'its first refresh') FROM mv_distinct_technologies_refresh();
\ir contract.psql

SELECT * FROM finish();
