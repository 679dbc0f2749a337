-- Values over 1024 bytes: never served, never break an install or a
-- refresh (plain or concurrent), one md5 row per distinct long value,
-- counted in the log and the status view.
\set testdb t_long_values
\ir setup.psql

-- Incompressible text of n bytes: hex digits of chained md5s.
CREATE FUNCTION pg_temp.noise(seed text, n integer) RETURNS text LANGUAGE sql AS
$$SELECT left(string_agg(md5(seed || i), '' ORDER BY i), n) FROM generate_series(1, n / 32 + 1) i$$;

INSERT INTO companies (id, name, technologies) VALUES
    (900001, 'L1', ARRAY[pg_temp.noise('a', 1500), 'Plain-Tech']),
    (900002, 'L2', ARRAY[pg_temp.noise('b', 3000)]),
    (900003, 'L3', ARRAY[pg_temp.noise('c', 10000), pg_temp.noise('a', 1500)]),
    (900004, 'L4', ARRAY[pg_temp.noise('d', 1024), pg_temp.noise('e', 1025)]),
    -- 1024 bytes that lower() may lengthen to 1536 (U+023A becomes U+2C65
    -- in locales that fold it): the index entry must still fit.
    (900005, 'L5', ARRAY[repeat(U&'\023A', 512)]);

CREATE VIEW truth AS
SELECT t AS value, lower(t) AS value_lower, NULL::text AS value_md5
  FROM (SELECT DISTINCT t FROM companies, unnest(technologies) t
         WHERE t IS NOT NULL AND octet_length(t) <= 1024) s
UNION ALL
SELECT NULL, NULL, md5(t)
  FROM (SELECT DISTINCT t FROM companies, unnest(technologies) t WHERE octet_length(t) > 1024) s;

SELECT is((SELECT count(*) FROM truth WHERE value_md5 IS NOT NULL), 4::bigint,
          'the fixture has four distinct long values (1025, 1500 twice, 3000, 10000 bytes)');

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'install with populate succeeds with long values present');
SELECT matches(:'out'::text, '4 too long to serve', 'and says how many values it does not serve');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies', 'SELECT * FROM truth',
              'populated: short values served, one md5 row per distinct long value');
SELECT is((SELECT max(octet_length(value)) FROM mv_distinct_technologies), 1024,
          'the longest value served is 1024 bytes');
SELECT ok(EXISTS (SELECT 1 FROM mv_distinct_technologies WHERE value = repeat(U&'\023A', 512)),
          'a 1024-byte value whose lower case is longer is served');
SELECT is((SELECT long_values FROM mv_distinct_technologies_refresh_log ORDER BY id DESC LIMIT 1), 4::bigint,
          'the population logged 4 long values');
SELECT is((SELECT row_count FROM mv_distinct_technologies_refresh_log ORDER BY id DESC LIMIT 1),
          (SELECT count(*) FROM truth WHERE value IS NOT NULL), 'and row_count counts the served values');

-- Concurrently, twice in a row (the md5 rows never match the old ones on the
-- unique index, so each refresh replaces them).
SELECT results_eq('SELECT status, "concurrently", long_values FROM mv_distinct_technologies_refresh()',
                  $$VALUES ('refreshed', true, 4::bigint)$$, 'a concurrent refresh with long values succeeds');
SELECT results_eq('SELECT status, "concurrently", long_values FROM mv_distinct_technologies_refresh()',
                  $$VALUES ('refreshed', true, 4::bigint)$$, 'and a second one too');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies', 'SELECT * FROM truth',
              'the view still matches the source');

-- New and removed long values are picked up concurrently.
INSERT INTO companies (id, name, technologies) VALUES (900006, 'L6', ARRAY[pg_temp.noise('f', 2000)]);
DELETE FROM companies WHERE id = 900002;
SELECT results_eq('SELECT status, long_values FROM mv_distinct_technologies_refresh()',
                  $$VALUES ('refreshed', 4::bigint)$$, 'a concurrent refresh after changes succeeds');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies', 'SELECT * FROM truth',
              'the view matches the changed source');

-- A plain refresh (the view unpopulated) with long values.
REFRESH MATERIALIZED VIEW mv_distinct_technologies WITH NO DATA;
SELECT results_eq('SELECT status, "concurrently", long_values FROM mv_distinct_technologies_refresh()',
                  $$VALUES ('refreshed', false, 4::bigint)$$, 'a plain refresh with long values succeeds');
SELECT bag_eq('SELECT value, value_lower, value_md5 FROM mv_distinct_technologies', 'SELECT * FROM truth',
              'and fills the view as the source says');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE status <> 'refreshed'), 0::bigint,
          'no refresh failed');

-- What the library reads: the served values never include a NULL or a long one.
SELECT is((SELECT count(*) FROM mv_distinct_technologies WHERE value IS NOT NULL),
          (SELECT count(DISTINCT t) FROM companies, unnest(technologies) t WHERE octet_length(t) <= 1024),
          'value IS NOT NULL selects exactly the served values');
SELECT is(long_values, 4::bigint, 'the status view counts the long values') FROM mv_distinct_technologies_status;
SELECT is(value_count, (SELECT count(*) FROM truth WHERE value IS NOT NULL), 'and the served ones')
  FROM mv_distinct_technologies_status;

SELECT * FROM finish();
