/* The library against a live install (sql/install.sql -v mode=live): pages
 * equal plain SQL, writes to the source are seen once techmv_refresh has
 * drained them, status reports the mode and the backlog, and a TRUNCATE is
 * repaired by the next refresh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

/* The template's view-mode install is replaced by a live one; the handle is
 * opened afterwards, on its own connection, so that nothing it learnt about
 * the view mode could carry over. */
static techmv *live_handle(PGconn **conn) {
  pgt_psql_script(db.name, "rollback.sql", NULL);
  pgt_psql_script(db.name, "install.sql", "-v mode=live");
  *conn = pgt_connect(db.name);
  techmv *lh = NULL;
  ck_assert_int_eq(techmv_open(*conn, NULL, &lh), TECHMV_OK);
  return lh;
}

static void assert_all_walks_are_truth(techmv *lh) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 7;
  assert_walk_is_truth(lh, db.conn, p);
  p.order = TECHMV_ORDER_DESC;
  assert_walk_is_truth(lh, db.conn, p);
  p.order = TECHMV_ORDER_ASC;
  p.search = "a";
  assert_walk_is_truth(lh, db.conn, p);
}

static techmv_status_info status_of(techmv *lh) {
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(lh, &st), TECHMV_OK);
  return st;
}

START_TEST(pages_equal_plain_sql) {
  PGconn *conn;
  techmv *lh = live_handle(&conn);
  techmv_status_info st = status_of(lh);
  ck_assert_int_eq(st.mode, TECHMV_MODE_LIVE);
  ck_assert_int_eq(st.needs_rebuild, 0);
  ck_assert_int_eq(st.pending_changes, 0);
  assert_all_walks_are_truth(lh);
  techmv_close(lh);
  PQfinish(conn);
}
END_TEST

START_TEST(writes_seen_after_refresh) {
  PGconn *conn;
  techmv *lh = live_handle(&conn);
  pgt_exec(db.conn, "INSERT INTO companies (id, name, technologies) VALUES "
                    "(900001, 'New', ARRAY['zz-live-insert', 'a-live'])");
  pgt_exec(db.conn, "UPDATE companies SET technologies = technologies || "
                    "ARRAY['zz-live-update'] WHERE id = (SELECT min(id) FROM "
                    "companies)");
  pgt_exec(db.conn, "DELETE FROM companies WHERE id = (SELECT max(id) FROM "
                    "companies WHERE id < 900001)");

  techmv_status_info st = status_of(lh);
  ck_assert_int_eq(st.mode, TECHMV_MODE_LIVE);
  ck_assert_int_gt(st.pending_changes, 0);
  ck_assert(st.oldest_pending_age_s >= 0);
  ck_assert_int_eq(
      pgt_scalar_ll(db.conn, "SELECT count(*) FROM mv_distinct_technologies "
                             "WHERE value = 'zz-live-insert'"),
      0);

  ck_assert_int_eq(techmv_refresh(lh, NULL, NULL), TECHMV_OK);
  st = status_of(lh);
  ck_assert_int_eq(st.pending_changes, 0);
  ck_assert_int_eq(st.needs_rebuild, 0);
  ck_assert_int_eq(st.rows,
                   pgt_scalar_ll(db.conn, "SELECT count(DISTINCT t) FROM "
                                          "companies, unnest(technologies) t"));
  assert_all_walks_are_truth(lh);
  techmv_close(lh);
  PQfinish(conn);
}
END_TEST

START_TEST(truncate_needs_rebuild_until_refresh) {
  PGconn *conn;
  techmv *lh = live_handle(&conn);
  pgt_exec(db.conn, "TRUNCATE companies");
  techmv_status_info st = status_of(lh);
  ck_assert_int_eq(st.needs_rebuild, 1);

  pgt_exec(db.conn, "INSERT INTO companies (id, name, technologies) VALUES "
                    "(1, 'One', ARRAY['b', 'a']), (2, 'Two', ARRAY['b'])");
  ck_assert_int_eq(techmv_refresh(lh, NULL, NULL), TECHMV_OK);
  st = status_of(lh);
  ck_assert_int_eq(st.needs_rebuild, 0);
  ck_assert_int_eq(st.pending_changes, 0);
  ck_assert_int_eq(st.rows, 2);
  assert_all_walks_are_truth(lh);
  techmv_close(lh);
  PQfinish(conn);
}
END_TEST

void add_live_mode_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "live_mode", 120);
  tcase_add_test(t, pages_equal_plain_sql);
  tcase_add_test(t, writes_seen_after_refresh);
  tcase_add_test(t, truncate_needs_rebuild_until_refresh);
}
