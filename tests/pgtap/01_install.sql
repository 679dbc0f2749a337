-- install.sql on a fresh database: the objects, their columns and markers,
-- what REFRESH CONCURRENTLY needs, the definer function's safety, grants,
-- and a second run that changes nothing.
\set testdb t_install
\ir setup.psql

CREATE ROLE techmv_app_install NOLOGIN;
CREATE SCHEMA inv;
CREATE TABLE inv.firms (firm_id bigint PRIMARY KEY, tags text[]);
INSERT INTO inv.firms SELECT id, technologies FROM public.companies;

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v schema=inv -v view=tags_mv -v source_table=firms -v source_column=tags -v id_column=firm_id -v refresh_role=techmv_app_install 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install.sql succeeds');
SELECT matches(:'out'::text, 'libtechmv: populated', 'install.sql says it populated the view');

SELECT format('libtechmv schema 4: {"schema":"inv","view":"tags_mv","source_table":"firms","source_column":"tags","id_column":"firm_id"}') AS marker
\gset

-- Objects and columns, from the catalogs.
SELECT has_materialized_view('inv', 'tags_mv', 'the view exists');
SELECT has_table('inv', 'tags_mv_refresh_log', 'the log table exists');
SELECT has_view('inv', 'tags_mv_status', 'the status view exists');
SELECT has_function('inv', 'tags_mv_refresh', ARRAY['boolean', 'integer'], 'the refresh function exists');
SELECT is((SELECT array_agg(attname::text || ' ' || format_type(atttypid, atttypmod) ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'inv.tags_mv'::regclass AND attnum > 0 AND NOT attisdropped),
          ARRAY['value text', 'value_lower text', 'value_md5 text'], 'view columns');
SELECT is((SELECT array_agg(attname::text || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' not null' ELSE '' END ORDER BY attnum)
             FROM pg_attribute WHERE attrelid = 'inv.tags_mv_refresh_log'::regclass AND attnum > 0 AND NOT attisdropped),
          ARRAY['id bigint not null', 'started_at timestamp with time zone not null',
                'duration_ms double precision not null', 'row_count bigint',
                'concurrently boolean not null', 'refreshed_by text not null',
                'status text not null', 'sqlstate text', 'message text', 'long_values bigint'],
          'log table columns');
SELECT is(pg_get_function_result('inv.tags_mv_refresh(boolean, integer)'::regprocedure),
          'TABLE(status text, "concurrently" boolean, started_at timestamp with time zone, '
          'duration_ms double precision, row_count bigint, sqlstate text, message text, long_values bigint)',
          'refresh function output columns');
SELECT is(pg_get_function_arguments('inv.tags_mv_refresh(boolean, integer)'::regprocedure),
          'wait boolean DEFAULT true, lock_timeout_ms integer DEFAULT 0', 'refresh function arguments');
SELECT throws_ok($$INSERT INTO inv.tags_mv_refresh_log (started_at, duration_ms, "concurrently", status)
                   VALUES (now(), 0, true, 'bogus')$$, '23514', NULL, 'the log accepts only known statuses');

-- Every object carries the marker.
SELECT is(obj_description(c.oid, 'pg_class'), :'marker', format('marker on %s', c.relname))
  FROM pg_class c
 WHERE c.oid IN ('inv.tags_mv'::regclass, 'inv.tags_mv_value_key'::regclass, 'inv.tags_mv_value_trgm'::regclass,
                 'inv.tags_mv_refresh_log'::regclass, 'inv.tags_mv_log_started'::regclass,
                 'inv.tags_mv_refresh_log_pkey'::regclass, 'inv.tags_mv_status'::regclass,
                 'inv.tags_mv_grams'::regclass, 'inv.tags_mv_grams_key'::regclass,
                 'inv.tags_mv_gram_n'::regclass, 'inv.tags_mv_gram_n_key'::regclass,
                 'inv.tags_mv_gvals'::regclass, 'inv.tags_mv_gvals_key'::regclass)
 ORDER BY c.relname;
SELECT is(obj_description('inv.tags_mv_refresh(boolean, integer)'::regprocedure, 'pg_proc'), :'marker',
          'marker on the function');
SELECT is(obj_description(p.oid, 'pg_proc'), :'marker', format('marker on %s', p.proname))
  FROM pg_proc p
 WHERE p.oid IN ('inv.tags_mv_search(text, integer, integer, text, boolean)'::regprocedure,
                 'inv.tags_mv_grams_apply(text[], text[], text[], text[])'::regprocedure,
                 'inv.tags_mv_grams_sync()'::regprocedure)
 ORDER BY p.proname;
SELECT is((SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'inv'::regnamespace
              AND obj_description(c.oid, 'pg_class') = :'marker'), 13::bigint,
          'thirteen relations carry the marker, nothing else');
SELECT is((SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'inv'::regnamespace
              AND obj_description(p.oid, 'pg_proc') = :'marker'), 4::bigint,
          'four functions carry the marker, nothing else');
SELECT matches(obj_description('inv.tags_mv'::regclass, 'pg_class'), '^libtechmv schema ([0-9]+):',
               'the library''s version regexp matches the view''s comment');
SELECT is(substring(obj_description('inv.tags_mv'::regclass, 'pg_class'), '^libtechmv schema [0-9]+: (.*)$')::jsonb,
          jsonb_build_object('schema', 'inv', 'view', 'tags_mv', 'source_table', 'firms',
                             'source_column', 'tags', 'id_column', 'firm_id'),
          'the marker''s JSON holds the variables');

-- A unique index REFRESH CONCURRENTLY accepts: plain column, no predicate.
SELECT ok(x.indisunique AND x.indisvalid AND x.indpred IS NULL AND x.indexprs IS NULL
          AND x.indnkeyatts = 1 AND x.indkey[0] = 1, 'unique index on value, no expression, no WHERE')
  FROM pg_index x WHERE x.indexrelid = 'inv.tags_mv_value_key'::regclass;
SELECT is((SELECT pg_get_indexdef('inv.tags_mv_value_key'::regclass)),
          'CREATE UNIQUE INDEX tags_mv_value_key ON inv.tags_mv USING btree (value) INCLUDE (value_lower)',
          'unique index definition');
SELECT is((SELECT s.status FROM inv.tags_mv_refresh() s), 'refreshed', 'REFRESH CONCURRENTLY works');
SELECT ok((SELECT "concurrently" FROM inv.tags_mv_refresh_log ORDER BY id DESC LIMIT 1), 'and was concurrent');

-- The definer function's safety.
SELECT ok(p.prosecdef, 'function is SECURITY DEFINER') FROM pg_proc p
 WHERE p.oid = 'inv.tags_mv_refresh(boolean, integer)'::regprocedure;
SELECT is(p.proconfig, ARRAY['search_path=pg_catalog, pg_temp'], 'function search_path is fixed') FROM pg_proc p
 WHERE p.oid = 'inv.tags_mv_refresh(boolean, integer)'::regprocedure;
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
                       WHERE p.oid = 'inv.tags_mv_refresh(boolean, integer)'::regprocedure AND a.grantee = 0),
          'no EXECUTE for PUBLIC');
SELECT ok(p.proacl IS NOT NULL, 'the function has an explicit ACL (PUBLIC revoked)') FROM pg_proc p
 WHERE p.oid = 'inv.tags_mv_refresh(boolean, integer)'::regprocedure;

-- -v refresh_role: execute, and read the view, the log and the status.
SELECT ok(has_function_privilege('techmv_app_install', 'inv.tags_mv_refresh(boolean, integer)', 'EXECUTE'), 'role may refresh');
SELECT ok(has_table_privilege('techmv_app_install', 'inv.tags_mv', 'SELECT'), 'role may read the view');
SELECT ok(has_table_privilege('techmv_app_install', 'inv.tags_mv_refresh_log', 'SELECT'), 'role may read the log');
SELECT ok(has_table_privilege('techmv_app_install', 'inv.tags_mv_status', 'SELECT'), 'role may read the status');
SELECT ok(has_table_privilege('techmv_app_install', 'inv.tags_mv_grams', 'SELECT')
          AND has_table_privilege('techmv_app_install', 'inv.tags_mv_gram_n', 'SELECT'), 'role may read the search postings');
SELECT ok(NOT has_table_privilege('techmv_app_install', 'inv.tags_mv_grams', 'INSERT,UPDATE,DELETE,TRUNCATE'),
          'role may not write the search postings');
SELECT ok(NOT has_function_privilege('public', 'inv.tags_mv_grams_apply(text[], text[], text[], text[])', 'EXECUTE')
          AND NOT has_function_privilege('public', 'inv.tags_mv_grams_sync()', 'EXECUTE'),
          'PUBLIC may not change the search postings');
SELECT ok(NOT has_table_privilege('techmv_app_install', 'inv.tags_mv_refresh_log', 'INSERT,UPDATE,DELETE,TRUNCATE'),
          'role may not write the log');
SELECT ok(NOT has_table_privilege('techmv_app_install', 'inv.firms', 'SELECT'), 'role gets nothing on the source');
SELECT ok(NOT has_function_privilege('public', 'inv.tags_mv_refresh(boolean, integer)', 'EXECUTE'),
          'PUBLIC may not refresh');

-- Content, against the source.
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM inv.tags_mv',
              $$SELECT DISTINCT t, lower(t), NULL::text FROM inv.firms, unnest(tags) t WHERE t IS NOT NULL$$,
              'the view holds each distinct element once');
SELECT is((SELECT count(*) FROM inv.tags_mv_refresh_log WHERE status = 'refreshed' AND NOT "concurrently"),
          1::bigint, 'the population was logged as a plain refresh');
SELECT is((SELECT row_count FROM inv.tags_mv_refresh_log ORDER BY id LIMIT 1),
          (SELECT count(DISTINCT t) FROM inv.firms, unnest(tags) t), 'logged row_count is the number of values');
SELECT bag_eq('SELECT gram, value FROM inv.tags_mv_grams',
              $$SELECT DISTINCT substr(lower(t), i, k), t FROM inv.firms, unnest(tags) t,
                       generate_series(1, length(lower(t))) i, generate_series(1, 2) k
                 WHERE t IS NOT NULL AND octet_length(t) <= 1024 AND i + k - 1 <= length(lower(t))$$,
              'the postings hold every 1- and 2-character gram of every value');
SELECT bag_eq('SELECT gram, n FROM inv.tags_mv_gram_n WHERE n > 0',
              'SELECT gram, count(*) FROM inv.tags_mv_grams GROUP BY gram', 'and their counts');

-- A second run changes nothing: same objects, same definitions, no refresh.
CREATE TEMP TABLE before AS
SELECT c.oid, c.relname, c.xmin::text AS x, obj_description(c.oid, 'pg_class') AS cmt, c.relacl::text AS acl
  FROM pg_class c WHERE c.relnamespace = 'inv'::regnamespace
UNION ALL
SELECT p.oid, p.proname, p.xmin::text, obj_description(p.oid, 'pg_proc'), p.proacl::text
  FROM pg_proc p WHERE p.pronamespace = 'inv'::regnamespace;
SELECT count(*) AS log_before FROM inv.tags_mv_refresh_log
\gset
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v schema=inv -v view=tags_mv -v source_table=firms -v source_column=tags -v id_column=firm_id -v refresh_role=techmv_app_install 2>&1; echo "exit=$?"`
SELECT is(:'out'::text, 'exit=0', 'a second run succeeds silently');
SELECT bag_eq($$SELECT c.oid, c.relname, c.xmin::text AS x, obj_description(c.oid, 'pg_class'), c.relacl::text
                 FROM pg_class c WHERE c.relnamespace = 'inv'::regnamespace
               UNION ALL
               SELECT p.oid, p.proname, p.xmin::text, obj_description(p.oid, 'pg_proc'), p.proacl::text
                 FROM pg_proc p WHERE p.pronamespace = 'inv'::regnamespace$$,
              'SELECT * FROM before', 'a second run leaves every object as it was');
SELECT is((SELECT count(*) FROM inv.tags_mv_refresh_log), :log_before::bigint, 'a second run does not refresh');

-- Installing the same names from another source is refused, changing nothing.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v schema=inv -v view=tags_mv -v source_table=companies 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'install from other variables fails');
SELECT matches(:'out'::text, 'not installed from these variables', 'and says why');
SELECT is(obj_description('inv.tags_mv'::regclass, 'pg_class'), :'marker', 'the view is unchanged');

-- A newer schema version is left alone by install and by rollback.
SELECT format('COMMENT ON MATERIALIZED VIEW inv.tags_mv IS %L', replace(:'marker', 'schema 4:', 'schema 5:'))
\gexec
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v schema=inv -v view=tags_mv -v source_table=firms -v source_column=tags -v id_column=firm_id 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'has schema version 5; this install.sql installs version 4(.|\n)*exit=3$', 'install refuses a newer schema');
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" -v schema=inv -v view=tags_mv 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'has schema version 5(.|\n)*exit=3$', 'and so does rollback');
SELECT has_materialized_view('inv', 'tags_mv', 'the view is kept');
SELECT format('COMMENT ON MATERIALIZED VIEW inv.tags_mv IS %L', :'marker')
\gexec

-- A user's object of a derived name makes install refuse, creating nothing.
CREATE TABLE public.orders_refresh_log (id int);
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=orders 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'install next to a user''s object fails');
SELECT matches(:'out'::text, 'nothing installed: table orders_refresh_log in schema public already exist and were not created by install.sql',
               'and names the object');
SELECT hasnt_materialized_view('public', 'orders', 'no view was created');
SELECT hasnt_function('public', 'orders_refresh', 'no function was created');
CREATE MATERIALIZED VIEW public.mv_distinct_technologies AS SELECT 1 AS value;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'install over a user''s materialized view fails');
SELECT hasnt_table('public', 'mv_distinct_technologies_refresh_log', 'no log was created');

-- A name longer than the derived names allow is refused.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v view=a_view_name_that_is_much_too_long_for_the_derived_names 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'a view name over 50 bytes is refused');

SELECT * FROM finish();
