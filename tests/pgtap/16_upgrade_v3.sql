-- An install of schema version 3 (no search postings) upgraded to version
-- 4: the view rebuilt beside the old one with its postings, history and
-- grants kept, a second run a no-op; a live install of version 3 refused
-- in live mode with the way through the view, which works.
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
INSERT INTO companies VALUES (900001, 'New', ARRAY['Upgrade-Tech-Three']);

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install.sql upgrades version 3');
SELECT matches(:'out'::text, 'upgraded "public"."mv_distinct_technologies" from schema version 3 to 4', 'and says so');
\ir contract.psql

SELECT bag_eq('SELECT * FROM mv_distinct_technologies_refresh_log WHERE id <= (SELECT max(id) FROM old_log)',
              'SELECT * FROM old_log', 'the history is kept');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies',
              $$SELECT DISTINCT t, lower(t), NULL::text FROM companies, unnest(technologies) t WHERE t IS NOT NULL$$,
              'the new view holds the source''s values, the latest included');
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

-- A live install of version 3.
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rolled back');
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v3/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'a live install of version 3');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'is not upgraded in live mode');
SELECT matches(:'out'::text, 'Switch it to the materialized view of version 4 first', 'which says the way through');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '^libtechmv schema 3: ',
               'and leaves it as it was');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=view -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'it switches to the view of version 4');
\ir contract.psql
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and from there to live mode');
SELECT matches(obj_description('mv_distinct_technologies'::regclass, 'pg_class'), '^libtechmv schema 4: .*"mode":"live"}$',
               'a live install of version 4');
SELECT hasnt_trigger('companies', 'mv_distinct_technologies_gram_ins', 'the postings triggers are on the set, not the source');
SELECT has_trigger('mv_distinct_technologies', 'mv_distinct_technologies_gram_ins', 'but on the set');

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'and rolls back');
SELECT is((SELECT count(*) FROM pg_class WHERE relname LIKE 'mv\_distinct\_technologies%'), 0::bigint,
          'no relation of ours is left');
SELECT is((SELECT count(*) FROM pg_proc WHERE proname LIKE 'mv\_distinct\_technologies%'), 0::bigint,
          'no function of ours is left');

SELECT * FROM finish();
