-- rollback.sql on a live install: every object of ours goes, the triggers on
-- the source with their functions too, while the source table, its rows and
-- the user's own trigger on it stay; anything of a derived name that is not
-- ours stops it before it drops anything.
\set testdb t_live_rollback
\ir setup.psql

CREATE FUNCTION my_audit() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
CREATE TRIGGER my_audit AFTER INSERT ON companies FOR EACH STATEMENT EXECUTE FUNCTION my_audit();
CREATE TABLE companies_before AS SELECT * FROM companies;
SELECT 'companies'::regclass::oid AS companies_oid
\gset
CREATE VIEW ours_left AS
SELECT c.relname::text AS name FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'mv\_distinct\_technologies%'
UNION ALL
SELECT p.proname FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'mv\_distinct\_technologies%'
UNION ALL
SELECT t.tgname FROM pg_trigger t WHERE t.tgrelid = 'companies'::regclass AND t.tgname LIKE 'mv\_distinct\_technologies%';

\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" -v mode=live 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'live mode installs');
INSERT INTO companies (id, name, technologies) VALUES (900001, 'Pending', ARRAY['zz-rollback']);
DELETE FROM companies WHERE id = 900001;

-- Something of a derived name that is not ours: nothing is dropped.
COMMENT ON TABLE mv_distinct_technologies_pending IS NULL;
\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=3$', 'rollback refuses an unmarked pending table');
SELECT matches(:'out'::text, 'nothing rolled back: table mv_distinct_technologies_pending in schema public not created by install.sql',
               'and says which');
SELECT is((SELECT count(*) FROM pg_trigger WHERE tgrelid = 'companies'::regclass AND tgname LIKE 'mv\_%'), 4::bigint,
          'the triggers are still there');
SELECT is((SELECT relkind::text FROM pg_class WHERE oid = 'mv_distinct_technologies'::regclass), 'r', 'and the set');
SELECT format('COMMENT ON TABLE mv_distinct_technologies_pending IS %L',
              obj_description('mv_distinct_technologies'::regclass, 'pg_class'))
\gexec

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'rollback succeeds');
SELECT matches(:'out'::text, 'libtechmv: dropped from schema "public": '
               'function mv_distinct_technologies_grams_apply\(text\[\], text\[\], text\[\], text\[\]\), '
               'function mv_distinct_technologies_rebuild\(boolean, integer\), '
               'function mv_distinct_technologies_refresh\(boolean, integer\), '
               'function mv_distinct_technologies_search\(text, integer, integer, text, boolean\), '
               'table mv_distinct_technologies, table mv_distinct_technologies_gram_n, '
               'table mv_distinct_technologies_grams, table mv_distinct_technologies_live_state, '
               'table mv_distinct_technologies_pending, table mv_distinct_technologies_refresh_log, '
               'trigger mv_distinct_technologies_on_delete on public.companies, '
               'trigger mv_distinct_technologies_on_insert on public.companies, '
               'trigger mv_distinct_technologies_on_truncate on public.companies, '
               'trigger mv_distinct_technologies_on_update on public.companies, '
               'trigger function mv_distinct_technologies_gram_trg\(\), '
               'trigger function mv_distinct_technologies_on_delete\(\), '
               'trigger function mv_distinct_technologies_on_insert\(\), '
               'trigger function mv_distinct_technologies_on_truncate\(\), '
               'trigger function mv_distinct_technologies_on_update\(\), '
               'view mv_distinct_technologies_live_status, view mv_distinct_technologies_status',
               'and says what it dropped');
SELECT is_empty('SELECT * FROM ours_left', 'nothing of ours is left, no trigger on the source');
SELECT is('companies'::regclass::oid, :'companies_oid'::oid, 'the source table is the same table');
SELECT bag_eq('SELECT * FROM companies', 'SELECT * FROM companies_before', 'with the same rows');
SELECT triggers_are('companies', ARRAY['my_audit'], 'the user''s own trigger stays');
SELECT has_function('my_audit', 'and its function');

\set out `psql -X -q -f "$TECHMV_SQLDIR/rollback.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'nothing of "public"."mv_distinct_technologies" to roll back\s+exit=0$',
               'a second rollback has nothing to do');

-- After a rollback, a fresh install of either mode works.
\set out `psql -X -q -f "$TECHMV_SQLDIR/install.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out'::text, 'exit=0$', 'view mode installs after the rollback');

SELECT * FROM finish();
