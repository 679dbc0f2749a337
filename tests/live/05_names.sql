-- Names that need quoting everywhere: schema, source table and column (with
-- a % in it, which must not be taken for a format() directive), view.
\set testdb t_names
\ir setup.psql

CREATE SCHEMA "S p";
CREATE TABLE "S p"."Co mp" (id bigint PRIMARY KEY, "te%ch list" text[]);
INSERT INTO "S p"."Co mp" VALUES (1, '{a,b,a,NULL}'), (2, '{b,"c d"}'), (3, NULL);
\set out2 `psql -X -q -1 -v ON_ERROR_STOP=1 -v trgm_schema=public -v schema='S p' -v 'source_table=Co mp' -v 'source_column=te%ch list' -v 'view=My "View"' -f "$TECHMV_SQLDIR/names.sql" -f "$TECHMV_LIVE_TESTDIR/common.sql" -f "$TECHMV_SQLDIR/live.sql" 2>&1; echo "exit=$?"`
SELECT matches(:'out2'::text, 'exit=0$', 'live.sql installs with awkward names');
SELECT bag_eq($$SELECT value, n FROM "S p"."My ""View"""$$, $$VALUES ('a', 1::bigint), ('b', 2), ('c d', 1)$$,
              'populated');
INSERT INTO "S p"."Co mp" VALUES (4, '{e,e}');
UPDATE "S p"."Co mp" SET "te%ch list" = '{a}' WHERE id = 2;
DELETE FROM "S p"."Co mp" WHERE id = 1;
SELECT is((SELECT status FROM "S p"."My ""View""_refresh"()), 'refreshed', 'drained');
SELECT bag_eq($$SELECT value, n FROM "S p"."My ""View"""$$, $$VALUES ('a', 1::bigint), ('e', 1)$$,
              'every trigger works');
TRUNCATE "S p"."Co mp";
SELECT results_eq($$SELECT status, "concurrently" FROM "S p"."My ""View""_refresh"()$$, $$VALUES ('refreshed', false)$$,
                  'a TRUNCATE is rebuilt');
SELECT is((SELECT count(*) FROM "S p"."My ""View"""), 0::bigint, 'to nothing');
SELECT is((SELECT value_count FROM "S p"."My ""View""_live_status"), 0::bigint, 'the status view');

SELECT * FROM finish();
