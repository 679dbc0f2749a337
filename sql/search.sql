-- libtechmv search postings: every 1- and 2-character gram of every value,
-- kept in value order, so that a search of any term reads a handful of index
-- entries whatever the number of distinct values.
--
-- Included by install.sql (\ir search.sql) inside its transaction whenever
-- it builds or swaps the set (a fresh install, an upgrade, a switch of
-- mode), once the set has its final name; not meant to be run alone.  The
-- postings are built afresh from the set; an unpopulated view gets them
-- from its first refresh.
--
-- Why postings.  pg_trgm cannot look up a term without a word of three
-- characters (`k`, `qz`, `é`, `%`), so such a term scans every value; and a
-- GIN index returns its matches unordered, so a common term must fetch and
-- sort every match for a page of 26.  A btree on (gram, value) answers
-- "values containing gram g, in order, after v" by reading exactly the rows
-- of the page:
--   * 1 or 2 characters: the term is a gram; its postings are the answer.
--   * 3 or more: the postings of the term's rarest 2-character gram
--     (<view>_gram_n counts them), filtered by LIKE, stop after the page;
--     a term with an absent gram has no match and reads nothing.  When the
--     rarest gram is common and the first 256 of its postings hold few
--     matches (a rare term made of common pairs), the trigram index finds
--     the few matches instead.
-- The price is disk and upkeep: about 17 postings per value (1.2 GB for a
-- million values of ten characters), and each value added to or removed
-- from the set writes or deletes its postings.
--
-- Objects: tables <view>_grams (gram, value) with unique index
-- <view>_grams_key, <view>_gram_n (gram, n) with primary key
-- <view>_gram_n_key, function <view>_grams_apply(text[], text[], text[],
-- text[]), <view>_search(text, integer, integer, text, boolean); in view
-- mode table <view>_gvals (the values the postings describe, primary key
-- <view>_gvals_key) and function <view>_grams_sync(), called by the refresh
-- function after each refresh; in live mode trigger function
-- <view>_gram_trg() and its triggers <view>_gram_ins and <view>_gram_del on
-- the set, fired by the drainer and the rebuild.
--
-- Readers need SELECT on <view>_grams and <view>_gram_n as well as on the
-- set: install.sql grants them what the set is granted.

\set ON_ERROR_STOP on

-- The postings' value column sorts like the set's value column, so that a
-- page of postings is a page of the set.
SELECT CASE WHEN a.attcollation = 0 OR a.attcollation = 100 THEN ''
            ELSE format(' COLLATE %I.%I', cn.nspname, co.collname) END AS value_collate,
       c.relkind = 'r' OR c.relispopulated AS set_readable
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
 WHERE a.attrelid = format('%I.%I', :'schema', :'view')::regclass AND a.attname = 'value'
\gset

-- The other mode's functions go with the set they served.
\if :want_view
DROP FUNCTION IF EXISTS :"schema".:"gram_trg"();
\else
DROP FUNCTION IF EXISTS :"schema".:"grams_sync"();
\endif
DROP TABLE IF EXISTS :"schema".:"grams", :"schema".:"gram_n", :"schema".:"gvals";
-- The grams of lower(value): search folds case as ILIKE does.  A gram is
-- one or two characters; the second substr() of the last character is the
-- first one again, which DISTINCT removes.
CREATE TABLE :"schema".:"grams" (
    gram  text COLLATE "C" NOT NULL,
    value text :value_collate NOT NULL
);
\if :set_readable
-- In index order, so that a gram's postings share heap pages.
INSERT INTO :"schema".:"grams" (gram, value)
SELECT DISTINCT pg_catalog.substr(v.value_lower, i.i, k.k) COLLATE "C", v.value
  FROM :"schema".:"view" v
 CROSS JOIN LATERAL pg_catalog.generate_series(1, pg_catalog.length(v.value_lower)) AS i(i)
 CROSS JOIN (VALUES (1), (2)) AS k(k)
 WHERE v.value IS NOT NULL
 ORDER BY 1, 2;
\endif
CREATE UNIQUE INDEX :"grams_key" ON :"schema".:"grams" (gram, value);
CREATE TABLE :"schema".:"gram_n" (
    gram text COLLATE "C" NOT NULL,
    n    bigint NOT NULL,
    CONSTRAINT :"gram_n_key" PRIMARY KEY (gram)
);
INSERT INTO :"schema".:"gram_n" (gram, n)
SELECT g.gram, pg_catalog.count(*) FROM :"schema".:"grams" g GROUP BY g.gram;
\if :want_view
CREATE TABLE :"schema".:"gvals" (
    value       text :value_collate NOT NULL,
    value_lower text NOT NULL,
    CONSTRAINT :"gvals_key" PRIMARY KEY (value)
);
\if :set_readable
INSERT INTO :"schema".:"gvals" (value, value_lower)
SELECT v.value, v.value_lower FROM :"schema".:"view" v WHERE v.value IS NOT NULL;
\endif
\endif
-- Readers of the set may read its postings; the refresh role keeps them.
SELECT format('GRANT %s ON %I.%I TO %s', a.privilege_type, :'schema', t.name,
              CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END)
  FROM pg_catalog.pg_class c
 CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) a
  LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
 CROSS JOIN (VALUES (:'grams'), (:'gram_n')) AS t(name)
 WHERE c.oid = format('%I.%I', :'schema', :'view')::regclass
   AND a.grantee <> c.relowner AND a.privilege_type = 'SELECT'
\gexec

-- Adds the postings of the values added to the set and removes those of the
-- values removed (each given with its lower(), as the set stores it), and
-- keeps each gram's count equal to its postings: only rows really inserted
-- or deleted are counted.  A count that reaches 0 stays as a row of 0,
-- which search reads as absent.  Called by one writer at a time (the
-- refresh function or the drainer, under the refresh lock).
-- The cost is about 17 postings per value added or removed, each an index
-- lookup or insertion, and nothing more: the planner, which cannot see the
-- arrays' sizes, must not hash-join the removals with every posting, so
-- only nested loops over the index are allowed; the insertions come in
-- index order, which halves their cost.
SELECT format($fmt$
CREATE OR REPLACE FUNCTION %1$I.%2$I(
    added_values  text[],
    added_lower   text[],
    removed_values text[],
    removed_lower  text[])
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $body$
WITH gone AS (
    DELETE FROM %1$I.%3$I g
     USING (SELECT DISTINCT substr(x.l, i.i, k.k) AS gram, x.v AS value
              FROM unnest(removed_values, removed_lower) AS x(v, l)
             CROSS JOIN LATERAL generate_series(1, length(x.l)) AS i(i)
             CROSS JOIN (VALUES (1), (2)) AS k(k)) r
     WHERE g.gram = r.gram AND g.value = r.value
    RETURNING g.gram
), put AS (
    INSERT INTO %1$I.%3$I (gram, value)
    SELECT DISTINCT substr(x.l, i.i, k.k) COLLATE "C", x.v
      FROM unnest(added_values, added_lower) AS x(v, l)
     CROSS JOIN LATERAL generate_series(1, length(x.l)) AS i(i)
     CROSS JOIN (VALUES (1), (2)) AS k(k)
     ORDER BY 1, 2
    ON CONFLICT DO NOTHING
    RETURNING gram
)
INSERT INTO %1$I.%4$I AS c (gram, n)
SELECT s.gram, sum(s.w)
  FROM (SELECT gram, -1 AS w FROM gone UNION ALL SELECT gram, 1 FROM put) AS s
 GROUP BY s.gram
HAVING sum(s.w) <> 0
ON CONFLICT (gram) DO UPDATE SET n = c.n + excluded.n
$body$
$fmt$, :'schema', :'grams_apply', :'grams', :'gram_n')
\gexec
REVOKE ALL ON FUNCTION :"schema".:"grams_apply"(text[], text[], text[], text[]) FROM PUBLIC;

\if :want_view
-- After a refresh: the values the view gained and lost since the postings
-- were last brought up to date, found by comparing it with <view>_gvals
-- (two anti-joins over the values, about a second for a million), and
-- applied.  Returns how many values changed.  The first population (no
-- values yet) builds the postings in bulk and their index after them:
-- inserting a million values' postings through the index takes three
-- times as long.
SELECT format($fmt$
CREATE OR REPLACE FUNCTION %1$I.%2$I()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_added_values   text[];
    v_added_lower    text[];
    v_removed_values text[];
    v_removed_lower  text[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM %1$I.%4$I) THEN
        DROP INDEX %1$I.%7$I;
        DELETE FROM %1$I.%8$I;
        DELETE FROM %1$I.%6$I;
        INSERT INTO %1$I.%8$I (gram, value)
        SELECT DISTINCT substr(v.value_lower, i.i, k.k) COLLATE "C", v.value
          FROM %1$I.%3$I v
         CROSS JOIN LATERAL generate_series(1, length(v.value_lower)) AS i(i)
         CROSS JOIN (VALUES (1), (2)) AS k(k)
         WHERE v.value IS NOT NULL
         ORDER BY 1, 2;
        CREATE UNIQUE INDEX %7$I ON %1$I.%8$I (gram, value);
        COMMENT ON INDEX %1$I.%7$I IS %9$L;
        INSERT INTO %1$I.%6$I (gram, n)
        SELECT g.gram, count(*) FROM %1$I.%8$I g GROUP BY g.gram;
        INSERT INTO %1$I.%4$I (value, value_lower)
        SELECT v.value, v.value_lower FROM %1$I.%3$I v WHERE v.value IS NOT NULL;
        RETURN (SELECT count(*) FROM %1$I.%4$I);
    END IF;
    SELECT coalesce(array_agg(v.value), '{}'), coalesce(array_agg(v.value_lower), '{}')
      INTO v_added_values, v_added_lower
      FROM %1$I.%3$I v
     WHERE v.value IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM %1$I.%4$I x WHERE x.value = v.value);
    SELECT coalesce(array_agg(x.value), '{}'), coalesce(array_agg(x.value_lower), '{}')
      INTO v_removed_values, v_removed_lower
      FROM %1$I.%4$I x
     WHERE NOT EXISTS (SELECT 1 FROM %1$I.%3$I v WHERE v.value = x.value);
    DELETE FROM %1$I.%4$I x USING unnest(v_removed_values) AS r(value) WHERE x.value = r.value;
    INSERT INTO %1$I.%4$I (value, value_lower)
    SELECT * FROM unnest(v_added_values, v_added_lower);
    PERFORM %1$I.%5$I(v_added_values, v_added_lower, v_removed_values, v_removed_lower);
    RETURN cardinality(v_added_values)::bigint + cardinality(v_removed_values);
END
$body$
$fmt$, :'schema', :'grams_sync', :'view', :'gvals', :'grams_apply', :'gram_n', :'grams_key', :'grams', :'mode_marker')
\gexec
REVOKE ALL ON FUNCTION :"schema".:"grams_sync"() FROM PUBLIC;
\else
-- Live mode: the drainer and the rebuild insert and delete rows of the set
-- (a count that changes is an UPDATE, which changes no value); one call per
-- statement, with the statement's rows.
SELECT format($fmt$
CREATE OR REPLACE FUNCTION %1$I.%2$I()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_values text[];
    v_lower  text[];
BEGIN
    SELECT coalesce(array_agg(c.value), '{}'), coalesce(array_agg(c.value_lower), '{}')
      INTO v_values, v_lower
      FROM changed_rows c
     WHERE c.value IS NOT NULL;
    IF TG_OP = 'INSERT' THEN
        PERFORM %1$I.%3$I(v_values, v_lower, '{}', '{}');
    ELSE
        PERFORM %1$I.%3$I('{}', '{}', v_values, v_lower);
    END IF;
    RETURN NULL;
END
$body$
$fmt$, :'schema', :'gram_trg', :'grams_apply')
\gexec
REVOKE ALL ON FUNCTION :"schema".:"gram_trg"() FROM PUBLIC;
DROP TRIGGER IF EXISTS :"gram_ins" ON :"schema".:"view";
DROP TRIGGER IF EXISTS :"gram_del" ON :"schema".:"view";
CREATE TRIGGER :"gram_ins" AFTER INSERT ON :"schema".:"view"
    REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION :"schema".:"gram_trg"();
CREATE TRIGGER :"gram_del" AFTER DELETE ON :"schema".:"view"
    REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION :"schema".:"gram_trg"();
\endif

-- One page of the values containing term (case folded as ILIKE does), in
-- order, after the cursor if one is given: what techmv_list runs for a
-- search of the set.  lim is the page's rows plus one (the library's
-- has_more); off the rows to skip.  Each case is a static query whose plan
-- does not depend on the term (cached for the session), except the trigram
-- fallback, planned with the term in hand.  Parallel workers and JIT cost
-- more to start than these queries take, whatever the caller's settings.
SELECT format($fmt$
CREATE OR REPLACE FUNCTION %1$I.%2$I(
    term       text,
    lim        integer,
    off        integer,
    after      text,
    descending boolean)
RETURNS SETOF text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $body$
DECLARE
    t      text := lower(term);
    len    integer := length(t);
    want   bigint := lim::bigint + off;
    walk   constant integer := 256;
    best   text;
    best_n bigint;
    pat    text;
    found  text[];
BEGIN
    IF term IS NULL OR len = 0 OR lim IS NULL OR lim < 0 OR off IS NULL OR off < 0 OR descending IS NULL THEN
        RAISE EXCEPTION 'libtechmv: invalid search arguments'
            USING ERRCODE = '22023', HINT = 'term must not be empty; lim and off must be >= 0.';
    END IF;
    -- A view never refreshed fails here as any query of it would
    -- (object_not_in_prerequisite_state), rather than find no postings.
    PERFORM FROM %1$I.%5$I LIMIT 0;
    IF len <= 2 THEN
        IF after IS NULL AND NOT descending THEN
            RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = t
                          ORDER BY g.value LIMIT lim OFFSET off;
        ELSIF after IS NULL THEN
            RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = t
                          ORDER BY g.value DESC LIMIT lim OFFSET off;
        ELSIF NOT descending THEN
            RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = t AND g.value > after
                          ORDER BY g.value LIMIT lim OFFSET off;
        ELSE
            RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = t AND g.value < after
                          ORDER BY g.value DESC LIMIT lim OFFSET off;
        END IF;
        RETURN;
    END IF;
    -- The rarest of the term's 2-character grams; a gram with no postings
    -- (no row, or a count of 0) sorts first and means no match.
    SELECT b.gram, nullif(c.n, 0) INTO best, best_n
      FROM (SELECT DISTINCT substr(t, i.i, 2) AS gram FROM generate_series(1, len - 1) AS i(i)) b
      LEFT JOIN %1$I.%4$I c ON c.gram = b.gram
     ORDER BY nullif(c.n, 0) NULLS FIRST, b.gram
     LIMIT 1;
    IF best_n IS NULL THEN
        RETURN;
    END IF;
    pat := '%%' || replace(replace(replace(t, '\', '\\'), '%%', '\%%'), '_', '\_') || '%%';
    IF best_n > walk THEN
        -- A common term fills its page within the first postings.
        IF after IS NULL AND NOT descending THEN
            found := ARRAY(SELECT w.value FROM (SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best
                                                 ORDER BY g.value LIMIT walk) w
                            WHERE lower(w.value) LIKE pat LIMIT want);
        ELSIF after IS NULL THEN
            found := ARRAY(SELECT w.value FROM (SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best
                                                 ORDER BY g.value DESC LIMIT walk) w
                            WHERE lower(w.value) LIKE pat LIMIT want);
        ELSIF NOT descending THEN
            found := ARRAY(SELECT w.value FROM (SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best AND g.value > after
                                                 ORDER BY g.value LIMIT walk) w
                            WHERE lower(w.value) LIKE pat LIMIT want);
        ELSE
            found := ARRAY(SELECT w.value FROM (SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best AND g.value < after
                                                 ORDER BY g.value DESC LIMIT walk) w
                            WHERE lower(w.value) LIKE pat LIMIT want);
        END IF;
        IF cardinality(found) = want THEN
            RETURN QUERY SELECT f.v FROM unnest(found[off + 1:]) AS f(v);
            RETURN;
        END IF;
        -- Few matches among many postings: walking on would read about
        -- (want - found) * walk / found more of them, at about a microsecond
        -- each; past four walks the trigram index (the term has 3
        -- characters), which reads only its matches and sorts them, is
        -- cheaper.
        IF cardinality(found) = 0 OR (want - cardinality(found)) * walk / cardinality(found) > 4 * walk THEN
            RETURN QUERY EXECUTE format(
                'SELECT m.value FROM (SELECT v.value FROM %1$I.%5$I v WHERE v.value_lower LIKE $1 %%s OFFSET 0) m '
                'ORDER BY m.value %%s LIMIT $2 OFFSET $3',
                CASE WHEN after IS NULL THEN '' WHEN descending THEN 'AND v.value < $4' ELSE 'AND v.value > $4' END,
                CASE WHEN descending THEN 'DESC' ELSE 'ASC' END)
                USING pat, lim, off, after;
            RETURN;
        END IF;
    END IF;
    IF after IS NULL AND NOT descending THEN
        RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best AND lower(g.value) LIKE pat
                      ORDER BY g.value LIMIT lim OFFSET off;
    ELSIF after IS NULL THEN
        RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best AND lower(g.value) LIKE pat
                      ORDER BY g.value DESC LIMIT lim OFFSET off;
    ELSIF NOT descending THEN
        RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best AND lower(g.value) LIKE pat
                         AND g.value > after
                      ORDER BY g.value LIMIT lim OFFSET off;
    ELSE
        RETURN QUERY SELECT g.value FROM %1$I.%3$I g WHERE g.gram = best AND lower(g.value) LIKE pat
                         AND g.value < after
                      ORDER BY g.value DESC LIMIT lim OFFSET off;
    END IF;
END
$body$
$fmt$, :'schema', :'search_func', :'grams', :'gram_n', :'view')
\gexec

COMMENT ON TABLE :"schema".:"grams" IS :'mode_marker';
COMMENT ON INDEX :"schema".:"grams_key" IS :'mode_marker';
COMMENT ON TABLE :"schema".:"gram_n" IS :'mode_marker';
COMMENT ON INDEX :"schema".:"gram_n_key" IS :'mode_marker';
COMMENT ON FUNCTION :"schema".:"grams_apply"(text[], text[], text[], text[]) IS :'mode_marker';
COMMENT ON FUNCTION :"schema".:"search_func"(text, integer, integer, text, boolean) IS :'mode_marker';
\if :want_view
COMMENT ON TABLE :"schema".:"gvals" IS :'mode_marker';
COMMENT ON INDEX :"schema".:"gvals_key" IS :'mode_marker';
COMMENT ON FUNCTION :"schema".:"grams_sync"() IS :'mode_marker';
\else
COMMENT ON FUNCTION :"schema".:"gram_trg"() IS :'mode_marker';
COMMENT ON TRIGGER :"gram_ins" ON :"schema".:"view" IS :'mode_marker';
COMMENT ON TRIGGER :"gram_del" ON :"schema".:"view" IS :'mode_marker';
\endif
