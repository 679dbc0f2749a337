-- Who may search.  Roles granted SELECT on the set when install.sql builds
-- or swaps it (a fresh install's refresh_role, a switch of mode either way,
-- an upgrade from versions 1, 2 and 3) get SELECT on its postings and can
-- search through <view>_search; the function runs with its caller's rights,
-- so a role that may not read the set finds nothing through it, postings
-- or not.
\set testdb t_search_grants
\ir setup.psql

CREATE ROLE techmv_g_refresher NOLOGIN;    -- install.sql's refresh_role
CREATE ROLE techmv_g_reader NOLOGIN;       -- SELECT on the set, granted by hand
CREATE ROLE techmv_g_nobody NOLOGIN;       -- nothing
CREATE ROLE techmv_g_postings NOLOGIN;     -- SELECT on the postings only
CREATE ROLE techmv_g_old_reader NOLOGIN;   -- SELECT on an old version's view

-- A search as role r: every match of term in order, or the error's SQLSTATE.
CREATE FUNCTION search_as(r name, term text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
    got text[];
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', r);
    BEGIN
        got := ARRAY(SELECT * FROM mv_distinct_technologies_search(term, 100000, 0, NULL, false));
    EXCEPTION WHEN OTHERS THEN
        got := ARRAY['error ' || SQLSTATE];
    END;
    RESET ROLE;
    RETURN got;
END $$;
-- What a search of term must return, from the source.
CREATE FUNCTION truth(term text) RETURNS text[] LANGUAGE sql AS $$
SELECT ARRAY(SELECT DISTINCT t FROM companies, unnest(technologies) t
              WHERE octet_length(t) <= 1024 AND strpos(lower(t), lower(term)) > 0 ORDER BY t)
$$;
-- Whether r may search: the postings readable and every kind of term
-- (a gram, a longer term, one with an absent pair) answered as plain SQL.
CREATE FUNCTION searches(r name) RETURNS boolean LANGUAGE sql AS $$
SELECT has_table_privilege(r, 'mv_distinct_technologies_grams', 'SELECT')
   AND has_table_privilege(r, 'mv_distinct_technologies_gram_n', 'SELECT')
   AND search_as(r, 'p') = truth('p') AND search_as(r, 'Py') = truth('Py')
   AND search_as(r, 'script') = truth('script') AND search_as(r, 'qqq') = '{}'
   AND cardinality(truth('p')) > 0 AND cardinality(truth('script')) > 0
$$;
-- The errors r gets from searches of a gram and of a longer term.
CREATE FUNCTION refusals(r name) RETURNS text[] LANGUAGE sql AS $$
SELECT search_as(r, 'p') || search_as(r, 'script')
$$;

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v refresh_role=techmv_g_refresher 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'view mode installs with a refresh role');
SELECT ok(NOT prosecdef, 'the search function runs with its caller''s rights')
  FROM pg_proc WHERE oid = 'mv_distinct_technologies_search(text, integer, integer, text, boolean)'::regprocedure;
SELECT ok(has_function_privilege('public', 'mv_distinct_technologies_search(text, integer, integer, text, boolean)', 'EXECUTE'),
          'anyone may call it');
SELECT ok(NOT has_table_privilege('public', 'mv_distinct_technologies_grams', 'SELECT')
          AND NOT has_table_privilege('public', 'mv_distinct_technologies_gram_n', 'SELECT'),
          'the postings are not readable by everyone');
SELECT ok(searches('techmv_g_refresher'), 'the refresh role may read the postings and search');

-- Without SELECT on the set nothing is found, whatever the postings'
-- grants; a role granted the set after the install needs the postings too
-- (as the README says) until install.sql next swaps the set.
GRANT SELECT ON mv_distinct_technologies_grams, mv_distinct_technologies_gram_n TO techmv_g_postings;
GRANT SELECT ON mv_distinct_technologies TO techmv_g_reader;
SELECT is(refusals('techmv_g_nobody'), ARRAY['error 42501', 'error 42501'], 'a role with no grant cannot search');
SELECT is(refusals('techmv_g_postings'), ARRAY['error 42501', 'error 42501'],
          'nor can a role that may read the postings but not the set');
SELECT is(refusals('techmv_g_reader'), ARRAY['error 42501', 'error 42501'],
          'a role granted the set after the install is refused the postings');

-- A switch to live mode rebuilds the set and its postings: the readers of
-- the old set read the new postings.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'switched to live mode');
SELECT ok(searches('techmv_g_reader'), 'live mode: the reader of the old set may search');
SELECT ok(searches('techmv_g_refresher'), 'live mode: and so may the refresh role');
SELECT is(refusals('techmv_g_nobody'), ARRAY['error 42501', 'error 42501'], 'live mode: a role with no grant still cannot');
SELECT is(refusals('techmv_g_postings'), ARRAY['error 42501', 'error 42501'],
          'live mode: nor can one granted only the old postings');
INSERT INTO companies (id, name, technologies) VALUES (900001, 'new', ARRAY['Scripted-Live']);
SELECT is(status, 'refreshed', 'a drain') FROM mv_distinct_technologies_refresh();
SELECT ok(searches('techmv_g_reader') AND 'Scripted-Live' = ANY (search_as('techmv_g_reader', 'script')),
          'live mode: the reader finds what the drain added');

-- Everyone's grant is carried the same way, back to the view.
GRANT SELECT ON mv_distinct_technologies TO PUBLIC;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=view -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'switched back to the view');
SELECT ok(has_table_privilege('public', 'mv_distinct_technologies_grams', 'SELECT')
          AND has_table_privilege('public', 'mv_distinct_technologies_gram_n', 'SELECT'),
          'view mode: a set readable by everyone has postings readable by everyone');
SELECT ok(searches('techmv_g_reader') AND searches('techmv_g_nobody') AND searches('techmv_g_refresher'),
          'view mode: so every role may search');
UPDATE companies SET technologies = ARRAY['Scripted-View'] WHERE id = 900001;
SET ROLE techmv_g_refresher;
SELECT status AS refresh_status FROM mv_distinct_technologies_refresh()
\gset
RESET ROLE;
SELECT is(:'refresh_status'::text, 'refreshed', 'the refresh role refreshes the view and its postings');
SELECT ok(searches('techmv_g_reader') AND 'Scripted-View' = ANY (search_as('techmv_g_reader', 'script'))
          AND NOT 'Scripted-Live' = ANY (search_as('techmv_g_reader', 'script')),
          'view mode: the reader finds what the refresh changed');

-- Upgrades: a reader of an old version's view may search the new one.
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rolled back');
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v1/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 1 installs');
GRANT SELECT ON mv_distinct_technologies TO techmv_g_old_reader;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'upgraded .* from schema version 1 to 4(.|\n)*exit=0$', 'and is upgraded');
SELECT ok(searches('techmv_g_old_reader'), 'the reader of version 1 may search version 4');
SELECT is(refusals('techmv_g_reader'), ARRAY['error 42501', 'error 42501'], 'a role never granted the set may not');

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rolled back');
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v2/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 2 installs');
GRANT SELECT ON mv_distinct_technologies TO techmv_g_old_reader;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'upgraded .* from schema version 2 to 4(.|\n)*exit=0$', 'and is upgraded');
SELECT ok(searches('techmv_g_old_reader'), 'the reader of version 2 may search version 4');
SELECT is(refusals('techmv_g_reader'), ARRAY['error 42501', 'error 42501'], 'a role never granted the set may not');

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rolled back');
\set out `psql -X -q -f "$TECHMV_OLD_SQLDIR/v3/install.sql" -v refresh_role=techmv_g_refresher 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'version 3 installs with a refresh role');
GRANT SELECT ON mv_distinct_technologies TO techmv_g_old_reader;
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'upgraded .* from schema version 3 to 4(.|\n)*exit=0$', 'and is upgraded');
SELECT ok(searches('techmv_g_old_reader'), 'the reader of version 3 may search version 4');
SELECT ok(searches('techmv_g_refresher'), 'and so may its refresh role');
SELECT is(refusals('techmv_g_reader'), ARRAY['error 42501', 'error 42501'], 'a role never granted the set may not');
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live -v switch=on 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'the upgraded install switches to live mode');
SELECT ok(searches('techmv_g_old_reader') AND searches('techmv_g_refresher'), 'where both still may search');

SELECT * FROM finish();
