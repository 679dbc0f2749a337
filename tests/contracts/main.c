/* Runs the contract tests against the throwaway server of pg-harness.sh
 * (with PgBouncer for the pooled cases). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

size_t truth(PGconn *conn, const char *search, int desc, char ***out) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT DISTINCT t.value FROM companies c CROSS JOIN LATERAL "
           "unnest(c.technologies) t(value) WHERE t.value IS NOT NULL AND "
           "octet_length(t.value) <= %d AND ($1::text IS NULL OR "
           "strpos(lower(t.value), lower($1)) > 0) ORDER BY 1 %s",
           TECHMV_VALUE_MAX, desc ? "DESC" : "ASC");
  PGresult *r = pgt_query1(conn, sql, search);
  size_t n = (size_t)PQntuples(r);
  *out = calloc(n + 1, sizeof **out);
  for (size_t i = 0; i < n; i++)
    (*out)[i] = strdup(PQgetvalue(r, (int)i, 0));
  PQclear(r);
  return n;
}

void truth_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

size_t walk_all(techmv *hd, techmv_list_params p, char ***out) {
  size_t n = 0, cap = 16;
  char **v = malloc(cap * sizeof *v);
  char *cursor = NULL;
  for (int pages = 0;; pages++) {
    ck_assert_int_lt(pages, 100000);
    p.after = cursor;
    techmv_page *page = pgt_list_ok(hd, &p);
    size_t count = techmv_page_count(page);
    for (size_t i = 0; i < count; i++) {
      if (n == cap)
        v = realloc(v, (cap *= 2) * sizeof *v);
      v[n++] = strdup(techmv_page_value(page, i));
    }
    int more = techmv_page_has_more(page);
    if (more)
      ck_assert_uint_eq(count, (size_t)p.limit);
    free(cursor);
    cursor = count ? strdup(techmv_page_cursor(page)) : NULL;
    techmv_page_free(page);
    if (!more)
      break;
  }
  free(cursor);
  *out = v;
  return n;
}

void assert_walk_is_truth(techmv *hd, PGconn *conn, techmv_list_params p) {
  char **want, **got;
  size_t nw = truth(conn, p.search, p.order == TECHMV_ORDER_DESC, &want);
  size_t ng = walk_all(hd, p, &got);
  ck_assert_msg(ng == nw,
                "search '%s' order %d limit %d: %zu values, plain "
                "SQL has %zu",
                p.search ? p.search : "", p.order, (int)p.limit, ng, nw);
  for (size_t i = 0; i < nw; i++)
    ck_assert_str_eq(got[i], want[i]);
  truth_free(want, nw);
  truth_free(got, ng);
}

void assert_transaction_alive(PGconn *conn) {
  ck_assert_int_eq(PQtransactionStatus(conn), PQTRANS_INTRANS);
}

int main(void) {
  Suite *s = suite_create("contracts");
  add_encoding_tests(s);
  add_caller_transaction_tests(s);
  add_statement_tests(s);
  add_long_value_tests(s);
  add_struct_version_tests(s);
  add_refresh_failure_tests(s);
  add_caller_setting_tests(s);
  add_live_mode_tests(s);
  add_schema_version_tests(s);
  return pgt_run(s);
}
