-- The search postings and <view>_search, in both modes: the postings are
-- the 1- and 2-character grams of the set's values, written here in plain
-- SQL, after install, after refreshes and drains that add and remove odd
-- values, after a rebuild and after a first population; every page of the
-- search function equals plain SQL's strpos() over the set, for terms of
-- every kind, by offset and by cursor, in both directions.
\set testdb t_search
\ir setup.psql
-- The helpers below call what install.sql creates further down.
SET check_function_bodies = off;

-- What the postings must hold, from the set alone.
CREATE FUNCTION postings_are_truth(label text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT bag_eq('SELECT gram, value FROM mv_distinct_technologies_grams',
                       $q$SELECT DISTINCT substr(v.value_lower, i, k), v.value
                            FROM mv_distinct_technologies v, generate_series(1, length(v.value_lower)) i,
                                 generate_series(1, 2) k
                           WHERE v.value IS NOT NULL AND i + k - 1 <= length(v.value_lower)$q$,
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
                   WHERE strpos(value_lower, lower(term)) > 0 AND (after IS NULL OR value < after)
                   ORDER BY value DESC LIMIT lim OFFSET off)
       ELSE ARRAY(SELECT value FROM mv_distinct_technologies
                   WHERE strpos(value_lower, lower(term)) > 0 AND (after IS NULL OR value > after)
                   ORDER BY value LIMIT lim OFFSET off) END
$$;

-- Every page of a term, walked by cursor (limit 7) both ways, and a few by
-- offset: the terms that differ from plain SQL.
CREATE FUNCTION terms_differing(terms text[]) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    t text; d boolean; cur text; page text[]; bad text[] := '{}';
BEGIN
    FOREACH t IN ARRAY terms LOOP
        FOREACH d IN ARRAY ARRAY[false, true] LOOP
            cur := NULL;
            LOOP
                IF NOT page_is_truth(t, 8, 0, cur, d) THEN
                    bad := bad || format('%s %s after %s', t, CASE WHEN d THEN 'desc' ELSE 'asc' END, cur);
                    EXIT;
                END IF;
                page := ARRAY(SELECT * FROM mv_distinct_technologies_search(t, 8, 0, cur, d));
                EXIT WHEN cardinality(page) < 8;
                cur := page[7];
            END LOOP;
            IF NOT (page_is_truth(t, 26, 0, NULL, d) AND page_is_truth(t, 26, 13, NULL, d)
                    AND page_is_truth(t, 5, 400, NULL, d)) THEN
                bad := bad || format('%s %s by offset', t, CASE WHEN d THEN 'desc' ELSE 'asc' END);
            END IF;
        END LOOP;
    END LOOP;
    RETURN bad;
END $$;

-- Values that exercise every case: the term as a gram, rare and absent
-- grams, a rare term made of common pairs (more than 256 postings for its
-- rarest pair, and few matches), wildcards and backslashes as plain
-- characters, case folding, multibyte characters, a value whose lower()
-- differs from it, a NULL element and a value too long to serve.
INSERT INTO companies (id, name, technologies)
SELECT 700000 + g, 'bulk',
       ARRAY['ab' || lpad(g::text, 4, '0') || 'cd', 'AB-' || g || '-CD', 'x' || g, 'xy' || g, g || 'yx']
  FROM generate_series(1, 600) g;
INSERT INTO companies (id, name, technologies) VALUES
    (800001, 'odd', ARRAY['abXcd-rare-one', '50% off', 'snake_case', 'C:\Tools', 'Ünïcödé', '日本語テキスト',
                          'ÉCOLE', NULL, repeat('long', 3000), 'İstanbul']),
    (800002, 'odd', ARRAY['100%', 'a_b', 'back\\slash', 'qz-solo', 'qxyxq']);

CREATE TEMP TABLE terms AS
SELECT ARRAY['a', 'b', 'x', 'z', '%', '_', '\', '日', 'é', 'ü',
             'ab', 'cd', 'qz', 'jj', '5%', '_c', ':\', '本語', 'É',
             'abx', 'abxcd', 'abxcd-rare', 'ab0001cd', 'b-1', '-cd', 'no-such', 'zzz', 'snake_', 'e_c',
             '50%', '\t', 'tools', 'TOOLS', 'ÜNÏ', '日本語', 'école', 'istanbul', 'i̇stanbul', 'back\\',
             'AB-59', 'ab05', 'xyx', 'XYXQ', 'y'] AS t;

-- View mode.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'view mode installs');
SELECT postings_are_truth('view mode, installed');
SELECT ok((SELECT min(n) FROM mv_distinct_technologies_gram_n WHERE gram IN ('xy', 'yx')) > 256,
          'both pairs of a rare term (xyx) have more postings than the probe reads');
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'view mode: every page of every term is plain SQL''s');

-- Churn: values removed and added by refreshes.
DELETE FROM companies WHERE id BETWEEN 700001 AND 700300;
UPDATE companies SET technologies = technologies || ARRAY['New Ωmega', 'qz-two', '%%', 'AB-9999-CD']
 WHERE id = (SELECT min(id) FROM companies);
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a refresh');
SELECT postings_are_truth('view mode, after a refresh that removed and added values');
SELECT is((SELECT count(*) FROM mv_distinct_technologies_gvals),
          (SELECT count(*) FROM mv_distinct_technologies WHERE value IS NOT NULL),
          'the values the postings describe are the view''s');
SELECT is(terms_differing((SELECT t FROM terms) || ARRAY['ωm', 'qz-', '%%']), '{}'::text[],
          'view mode after a refresh: every page of every term is plain SQL''s');

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
SELECT is(terms_differing((SELECT t FROM terms)), '{}'::text[], 'and every page of every term is plain SQL''s');

-- Live mode: the drainer and the rebuild keep the postings.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'switched to live mode');
SELECT postings_are_truth('live mode, switched');
SELECT hasnt_table('mv_distinct_technologies_gvals', 'live mode has no value list: triggers on the set keep the postings');
SELECT triggers_are('mv_distinct_technologies', ARRAY['mv_distinct_technologies_gram_ins', 'mv_distinct_technologies_gram_del'],
                    'the postings triggers are on the set');
DELETE FROM companies WHERE id BETWEEN 700301 AND 700450;
INSERT INTO companies (id, name, technologies) VALUES (800003, 'live', ARRAY['Live Ωne', 'qz-three', 'ab0500cd']);
UPDATE companies SET technologies = array_remove(technologies, '50% off') WHERE id = 800001;
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'a drain');
SELECT postings_are_truth('live mode, after a drain');
SELECT is(terms_differing((SELECT t FROM terms) || ARRAY['ωn', 'qz-t']), '{}'::text[],
          'live mode: every page of every term is plain SQL''s');
TRUNCATE companies;
INSERT INTO companies (id, name, technologies) VALUES (1, 'after', ARRAY['Fresh', 'ab0001cd']);
SELECT is((SELECT status FROM mv_distinct_technologies_refresh()), 'refreshed', 'the drain after a TRUNCATE rebuilds');
SELECT postings_are_truth('live mode, after a rebuild');
SELECT is(ARRAY(SELECT * FROM mv_distinct_technologies_search('ab', 10, 0, NULL, false)), ARRAY['ab0001cd'],
          'and a search sees only what is left');

SELECT * FROM finish();
