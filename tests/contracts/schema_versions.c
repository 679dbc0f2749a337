/* The library against installs of other schema versions: a version 3 view
 * (no search function) serves unfiltered pages and answers searches with
 * TECHMV_ESCHEMA, idle or inside the caller's transaction, never with a
 * silent fall-back; with nothing installed a search falls back to the
 * source table; the upgrade to version 4 makes searches the view's. Pages
 * are compared with plain SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

/* The template's current install replaced by a version 3 one (from the
 * scripts kept for the upgrade tests); the handle is opened afterwards, on
 * its own connection. */
static techmv *handle_on(const char *install, PGconn **conn) {
  pgt_psql_script(db.name, "rollback.sql", NULL);
  if (install != NULL)
    pgt_psql_script(db.name, install, NULL);
  *conn = pgt_connect(db.name);
  techmv *sh = NULL;
  ck_assert_int_eq(techmv_open(*conn, NULL, &sh), TECHMV_OK);
  return sh;
}

static int search_rc(techmv *sh, const char *term, techmv_path *path) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = term;
  techmv_page *page = NULL;
  int rc = techmv_list(sh, &p, &page);
  if (rc == TECHMV_OK)
    *path = techmv_page_path(page);
  else
    ck_assert_ptr_null(page);
  techmv_page_free(page);
  return rc;
}

START_TEST(schema_3_serves_pages_but_not_searches) {
  PGconn *conn;
  techmv *sh = handle_on("../tests/sql/old/v3/install.sql", &conn);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 9;
  techmv_page *page = pgt_list_ok(sh, &p);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_VIEW);
  techmv_page_free(page);
  assert_walk_is_truth(sh, db.conn, p);

  techmv_path path;
  ck_assert_int_eq(search_rc(sh, "a", &path), TECHMV_ESCHEMA);
  ck_assert_str_eq(techmv_sqlstate(sh), "42883");
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(sh), "older schema"));

  /* Inside the caller's transaction: the same answer, no fall-back. */
  pgt_exec(conn, "BEGIN");
  ck_assert_int_eq(search_rc(sh, "sql", &path), TECHMV_ESCHEMA);
  pgt_exec(conn, "ROLLBACK");

  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(sh, &st), TECHMV_OK);
  ck_assert_int_eq(st.schema_installed, 3);
  ck_assert_int_eq(st.schema_expected, TECHMV_SCHEMA_VERSION);
  techmv_close(sh);
  PQfinish(conn);

  /* The upgrade in place: the same handle configuration now searches the
   * view. */
  pgt_psql_script(db.name, "install.sql", NULL);
  conn = pgt_connect(db.name);
  ck_assert_int_eq(techmv_open(conn, NULL, &sh), TECHMV_OK);
  ck_assert_int_eq(search_rc(sh, "a", &path), TECHMV_OK);
  ck_assert_int_eq(path, TECHMV_PATH_VIEW);
  p.search = "a";
  assert_walk_is_truth(sh, db.conn, p);
  techmv_close(sh);
  PQfinish(conn);
}
END_TEST

START_TEST(nothing_installed_search_falls_back) {
  PGconn *conn;
  techmv *sh = handle_on(NULL, &conn);
  techmv_path path;
  ck_assert_int_eq(search_rc(sh, "a", &path), TECHMV_OK);
  ck_assert_int_eq(path, TECHMV_PATH_FALLBACK);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 11;
  p.search = "a";
  assert_walk_is_truth(sh, db.conn, p);
  techmv_close(sh);
  PQfinish(conn);
  pgt_psql_script(db.name, "install.sql", NULL);
}
END_TEST

void add_schema_version_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "schema_versions", 120);
  tcase_add_test(t, schema_3_serves_pages_but_not_searches);
  tcase_add_test(t, nothing_installed_search_falls_back);
}
