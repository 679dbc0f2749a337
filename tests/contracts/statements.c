/* The library's prepared statements: bounded per connection whatever the
 * callers do, right for every limit, and never trusted by name alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

static long long ours(PGconn *conn) {
  return pgt_scalar_ll(conn, "SELECT count(*) FROM pg_prepared_statements "
                             "WHERE name LIKE 'techmv\\_%'");
}

START_TEST(statements_bounded_whatever_the_limits) {
  enum { HANDLES = 300 };
  techmv *hs[HANDLES];
  for (int i = 0; i < HANDLES; i++) {
    ck_assert_int_eq(techmv_open(db.conn, NULL, &hs[i]), TECHMV_OK);
    /* Every shape a first page can take, with limits 1..300. */
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.limit = i + 1;
    p.order = i % 2;
    p.after = i % 4 >= 2 ? "m" : NULL;
    techmv_page_free(pgt_list_ok(hs[i], &p));
    p.offset = 1;
    techmv_page_free(pgt_list_ok(hs[i], &p));
    p.offset = 0;
    p.source = TECHMV_SOURCE_BASE;
    techmv_page_free(pgt_list_ok(hs[i], &p));
  }
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(hs[0], &st), TECHMV_OK);
  long long n = ours(db.conn);
  ck_assert_int_le(n, TECHMV_STATEMENTS_MAX);
  ck_assert_int_gt(n, 10); /* the test can fail */
  for (int i = 0; i < HANDLES; i++)
    techmv_close(hs[i]);
}
END_TEST

START_TEST(every_limit_gets_its_own_pages) {
  /* The first limit a handle sees must not decide the others' pages. */
  static const int64_t limits[] = {25, 50, 7, 26, 1, 300, 1000, 2000, 25};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    for (int order = 0; order <= 1; order++) {
      techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
      p.limit = limits[i];
      p.order = order;
      assert_walk_is_truth(h, db.conn, p);
    }
  }
  /* One page of 50 right after pages of 25: 50 values and has_more. */
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 50;
  techmv_page *page = pgt_list_ok(h, &p);
  char **want;
  size_t nw = truth(db.conn, NULL, 0, &want);
  ck_assert_uint_gt(nw, 51);
  ck_assert_uint_eq(techmv_page_count(page), 50);
  ck_assert_int_eq(techmv_page_has_more(page), 1);
  ck_assert_str_eq(techmv_page_value(page, 49), want[49]);
  techmv_page_free(page);
  truth_free(want, nw);
}
END_TEST

START_TEST(statement_of_our_name_with_other_text) {
  /* Learn the name the library gives its first page, on another
   * connection, then take that name on ours with a text of our own. */
  PGconn *other = pgt_connect(db.name);
  techmv *ho;
  ck_assert_int_eq(techmv_open(other, NULL, &ho), TECHMV_OK);
  techmv_page_free(pgt_list_ok(ho, NULL));
  char *name = pgt_scalar(other, "SELECT name FROM pg_prepared_statements "
                                 "WHERE name LIKE 'techmv\\_%' LIMIT 1");
  techmv_close(ho);
  PQfinish(other);
  char sql[256];
  snprintf(sql, sizeof sql, "PREPARE %s AS SELECT 'not a value'::text", name);
  pgt_exec(db.conn, sql);
  free(name);
  for (int call = 0; call < 3; call++)
    assert_walk_is_truth(h, db.conn,
                         (techmv_list_params)TECHMV_LIST_PARAMS_INIT);
}
END_TEST

void add_statement_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "statements", 180);
  tcase_add_test(t, statements_bounded_whatever_the_limits);
  tcase_add_test(t, every_limit_gets_its_own_pages);
  tcase_add_test(t, statement_of_our_name_with_other_text);
}
