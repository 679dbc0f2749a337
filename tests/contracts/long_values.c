/* Values longer than TECHMV_VALUE_MAX: never served, on either path, and
 * never a reason for a refresh to fail; counted in status. A page's cursor
 * is always good for the next call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

/* One company holding incompressible values of these byte lengths (hex of
 * chained md5s, which TOAST cannot shrink below an index row's limit). */
static void add_long_values(void) {
  pgt_exec(db.conn,
           "INSERT INTO companies (id, name, technologies) SELECT max(id) + 1, "
           "'long', ARRAY(SELECT substr(string_agg(md5(n::text || '-' || "
           "len::text), ''), 1, len) FROM unnest('{1500,3000,10000,1024}'::"
           "int[]) AS len CROSS JOIN generate_series(1, 400) AS n GROUP BY len "
           "ORDER BY len) FROM companies");
}

START_TEST(long_values_never_stop_a_refresh) {
  add_long_values();
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  /* Concurrent (the view is populated), then plain from scratch. */
  ck_assert_int_eq(techmv_refresh(h, NULL, &info), TECHMV_OK);
  ck_assert_int_eq(info.concurrently, 1);
  ck_assert_int_eq(info.long_values, 3);
  ck_assert_int_eq(techmv_refresh(h, NULL, &info), TECHMV_OK);
  pgt_exec(db.conn, "REFRESH MATERIALIZED VIEW mv_distinct_technologies "
                    "WITH NO DATA");
  ck_assert_int_eq(techmv_refresh(h, NULL, &info), TECHMV_OK);
  ck_assert_int_eq(info.concurrently, 0);
  ck_assert_int_eq(info.long_values, 3);
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.long_values, 3);
  ck_assert_int_eq(st.has_last_failure, 0);
  /* Served values, counted by plain SQL. */
  char **want;
  size_t nw = truth(db.conn, NULL, 0, &want);
  ck_assert_int_eq(st.rows, (int64_t)nw);
  truth_free(want, nw);
}
END_TEST

START_TEST(both_paths_leave_long_values_out) {
  add_long_values();
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  for (int source = 0; source <= 1; source++) {
    for (int order = 0; order <= 1; order++) {
      techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
      p.source = source;
      p.order = order;
      p.limit = 40;
      assert_walk_is_truth(h, db.conn, p);
      p.search = "0"; /* hex: every long value contains a 0 */
      assert_walk_is_truth(h, db.conn, p);
    }
  }
  /* The 1024-byte value is served, and its page's cursor is accepted. */
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = "0";
  p.limit = 1;
  char **v;
  size_t n = walk_all(h, p, &v);
  size_t longest = 0;
  for (size_t i = 0; i < n; i++)
    if (strlen(v[i]) > longest)
      longest = strlen(v[i]);
  ck_assert_uint_eq(longest, TECHMV_VALUE_MAX);
  truth_free(v, n);
}
END_TEST

START_TEST(cursor_of_any_page_is_accepted) {
  /* The longest value that can be served, converted to a client encoding
   * that needs more bytes for it: still a valid cursor. */
  pgt_exec(db.conn,
           "INSERT INTO companies (id, name, technologies) SELECT max(id) + 1, "
           "'wide', ARRAY[repeat(U&'\\00E9', 512), repeat(U&'\\00E9', 511) || "
           "'z'] FROM companies");
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  static const char *const encodings[] = {"UTF8", "GB18030"};
  for (size_t e = 0; e < 2; e++) {
    ck_assert_int_eq(PQsetClientEncoding(db.conn, encodings[e]), 0);
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.order = TECHMV_ORDER_DESC;
    p.limit = 1;
    assert_walk_is_truth(h, db.conn, p);
  }
}
END_TEST

void add_long_value_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "long values", 180);
  tcase_add_test(t, long_values_never_stop_a_refresh);
  tcase_add_test(t, both_paths_leave_long_values_out);
  tcase_add_test(t, cursor_of_any_page_is_accepted);
}
