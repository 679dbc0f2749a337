-- Every kind of write reaches the set through the deltas: after a drain the
-- set equals plain SQL's distinct elements, with exact counts.
\set testdb t_triggers
\ir setup.psql

CREATE FUNCTION pg_temp.drain() RETURNS text LANGUAGE sql AS
$$SELECT status || ' ' || "concurrently" FROM mv_distinct_technologies_refresh()$$;
-- The pending deltas summed per value (each array's distinct elements).
CREATE FUNCTION pg_temp.pending() RETURNS TABLE (value text, delta integer) LANGUAGE sql AS
$$SELECT d.e, sum(d.n)::integer
    FROM (SELECT DISTINCT p.ctid, e, p.times AS n FROM mv_distinct_technologies_pending p, unnest(p.plus) AS e
           WHERE e IS NOT NULL
          UNION ALL
          SELECT DISTINCT p.ctid, e, -p.times FROM mv_distinct_technologies_pending p, unnest(p.minus) AS e
           WHERE e IS NOT NULL) AS d
   GROUP BY d.e$$;
CREATE FUNCTION pg_temp.pending_rows() RETURNS bigint LANGUAGE sql AS
$$SELECT count(*) FROM mv_distinct_technologies_pending$$;

SELECT matches(:'out'::text, 'exit=0$', 'live.sql installs');

-- INSERT: duplicates in one array count once, NULL elements and NULL or
-- empty arrays count nothing; one statement's rows are summed per value.
INSERT INTO companies VALUES
    (1001, 'a', ARRAY['T-new', 'T-new', NULL, 'PostgreSQL']),
    (1002, 'b', ARRAY['T-new', 'T-other']),
    (1003, 'c', NULL),
    (1004, 'd', '{}'),
    (1005, 'e', ARRAY[NULL]::text[]);
SELECT bag_eq('SELECT * FROM pg_temp.pending()',
              $$VALUES ('T-new', 2), ('T-other', 1), ('PostgreSQL', 1)$$,
              'a multi-row INSERT appends deltas of distinct elements');
SELECT is(pg_temp.pending_rows(), 3::bigint, 'one pending row per row with elements');
SELECT is(pg_temp.drain(), 'refreshed true', 'a drain applies them');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after INSERT');
SELECT is(pg_temp.pending_rows(), 0::bigint, 'the drain consumed every delta');
INSERT INTO companies VALUES (1006, 'f', ARRAY['T-one', 'PostgreSQL', 'Python', 'Go', 'Rust']);
SELECT is(pg_temp.pending_rows(), 1::bigint, 'a single-row INSERT appends one pending row');
SELECT bag_eq('SELECT unnest(plus) FROM mv_distinct_technologies_pending',
              $$VALUES ('T-one'), ('PostgreSQL'), ('Python'), ('Go'), ('Rust')$$, 'carrying all its values');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');

INSERT INTO companies SELECT 2000 + i, 'copy', ARRAY['T-sel-' || i % 3, 'T-new'] FROM generate_series(1, 10) i;
SELECT bag_eq('SELECT * FROM pg_temp.pending()',
              $$VALUES ('T-sel-0', 3), ('T-sel-1', 4), ('T-sel-2', 3), ('T-new', 10)$$,
              'INSERT ... SELECT appends summed deltas');

-- COPY fires the statement trigger too.
COPY companies (id, name, technologies) FROM STDIN;
3001	copy1	{T-copy,T-copy,"with space",NULL}
3002	copy2	\N
3003	copy3	{T-copy}
\.
SELECT bag_eq($$SELECT * FROM pg_temp.pending() WHERE value IN ('T-copy', 'with space')$$,
              $$VALUES ('T-copy', 2), ('with space', 1)$$, 'COPY appends deltas');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after INSERT ... SELECT and COPY');

-- UPDATE of another column, or to an equal array, appends nothing.
UPDATE companies SET name = name || '!' WHERE id <= 100;
UPDATE companies SET technologies = technologies WHERE id <= 100;
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
UPDATE companies SET name = name || '!' WHERE id <= 100;
UPDATE companies SET technologies = technologies WHERE id <= 100;
SELECT is(pg_temp.pending_rows(), 0::bigint, 'UPDATE of other columns or to the same array: no delta');
-- A permutation changes the array but not the set of its elements.
UPDATE companies SET technologies = ARRAY(SELECT unnest(technologies) ORDER BY 1 DESC) WHERE id = 1;
SELECT is(pg_temp.pending_rows(), 0::bigint, 'a permutation: no delta');
UPDATE companies SET technologies[1] = 'T-swap' WHERE id = 7;
SELECT is(pg_temp.pending_rows(), 1::bigint, 'replacing one element appends one pending row');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');

-- UPDATE adding, removing, replacing, duplicating, emptying, nulling.
UPDATE companies SET technologies = technologies || 'T-added'::text WHERE id = 1;
UPDATE companies SET technologies = array_remove(technologies, 'T-new') WHERE id = 1001;
UPDATE companies SET technologies[1] = 'T-replaced' WHERE id = 2;
UPDATE companies SET technologies = technologies || technologies[1] WHERE id = 3;
UPDATE companies SET technologies = '{}' WHERE id = 4;
UPDATE companies SET technologies = NULL WHERE id = 5;
UPDATE companies SET technologies = ARRAY['T-from-null', NULL] WHERE id = 1003;
UPDATE companies SET technologies = ARRAY['T-from-empty'] WHERE id = 1004;
SELECT bag_eq($$SELECT * FROM pg_temp.pending() WHERE value LIKE 'T-%'$$,
              $$VALUES ('T-added', 1), ('T-new', -1), ('T-replaced', 1), ('T-from-null', 1), ('T-from-empty', 1)$$,
              'UPDATE appends the difference of the element sets');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after UPDATEs');

-- A multi-row UPDATE of the column, and one row updated twice.
UPDATE companies SET technologies = technologies || 'T-bulk'::text WHERE id BETWEEN 10 AND 50;
UPDATE companies SET technologies = array_remove(technologies, 'T-bulk') WHERE id = 10;
UPDATE companies SET technologies = array_remove(technologies, 'PostgreSQL') WHERE id % 7 = 0;
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after multi-row UPDATEs');

-- DELETE, one row and many; values whose count reaches 0 leave the set.
DELETE FROM companies WHERE id = 1002;
DELETE FROM companies WHERE id BETWEEN 2001 AND 2010;
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after DELETEs');
SELECT is((SELECT count(*) FROM actual WHERE value LIKE 'T-sel-%' OR value = 'T-other'), 0::bigint,
          'values no company has any more are gone');

-- A multi-statement transaction with a rolled-back part.
BEGIN;
INSERT INTO companies VALUES (4001, 'x', ARRAY['T-kept']);
SAVEPOINT s;
INSERT INTO companies VALUES (4002, 'y', ARRAY['T-rolled-back']);
UPDATE companies SET technologies = '{}' WHERE id BETWEEN 1 AND 20;
DELETE FROM companies WHERE id BETWEEN 21 AND 40;
ROLLBACK TO SAVEPOINT s;
UPDATE companies SET technologies = technologies || 'T-kept'::text WHERE id = 41;
COMMIT;
SELECT is((SELECT count(*) FROM pg_temp.pending() WHERE value = 'T-rolled-back'), 0::bigint,
          'a rolled-back subtransaction leaves no delta');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after a partly rolled-back transaction');

BEGIN;
DELETE FROM companies WHERE id <= 200;
ROLLBACK;
SELECT is(pg_temp.pending_rows(), 0::bigint, 'a rolled-back transaction leaves no delta');

-- Long values are kept by md5, counted and never served.
INSERT INTO companies VALUES (5001, 'long', ARRAY[repeat('L', 2000), repeat('L', 2000), 'T-short']),
                             (5002, 'long', ARRAY[repeat('L', 2000), repeat('M', 1025)]);
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact with long values');
SELECT results_eq($$SELECT n FROM mv_distinct_technologies WHERE value_md5 = md5(repeat('L', 2000))$$,
                  $$VALUES (2::bigint)$$, 'a long value is counted by md5');
SELECT results_eq($$SELECT row_count, long_values FROM mv_distinct_technologies_refresh_log ORDER BY id DESC LIMIT 1$$,
                  $$SELECT count(value), count(value_md5) FROM expected$$, 'the log counts short and long values');
UPDATE companies SET technologies = ARRAY['T-short'] WHERE id = 5002;
DELETE FROM companies WHERE id = 5001;
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact once long values are gone');
SELECT is((SELECT count(*) FROM mv_distinct_technologies WHERE value_md5 IS NOT NULL), 0::bigint, 'no long value left');

-- Arrays of more than one dimension and long arrays: their elements count like
-- any others, through every kind of write, a drain and a rebuild.
INSERT INTO companies VALUES (5101, 'grid', '{{T-grid-a,T-grid-b},{T-grid-a,NULL}}'),
                             (5102, 'wide', ARRAY(SELECT 'T-wide-' || i % 40 FROM generate_series(1, 80) i));
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after INSERTs of a 2-D and a long array');
UPDATE companies SET technologies = '{{T-grid-a,T-grid-c}}' WHERE id = 5101;
UPDATE companies SET technologies = technologies[1:70] || 'T-wide-new'::text WHERE id = 5102;
UPDATE companies SET technologies = '{{T-grid-d,T-swap},{T-grid-d,T-grid-d}}' WHERE id = 7;
SELECT bag_eq($$SELECT * FROM pg_temp.pending() WHERE value LIKE 'T-grid-%' OR value LIKE 'T-wide-new'$$,
              $$VALUES ('T-grid-b', -1), ('T-grid-c', 1), ('T-grid-d', 1), ('T-wide-new', 1)$$,
              'UPDATEs to and from 2-D and long arrays append their differences');
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after UPDATEs of 2-D and long arrays');
UPDATE companies SET technologies = ARRAY['T-flat'] WHERE id = 5101;
DELETE FROM companies WHERE id = 5102;
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact once they are flat or gone');
UPDATE companies SET technologies = '{{T-grid-e},{T-grid-e}}' WHERE id = 5101;
SELECT results_eq($$SELECT status FROM mv_distinct_technologies_rebuild()$$, $$VALUES ('refreshed')$$,
                  'a rebuild reads a 2-D array');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after the rebuild');

-- The counts kept in the state row match the set.
SELECT results_eq($$SELECT value_count, long_values FROM mv_distinct_technologies_live_status$$,
                  $$SELECT count(value), count(value_md5) FROM mv_distinct_technologies$$,
                  'value_count and long_values follow the set');
SELECT results_eq($$SELECT value, value_lower FROM mv_distinct_technologies WHERE value IS NOT NULL$$,
                  $$SELECT value, lower(value) FROM mv_distinct_technologies WHERE value IS NOT NULL$$,
                  'value_lower is lower(value)');

-- TRUNCATE marks the set; the next drain rebuilds it (including what the
-- truncating transaction inserted afterwards).
BEGIN;
TRUNCATE companies;
INSERT INTO companies VALUES (6001, 'after', ARRAY['T-after-truncate', 'Python']);
COMMIT;
SELECT is((SELECT needs_rebuild FROM mv_distinct_technologies_live_status), true, 'TRUNCATE marks the set for a rebuild');
SELECT is(pg_temp.drain(), 'refreshed false', 'the next drain rebuilds');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after TRUNCATE');
SELECT results_eq($$SELECT needs_rebuild, pending_changes, value_count FROM mv_distinct_technologies_live_status$$,
                  $$VALUES (false, 0::bigint, 2::bigint)$$, 'unmarked, nothing pending');
INSERT INTO companies SELECT * FROM companies WHERE false;
SELECT is(pg_temp.drain(), 'refreshed true', 'later drains apply deltas again');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'still exact');

-- MERGE (PostgreSQL 15) fires the same triggers.
MERGE INTO companies c USING (VALUES (6001, ARRAY['T-merged']), (6002, ARRAY['T-merged', 'Go'])) AS s(id, t)
   ON c.id = s.id
 WHEN MATCHED THEN UPDATE SET technologies = s.t
 WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'merged', s.t);
SELECT is(pg_temp.drain(), 'refreshed true', 'drained');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after MERGE');

-- The operator's rebuild on a correct set writes nothing and logs.
SELECT results_eq($$SELECT status, "concurrently", row_count FROM mv_distinct_technologies_rebuild()$$,
                  $$SELECT 'refreshed', false, count(value) FROM expected$$, 'rebuild() rebuilds and logs');
SELECT bag_eq('SELECT * FROM actual', 'SELECT * FROM expected', 'exact after rebuild');

SELECT * FROM finish();
