/* Whatever the caller's session looks like, the library's statements mean
 * what they say: a search_path that puts the caller's own functions first
 * does not change them, and names that lead nowhere are "not installed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

START_TEST(search_path_cannot_shadow_functions) {
  /* Look-alikes of what status and list call, first on the search_path. */
  pgt_exec(db.conn, "CREATE SCHEMA shadow");
  pgt_exec(db.conn, "CREATE AGGREGATE shadow.count(*) (sfunc = int8inc, "
                    "stype = int8, initcond = '-1000000')");
  pgt_exec(db.conn, "CREATE FUNCTION shadow.current_database() RETURNS name "
                    "LANGUAGE sql AS 'SELECT ''nowhere''::name'");
  pgt_exec(db.conn, "CREATE FUNCTION shadow.lower(text) RETURNS text "
                    "LANGUAGE sql AS 'SELECT ''x'''");
  pgt_exec(db.conn, "CREATE FUNCTION shadow.unnest(text[]) RETURNS SETOF text "
                    "LANGUAGE sql AS 'SELECT ''shadowed'''");
  pgt_exec(db.conn, "CREATE FUNCTION shadow.octet_length(text) RETURNS int "
                    "LANGUAGE sql AS 'SELECT 1'");
  pgt_exec(db.conn, "SET search_path = shadow, public, pg_catalog");
  ck_assert_int_lt(pgt_scalar_ll(db.conn, "SELECT count(*) FROM companies"),
                   0); /* the test can fail */

  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  long long want =
      pgt_scalar_ll(db.conn, "SELECT pg_catalog.count(*) FROM "
                             "public.mv_distinct_technologies WHERE value "
                             "IS NOT NULL");
  ck_assert_int_eq(st.rows, want);
  ck_assert_int_eq(st.installed, 1);

  /* List on both paths, search included, as plain SQL on pg_catalog. */
  for (int source = 0; source <= 1; source++) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.source = source;
    p.search = "Re";
    p.limit = 7;
    techmv_page *page = pgt_list_ok(h, &p);
    PGresult *r = PQexec(
        db.conn, "SELECT DISTINCT t.value FROM public.companies c CROSS JOIN "
                 "LATERAL pg_catalog.unnest(c.technologies) t(value) WHERE "
                 "pg_catalog.strpos(pg_catalog.lower(t.value), 're') > 0 "
                 "ORDER BY 1 LIMIT 8");
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    ck_assert_int_eq(techmv_page_has_more(page), PQntuples(r) > 7);
    for (size_t i = 0; i < techmv_page_count(page); i++)
      ck_assert_str_eq(techmv_page_value(page, i), PQgetvalue(r, (int)i, 0));
    PQclear(r);
    techmv_page_free(page);
  }
}
END_TEST

START_TEST(missing_schema_is_not_installed) {
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.schema = "no_such_schema";
  techmv *hm;
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &hm), TECHMV_OK);
  ck_assert_int_eq(techmv_refresh(hm, NULL, NULL), TECHMV_ENOTINSTALLED);
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(hm, &st), TECHMV_OK);
  ck_assert_int_eq(st.installed, 0);
  techmv_close(hm);
}
END_TEST

void add_caller_setting_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "caller settings", 60);
  tcase_add_test(t, search_path_cannot_shadow_functions);
  tcase_add_test(t, missing_schema_is_not_installed);
}
