-- The search postings and <view>_search, in both modes: the postings are
-- the 1- and 2-character grams of the set's values, written here in plain
-- SQL, after install, after refreshes and drains that add and remove odd
-- values, after a rebuild and after a first population; every page of the
-- search function equals plain SQL's strpos() over the set, for terms of
-- every kind, by offset and by cursor, in both directions.  Truth is taken
-- from value and the source alone, never from the set's value_lower.
\set testdb t_search
\ir setup.psql
-- The helpers below call what install.sql creates further down.
SET check_function_bodies = off;

-- The set serves the source's values (those of 1024 bytes or less), and the
-- postings hold, from the set's values alone, what they must.
CREATE FUNCTION postings_are_truth(label text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT bag_eq('SELECT value FROM mv_distinct_technologies WHERE value IS NOT NULL',
                       $q$SELECT DISTINCT t FROM companies, unnest(technologies) t
                           WHERE t IS NOT NULL AND octet_length(t) <= 1024$q$,
                       label || ': the set serves the source''s values');
    RETURN NEXT bag_eq('SELECT gram, value FROM mv_distinct_technologies_grams',
                       $q$SELECT DISTINCT substr(lower(v.value), i, k), v.value
                            FROM mv_distinct_technologies v, generate_series(1, length(lower(v.value))) i,
                                 generate_series(1, 2) k
                           WHERE v.value IS NOT NULL AND i + k - 1 <= length(lower(v.value))$q$,
                       label || ': the postings are every 1- and 2-character gram of every value');
    RETURN NEXT bag_eq('SELECT gram, n FROM mv_distinct_technologies_gram_n WHERE n > 0',
                       'SELECT gram, count(*) FROM mv_distinct_technologies_grams GROUP BY gram',
                       label || ': each gram''s count is its postings''');
END $$;

-- One page of the search function against plain SQL.
CREATE FUNCTION page_is_truth(term text, lim integer, off integer, after text, descending boolean)
RETURNS boolean LANGUAGE sql AS $$
SELECT ARRAY(SELECT * FROM mv_distinct_technologies_search(term, lim, off, after, descending))
       IS NOT DISTINCT FROM
       CASE WHEN descending THEN
            ARRAY(SELECT value FROM mv_distinct_technologies
                   WHERE strpos(lower(value), lower(term)) > 0 AND (after IS NULL OR value < after)
                   ORDER BY value DESC LIMIT lim OFFSET off)
       ELSE ARRAY(SELECT value FROM mv_distinct_technologies
                   WHERE strpos(lower(value), lower(term)) > 0 AND (after IS NULL OR value > after)
                   ORDER BY value LIMIT lim OFFSET off) END
$$;

-- Every page of a term, walked by cursor (limit 8, the next cursor the 7th
-- row) both ways against every match in order, and pages by offset and
-- after cursors that are and are not values against plain SQL: the terms
-- that differ.
CREATE FUNCTION terms_differing(terms text[]) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    t text; d boolean; cur text; pos integer; page text[]; truth text[]; bad text[] := '{}';
BEGIN
    FOREACH t IN ARRAY terms LOOP
        FOREACH d IN ARRAY ARRAY[false, true] LOOP
            truth := CASE WHEN d THEN
                          ARRAY(SELECT value FROM mv_distinct_technologies
                                 WHERE strpos(lower(value), lower(t)) > 0 ORDER BY value DESC)
                     ELSE ARRAY(SELECT value FROM mv_distinct_technologies
                                 WHERE strpos(lower(value), lower(t)) > 0 ORDER BY value) END;
            cur := NULL;
            pos := 0;
            LOOP
                page := ARRAY(SELECT * FROM mv_distinct_technologies_search(t, 8, 0, cur, d));
                IF page IS DISTINCT FROM truth[pos + 1:pos + 8] THEN
                    bad := bad || format('%s %s after %s', t, CASE WHEN d THEN 'desc' ELSE 'asc' END, cur);
                    EXIT;
                END IF;
                EXIT WHEN cardinality(page) < 8;
                cur := page[7];
                pos := pos + 7;
            END LOOP;
            IF NOT (page_is_truth(t, 26, 0, NULL, d) AND page_is_truth(t, 26, 13, NULL, d)
                    AND page_is_truth(t, 5, 400, NULL, d) AND page_is_truth(t, 3, 2, truth[cardinality(truth) / 2 + 1], d)) THEN
                bad := bad || format('%s %s by offset', t, CASE WHEN d THEN 'desc' ELSE 'asc' END);
            END IF;
            IF NOT (page_is_truth(t, 9, 0, 'm', d) AND page_is_truth(t, 9, 0, '', d)
                    AND page_is_truth(t, 9, 0, coalesce(truth[2], 'q') || ' ', d)
                    AND page_is_truth(t, 9, 1, chr(1114111), d)) THEN
                bad := bad || format('%s %s after a cursor that is not a value', t, CASE WHEN d THEN 'desc' ELSE 'asc' END);
            END IF;
        END LOOP;
    END LOOP;
    RETURN bad;
END $$;

-- Values that exercise every case: the term as a gram, rare and absent
-- grams, a rare term made of common pairs (more than 1024 postings for its
-- rarest pair, and a single match: xyx), wildcards and backslashes as plain
-- characters, case folding, multibyte characters, a value whose lower()
-- differs from it, a NULL element and a value too long to serve (12 kB).
-- axb_b and xzzy%y hold the rarest pair of a_b and x%y (_b and %y: a_
-- and x% are commoner), and match them only if _ and % were wildcards.
-- The churn below removes companies 700001 to 700450; the pairs of xyx are
-- in rows it leaves alone.
-- The bulk and odd rows, again in the fresh live install below.
CREATE FUNCTION add_bulk_and_odd_rows() RETURNS void LANGUAGE sql AS $$
INSERT INTO companies (id, name, technologies)
SELECT 700000 + g, 'bulk',
       ARRAY['ab' || lpad(g::text, 4, '0') || 'cd', 'AB-' || g || '-CD', 'x' || g]
  FROM generate_series(1, 600) g;
INSERT INTO companies (id, name, technologies) VALUES
    (800001, 'odd', ARRAY['abXcd-rare-one', '50% off', 'snake_case', 'C:\Tools', 'Ünïcödé', '日本語テキスト',
                          'ÉCOLE', NULL, repeat('long', 3000), 'İstanbul']),
    (800002, 'odd', ARRAY['100%', 'a_b', 'back\\slash', 'qz-solo', 'qxyxq', 'axb_b', 'xzzy%y', 'k\zz\\',
                          'data_1', 'meta_2', 'beta_3', 'x%1', 'x%2', 'x%3']);
$$;
SELECT add_bulk_and_odd_rows();
INSERT INTO companies (id, name, technologies)
SELECT 710000 + g, 'pairs', ARRAY['xy' || g, g || 'yx']
  FROM generate_series(1, 1100) g;

CREATE TEMP TABLE terms AS
SELECT ARRAY['a', 'b', 'x', 'z', '%', '_', '\', '日', 'é', 'ü',
             'ab', 'cd', 'qz', 'jj', '5%', '_c', ':\', '本語', 'É',
             'abx', 'abxcd', 'abxcd-rare', 'ab0001cd', 'b-1', '-cd', 'no-such', 'zzz', 'snake_', 'e_c',
             '50%', '\t', 'tools', 'TOOLS', 'ÜNÏ', '日本語', 'école', 'istanbul', 'i̇stanbul', 'back\\',
             'AB-59', 'ab05', 'xyx', 'XYXQ', 'y',
             'a_b', '_b', 'a%b', '%_', '%%', '0%', '\\s', 'k\', '\_', '_%', 'x%y', 'k\z', 'z\\', 'zz\\', 'k\\'] AS t;

-- How many scans of the set (its table or any of its indexes) a search of
-- term makes: the fallback for a rare term of common pairs reads the set
-- (through its trigram index, should the planner take it); every other
-- case reads the postings alone.
CREATE FUNCTION set_reads(term text, descending boolean) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    rels oid[] := ARRAY(SELECT to_regclass('mv_distinct_technologies')::oid
                        UNION ALL
                        SELECT i.indexrelid FROM pg_index i WHERE i.indrelid = to_regclass('mv_distinct_technologies'));
    n0   bigint := (SELECT sum(pg_stat_get_xact_numscans(r)) FROM unnest(rels) r);
BEGIN
    PERFORM * FROM mv_distinct_technologies_search(term, 26, 0, NULL, descending);
    RETURN (SELECT sum(pg_stat_get_xact_numscans(r)) FROM unnest(rels) r) - n0;
END $$;
CREATE FUNCTION fallback_checks(label text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT ok((SELECT min(n) FROM mv_distinct_technologies_gram_n WHERE gram IN ('xy', 'yx')) > 1024,
                   label || ': both pairs of the rare term xyx have more than 1024 postings');
    RETURN NEXT ok(set_reads('xyx', false) > 0 AND set_reads('XYX', true) > 0,
                   label || ': xyx is looked up in the set (the fallback), both ways');
    RETURN NEXT is(set_reads('x', false) + set_reads('ab', true) + set_reads('ab0', false) + set_reads('xy1', true)
                   + set_reads('no-such', false) + set_reads('abxcd-rare', false), 0::bigint,
                   label || ': terms that are grams, common, rare or absent are answered from the postings alone');
END $$;

-- View mode.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'view mode installs');
SELECT postings_are_truth('view mode, installed');
SELECT fallback_checks('view mode, installed');
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'view mode: every page of every term is plain SQL''s');

-- Churn: values removed and added by refreshes.
DELETE FROM companies WHERE id BETWEEN 700001 AND 700300;
UPDATE companies SET technologies = technologies || ARRAY['New Ωmega', 'qz-two', '%%', 'AB-9999-CD']
 WHERE id = (SELECT min(id) FROM companies);
UPDATE companies SET technologies = array_remove(array_remove(technologies, 'İstanbul'), '日本語テキスト')
                                    || ARRAY['Mixed', 'MIXED', 'mixed', 'ẞtraße', NULL, repeat('ü', 500)]
 WHERE id = 800001;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a refresh');
SELECT postings_are_truth('view mode, after a refresh that removed and added values');
SELECT is_empty($$SELECT DISTINCT value FROM mv_distinct_technologies_grams WHERE value IN ('İstanbul', '日本語テキスト', 'ab0001cd')$$,
                'the postings of the values removed are gone');
SELECT fallback_checks('view mode, after a refresh');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_gvals),
          (SELECT count(*) FROM mv_distinct_technologies WHERE value IS NOT NULL),
          'the values the postings describe are the view''s');
SELECT is(terms_differing((SELECT t FROM terms) || ARRAY['ωm', 'qz-', 'mixed', 'ẞ', 'ß', 'TRASS', 'üü', 'üüü']),
          '{}'::text[], 'view mode after a refresh: every page of every term is plain SQL''s');

-- A refresh with nothing to change rewrites no posting.
CREATE TEMP TABLE grams_rows AS SELECT ctid::text AS tid, xmin::text AS x FROM mv_distinct_technologies_grams;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a refresh with nothing new');
SELECT bag_eq('SELECT ctid::text AS tid, xmin::text AS x FROM mv_distinct_technologies_grams', 'SELECT * FROM grams_rows',
              'rewrites no posting');

-- Arguments and states.
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('', 5, 0, NULL, false)$$, '22023', NULL,
                 'an empty term is refused');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('a', -1, 0, NULL, false)$$, '22023', NULL,
                 'a negative limit is refused');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('a', 5, NULL, NULL, false)$$, '22023', NULL,
                 'a NULL offset is refused');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search(NULL, 5, 0, NULL, false)$$, '22023', NULL,
                 'a NULL term is refused');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('abc', NULL, 0, NULL, false)$$, '22023', NULL,
                 'a NULL limit is refused');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('abc', 5, -1, NULL, false)$$, '22023', NULL,
                 'a negative offset is refused');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('ab', 5, 0, 'ab', NULL)$$, '22023', NULL,
                 'a NULL direction is refused');
SELECT is_empty($$SELECT * FROM mv_distinct_technologies_search('ab', 0, 0, NULL, false)$$, 'a limit of 0 returns nothing');
SELECT ok(page_is_truth('ab', 5, 2000000000, NULL, false) AND page_is_truth('abxcd', 2000000000, 2000000000, 'a', true)
          AND page_is_truth('xyx', 2000000000, 0, NULL, false),
          'offsets and limits near the integer range are plain SQL''s');

-- A view left unpopulated gets its postings from its first refresh, and
-- searching it meanwhile fails as reading it would.
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rolled back');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v populate=off 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'installed with populate=off');
SELECT throws_ok($$SELECT * FROM mv_distinct_technologies_search('ab', 5, 0, NULL, false)$$, '55000', NULL,
                 'searching an unpopulated view fails like reading it');
SELECT is_empty('SELECT 1 FROM mv_distinct_technologies_grams', 'no postings before the first refresh');
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'the first refresh');
SELECT postings_are_truth('view mode, first population by a refresh');
SELECT is(obj_description('mv_distinct_technologies_grams_key'::regclass, 'pg_class'),
          obj_description('mv_distinct_technologies'::regclass, 'pg_class'),
          'the postings index built by the first refresh carries the marker');
SELECT fallback_checks('view mode, first population');
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'and every page of every term is plain SQL''s');

-- Live mode, switched to from the view: the drainer and the rebuild keep
-- the postings through the triggers on the set.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'switched to live mode');
SELECT postings_are_truth('live mode, switched');
SELECT fallback_checks('live mode, switched');
SELECT hasnt_table('mv_distinct_technologies_gvals', 'live mode has no value list: triggers on the set keep the postings');
SELECT triggers_are('mv_distinct_technologies', ARRAY['mv_distinct_technologies_gram_ins', 'mv_distinct_technologies_gram_del'],
                    'the postings triggers are on the set');
DELETE FROM companies WHERE id BETWEEN 700301 AND 700450;
INSERT INTO companies (id, name, technologies)
VALUES (800003, 'live', ARRAY['Live Ωne', 'qz-three', 'ab0500cd', NULL, repeat('Long', 2600), 'LIVE_%\x']);
UPDATE companies SET technologies = array_remove(technologies, '50% off') WHERE id = 800001;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a drain');
SELECT postings_are_truth('live mode, after a drain');
SELECT is(terms_differing((SELECT t FROM terms) || ARRAY['ωn', 'qz-t', 'e_%\', '_%\x']), '{}'::text[],
          'live mode: every page of every term is plain SQL''s');
-- A second drain: values that lose their last company lose their postings,
-- a value that keeps one company keeps them.
UPDATE companies SET technologies = ARRAY['ab0500cd'] WHERE id = 800003;
DELETE FROM companies WHERE id = 800002;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a second drain');
SELECT postings_are_truth('live mode, after a second drain');
SELECT is_empty($$SELECT DISTINCT value FROM mv_distinct_technologies_grams WHERE value IN ('Live Ωne', 'LIVE_%\x', 'qxyxq', 'a_b')$$,
                'the postings of the values gone are gone');
SELECT is(ARRAY(SELECT * FROM mv_distinct_technologies_search('0500', 5, 0, NULL, false)), ARRAY['ab0500cd'],
          'a value still in the set is still found');
SELECT is(ARRAY(SELECT * FROM mv_distinct_technologies_search('xyx', 5, 0, NULL, false)), '{}'::text[],
          'the rare term is gone with its only value');
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'live mode after a second drain: every page is plain SQL''s');

-- A rebuild after a TRUNCATE of the source, with odd values back.
TRUNCATE companies;
INSERT INTO companies (id, name, technologies) VALUES
    (1, 'after', ARRAY['Fresh', 'ab0001cd', 'FRESH', NULL, repeat('long', 3000), '50% off', 'C:\Tools', 'qxyxq']),
    (2, 'after', ARRAY['snake_case', 'Ünïcödé', 'İstanbul', '100%', 'a_b']);
INSERT INTO companies (id, name, technologies)
SELECT 710000 + g, 'pairs', ARRAY['xy' || g, g || 'yx'] FROM generate_series(1, 1100) g;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'the drain after a TRUNCATE rebuilds');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE status = 'refreshed' AND NOT "concurrently"
            AND id = (SELECT max(id) FROM mv_distinct_technologies_refresh_log)), 1::bigint, 'logged as a rebuild');
SELECT postings_are_truth('live mode, after a rebuild');
SELECT fallback_checks('live mode, after a rebuild');
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'live mode after a rebuild: every page is plain SQL''s');
-- An explicit rebuild with changes pending.
UPDATE companies SET technologies = technologies || ARRAY['Rebuilt Ω', 'ab9999cd'] WHERE id = 2;
DELETE FROM companies WHERE id = 1;
SELECT is((SELECT status FROM mv_distinct_technologies_rebuild()), 'refreshed', 'an explicit rebuild');
SELECT postings_are_truth('live mode, after an explicit rebuild');
SELECT is(terms_differing((SELECT t FROM terms) || ARRAY['ω', 'lt ω']), '{}'::text[],
          'live mode after an explicit rebuild: every page is plain SQL''s');

-- A fresh live install: the postings are built with the set.
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rolled back');
SELECT add_bulk_and_odd_rows();
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'a fresh live install');
SELECT postings_are_truth('live mode, installed');
SELECT fallback_checks('live mode, installed');
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'live mode installed: every page of every term is plain SQL''s');
DELETE FROM companies WHERE id BETWEEN 700001 AND 700300;
UPDATE companies SET technologies = array_remove(technologies, 'İstanbul') || ARRAY['Mixed', 'MIXED', NULL, 'ẞtraße']
 WHERE id = 800001;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a drain of the fresh install');
SELECT postings_are_truth('live mode installed, after a drain');
SELECT is(terms_differing((SELECT t FROM terms) || ARRAY['mixed', 'ß']), '{}'::text[],
          'and every page of every term is plain SQL''s');

SELECT * FROM finish();
