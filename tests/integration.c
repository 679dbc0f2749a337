/* Integration tests against a real PostgreSQL started by pg-harness.sh. Each
 * test runs in its own process with its own database cloned from the
 * harness's template (sample data, view installed and populated). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <techmv.h>

#include "pgtest.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct values {
  char **v;
  size_t n;
} values;

static void values_free(values *vs) {
  for (size_t i = 0; i < vs->n; i++)
    free(vs->v[i]);
  free(vs->v);
  vs->v = NULL;
  vs->n = 0;
}

static void values_push(values *vs, const char *s) {
  vs->v = realloc(vs->v, (vs->n + 1) * sizeof *vs->v);
  vs->v[vs->n++] = strdup(s);
}

/* Distinct values the server computes without the library: a literal,
 * case-insensitive substring test by strpos(lower(), lower()). */
static values expected(techmv_order order, const char *search) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT DISTINCT t.value FROM companies c CROSS JOIN LATERAL "
           "unnest(c.technologies) t(value) WHERE t.value IS NOT NULL AND "
           "($1::text IS NULL OR strpos(lower(t.value), lower($1)) > 0) "
           "ORDER BY 1 %s",
           order == TECHMV_ORDER_DESC ? "DESC" : "ASC");
  PGresult *r = pgt_query1(db.conn, sql, search);
  values vs = {0};
  for (int i = 0; i < PQntuples(r); i++)
    values_push(&vs, PQgetvalue(r, i, 0));
  PQclear(r);
  return vs;
}

/* Walk every page with `p` (by offset, or by cursor), checking has_more is
 * false exactly on the last page and the path is `path`. */
static values walk(techmv *hd, techmv_list_params p, int by_cursor,
                   techmv_path path) {
  values vs = {0};
  char *cursor = NULL;
  for (int pages = 0;; pages++) {
    ck_assert_int_lt(pages, 100000);
    techmv_page *page;
    if (by_cursor)
      p.after = cursor;
    int rc = techmv_list(hd, &p, &page);
    ck_assert_msg(rc == TECHMV_OK, "list: %s", techmv_errmsg(hd));
    ck_assert_int_eq(techmv_page_path(page), path);
    size_t n = techmv_page_count(page);
    ck_assert_uint_le(n, (size_t)p.limit);
    for (size_t i = 0; i < n; i++)
      values_push(&vs, techmv_page_value(page, i));
    int more = techmv_page_has_more(page);
    if (more)
      ck_assert_uint_eq(n, (size_t)p.limit);
    free(cursor);
    cursor = techmv_page_cursor(page) ? strdup(techmv_page_cursor(page)) : NULL;
    techmv_page_free(page);
    if (!more)
      break;
    p.offset += by_cursor ? 0 : p.limit;
  }
  free(cursor);
  return vs;
}

static void assert_same(const values *a, const values *b) {
  ck_assert_uint_eq(a->n, b->n);
  for (size_t i = 0; i < a->n; i++)
    ck_assert_str_eq(a->v[i], b->v[i]);
}

/* ---- paths and pages ----------------------------------------------------- */

/* Each path's pages against plain SQL (not one path against the other,
 * which would pass if both shared a bug), for terms of every class the
 * view's search function tells apart: 1 and 2 characters (a gram's
 * postings), absent grams, 3 and more (the rarest pair's postings,
 * filtered); pages past the first, by offset and by cursor. */
START_TEST(view_and_base_pages_are_plain_sql) {
  static const char *searches[] = {
      NULL, "sql", "tech", "a",  "%",  "_",      "\\",           "'",
      "\"", "É",   "日本", "qz", "ch", "TECH-0", "no-such-tech", "tech-00"};
  for (size_t s = 0; s < sizeof searches / sizeof searches[0]; s++) {
    for (int order = 0; order <= 1; order++) {
      values want = expected((techmv_order)order, searches[s]);
      for (int source = 0; source <= 1; source++) {
        techmv_path path = source ? TECHMV_PATH_BASE : TECHMV_PATH_VIEW;
        for (int by_cursor = 0; by_cursor <= 1; by_cursor++) {
          techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
          p.search = searches[s];
          p.order = order;
          p.source = source;
          p.limit = 13;
          values got = walk(h, p, by_cursor, path);
          assert_same(&got, &want);
          values_free(&got);
        }
      }
      values_free(&want);
    }
  }
  /* The longer terms do span several pages, so the walks can fail. */
  values tech = expected(TECHMV_ORDER_ASC, "tech");
  ck_assert_uint_gt(tech.n, 2 * 13);
  values_free(&tech);
}
END_TEST

START_TEST(walk_every_page_by_offset_and_cursor) {
  for (int order = 0; order <= 1; order++) {
    values want = expected((techmv_order)order, NULL);
    ck_assert_uint_gt(want.n, 100);
    for (int by_cursor = 0; by_cursor <= 1; by_cursor++) {
      techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
      p.order = (techmv_order)order;
      p.limit = 37;
      values got = walk(h, p, by_cursor, TECHMV_PATH_VIEW);
      assert_same(&got, &want);
      values_free(&got);
    }
    values_free(&want);
  }
}
END_TEST

START_TEST(exact_multiple_of_limit_ends_without_more) {
  values all = expected(TECHMV_ORDER_ASC, NULL);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 10;
  p.offset = (int64_t)all.n - 10;
  techmv_page *page = pgt_list_ok(h, &p);
  ck_assert_uint_eq(techmv_page_count(page), 10);
  ck_assert_int_eq(techmv_page_has_more(page), 0);
  techmv_page_free(page);
  p.offset = (int64_t)all.n - 11;
  page = pgt_list_ok(h, &p);
  ck_assert_int_eq(techmv_page_has_more(page), 1);
  techmv_page_free(page);
  p.offset = (int64_t)all.n + 5;
  page = pgt_list_ok(h, &p);
  ck_assert_uint_eq(techmv_page_count(page), 0);
  ck_assert_ptr_null(techmv_page_cursor(page));
  techmv_page_free(page);
  values_free(&all);
}
END_TEST

START_TEST(page_outlives_handle_and_connection) {
  PGconn *c = pgt_connect(db.name);
  techmv *hc;
  ck_assert_int_eq(techmv_open(c, NULL, &hc), TECHMV_OK);
  techmv_page *page = pgt_list_ok(hc, NULL);
  techmv_page *want = pgt_list_ok(h, NULL);
  techmv_close(hc);
  PQfinish(c);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  for (size_t i = 0; i < 25; i++)
    ck_assert_str_eq(techmv_page_value(page, i), techmv_page_value(want, i));
  techmv_page_free(page);
  techmv_page_free(want);
}
END_TEST

START_TEST(search_is_literal_and_case_insensitive) {
  static const char *terms[] = {"%",    "_",   "\\",     "'",          "\"",
                                "SQL",  "sQl", "é",      "ü",          "日本",
                                "C:\\", "50%", "snake_", "zzzz-absent"};
  for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
    for (int order = 0; order <= 1; order++) {
      values want = expected((techmv_order)order, terms[i]);
      techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
      p.search = terms[i];
      p.order = (techmv_order)order;
      p.limit = 50;
      values got = walk(h, p, 1, TECHMV_PATH_VIEW);
      assert_same(&got, &want);
      values_free(&got);
      values_free(&want);
    }
  }
  /* The sample data has names with each of these, so the test can fail. */
  values pct = expected(TECHMV_ORDER_ASC, "%");
  values und = expected(TECHMV_ORDER_ASC, "_");
  values bs = expected(TECHMV_ORDER_ASC, "\\");
  ck_assert_uint_gt(pct.n, 0);
  ck_assert_uint_gt(und.n, 0);
  ck_assert_uint_gt(bs.n, 0);
  values_free(&pct);
  values_free(&und);
  values_free(&bs);
}
END_TEST

START_TEST(company_filter_uses_source_table) {
  static const int64_t ids[] = {1, 2, 3, 999999999};
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.company_ids = ids;
  p.company_count = 4;
  p.limit = 1000;
  techmv_page *page = pgt_list_ok(h, &p);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_BASE);
  PGresult *r = PQexec(db.conn, "SELECT DISTINCT t FROM companies c, "
                                "unnest(c.technologies) t WHERE c.id IN "
                                "(1,2,3) AND t IS NOT NULL ORDER BY 1");
  ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
  ck_assert_int_gt(PQntuples(r), 0);
  ck_assert_uint_eq(techmv_page_count(page), (size_t)PQntuples(r));
  for (int i = 0; i < PQntuples(r); i++)
    ck_assert_str_eq(techmv_page_value(page, (size_t)i), PQgetvalue(r, i, 0));
  PQclear(r);
  techmv_page_free(page);

  /* distinct = 0: one row per occurrence. */
  p.distinct = 0;
  page = pgt_list_ok(h, &p);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_BASE);
  long long occurrences = pgt_scalar_ll(
      db.conn, "SELECT count(*) FROM companies c, unnest(c.technologies) t "
               "WHERE c.id IN (1,2,3) AND t IS NOT NULL");
  ck_assert_uint_eq(techmv_page_count(page), (size_t)occurrences);
  techmv_page_free(page);

  /* A company filter combined with search. */
  p.distinct = 1;
  p.search = "e";
  page = pgt_list_ok(h, &p);
  for (size_t i = 0; i < techmv_page_count(page); i++)
    ck_assert(strchr(techmv_page_value(page, i), 'e') ||
              strchr(techmv_page_value(page, i), 'E'));
  techmv_page_free(page);
}
END_TEST

START_TEST(every_occurrence_walks_by_offset) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.distinct = 0;
  p.limit = 500;
  values got = walk(h, p, 0, TECHMV_PATH_BASE);
  long long total = pgt_scalar_ll(
      db.conn, "SELECT count(*) FROM companies c, unnest(c.technologies) t "
               "WHERE t IS NOT NULL");
  ck_assert_uint_eq(got.n, (size_t)total);
  values_free(&got);
}
END_TEST

/* ---- refresh and status ----------------------------------------------------
 */

static int view_has(const char *value) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = value;
  techmv_page *page = pgt_list_ok(h, &p);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_VIEW);
  int found = 0;
  for (size_t i = 0; i < techmv_page_count(page); i++)
    found |= strcmp(techmv_page_value(page, i), value) == 0;
  techmv_page_free(page);
  return found;
}

START_TEST(refresh_adds_and_removes_values) {
  pgt_exec(db.conn, "INSERT INTO companies VALUES (900001, 'New', "
                    "ARRAY['Brand-New-Tech'])");
  ck_assert(!view_has("Brand-New-Tech")); /* not until refreshed */
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  ck_assert_int_eq(techmv_refresh(h, NULL, &info), TECHMV_OK);
  ck_assert_int_eq(info.concurrently, 1);
  ck_assert(view_has("Brand-New-Tech"));
  long long distinct = pgt_scalar_ll(
      db.conn, "SELECT count(DISTINCT t) FROM companies, unnest(technologies) "
               "t");
  ck_assert_int_eq(info.rows, distinct);
  ck_assert(info.duration_ms >= 0);
  ck_assert(info.started_at > 1.6e9);

  pgt_exec(db.conn, "DELETE FROM companies WHERE id = 900001");
  ck_assert(view_has("Brand-New-Tech"));
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  ck_assert(!view_has("Brand-New-Tech"));
}
END_TEST

START_TEST(status_before_and_after_refresh) {
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.installed, 1);
  ck_assert_int_eq(st.populated, 1);
  long long distinct = pgt_scalar_ll(
      db.conn, "SELECT count(DISTINCT t) FROM companies, unnest(technologies) "
               "t");
  ck_assert_int_eq(st.rows, distinct);
  ck_assert_int_gt(st.table_bytes, 0);
  ck_assert_int_gt(st.index_bytes, 0);
  ck_assert_int_ge(st.total_bytes, st.table_bytes + st.index_bytes);
  ck_assert_int_eq(st.has_last_refresh, 1); /* install populated it */
  ck_assert_int_eq(st.last_refresh_concurrently, 0);
  ck_assert_int_eq(st.refresh_running, 0);
  double first = st.last_refresh_at;

  pgt_exec(db.conn, "INSERT INTO companies VALUES (900002, 'X', "
                    "ARRAY['Status-Tech'])");
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  techmv_status_info after = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &after), TECHMV_OK);
  ck_assert_int_eq(after.rows, distinct + 1);
  ck_assert(after.last_refresh_at > first);
  ck_assert_int_eq(after.last_refresh_concurrently, 1);
  ck_assert(after.last_refresh_age_s >= 0);
  ck_assert(after.last_refresh_duration_ms >= 0);
  long long logged = pgt_scalar_ll(
      db.conn, "SELECT count(*) FROM mv_distinct_technologies_refresh_log");
  ck_assert_int_eq(logged, 2);
}
END_TEST

START_TEST(unpopulated_view_refreshes_plainly_and_falls_back) {
  pgt_exec(db.conn,
           "REFRESH MATERIALIZED VIEW mv_distinct_technologies WITH NO DATA");
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.installed, 1);
  ck_assert_int_eq(st.populated, 0);
  ck_assert_int_eq(st.rows, -1);

  values want = expected(TECHMV_ORDER_ASC, NULL);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 100;
  values got = walk(h, p, 1, TECHMV_PATH_FALLBACK);
  assert_same(&got, &want);
  values_free(&got);

  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  ck_assert_int_eq(techmv_refresh(h, NULL, &info), TECHMV_OK);
  ck_assert_int_eq(info.concurrently, 0);
  ck_assert_int_eq(info.rows, (int64_t)want.n);
  got = walk(h, p, 1, TECHMV_PATH_VIEW);
  assert_same(&got, &want);
  values_free(&got);
  values_free(&want);
}
END_TEST

START_TEST(dropped_view_falls_back_and_reports) {
  pgt_psql_script(db.name, "rollback.sql", NULL);
  long long companies =
      pgt_scalar_ll(db.conn, "SELECT count(*) FROM companies");
  ck_assert_int_gt(companies, 0); /* rollback never touches the source */

  values want = expected(TECHMV_ORDER_DESC, "e");
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.order = TECHMV_ORDER_DESC;
  p.search = "e";
  p.limit = 40;
  values got = walk(h, p, 0, TECHMV_PATH_FALLBACK);
  assert_same(&got, &want);
  values_free(&got);
  values_free(&want);

  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.installed, 0);
  ck_assert_int_eq(st.has_last_refresh, 0);
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_ENOTINSTALLED);

  /* Inside the caller's transaction block there is no silent fallback. */
  pgt_exec(db.conn, "BEGIN");
  techmv_page *page = (techmv_page *)1;
  ck_assert_int_eq(techmv_list(h, NULL, &page), TECHMV_ESERVER);
  ck_assert_ptr_null(page);
  ck_assert_str_eq(techmv_sqlstate(h), "42P01");
  pgt_exec(db.conn, "ROLLBACK");

  /* Reinstalled, the view serves again. */
  pgt_psql_script(db.name, "install.sql", NULL);
  page = pgt_list_ok(h, NULL);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_VIEW);
  techmv_page_free(page);
}
END_TEST

/* A second session runs the refresh function in an open transaction, so it
 * holds the refresh until the test commits it. */
static PGconn *hold_refresh(void) {
  PGconn *other = pgt_connect(db.name);
  pgt_exec(other, "BEGIN");
  pgt_exec(other, "SELECT * FROM mv_distinct_technologies_refresh()");
  return other;
}

typedef struct waiter {
  const char *dbname;
  int pid;
  atomic_int rc;
  techmv_refresh_info info;
  PGconn *conn;
} waiter;

static void *refresh_and_wait(void *arg) {
  waiter *w = arg;
  techmv *hw;
  if (techmv_open(w->conn, NULL, &hw) != TECHMV_OK) {
    atomic_store(&w->rc, -1);
    return NULL;
  }
  atomic_store(&w->rc, techmv_refresh(hw, NULL, &w->info));
  techmv_close(hw);
  return NULL;
}

START_TEST(running_refresh_is_seen_and_excludes_others) {
  PGconn *other = hold_refresh();
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.refresh_running, 1);
  ck_assert_int_eq(st.refresh_running_pid, PQbackendPID(other));

  techmv_refresh_options nowait = TECHMV_REFRESH_OPTIONS_INIT;
  nowait.wait = 0;
  ck_assert_int_eq(techmv_refresh(h, &nowait, NULL), TECHMV_EBUSY);
  techmv_refresh_options bounded = TECHMV_REFRESH_OPTIONS_INIT;
  bounded.lock_timeout_ms = 50;
  ck_assert_int_eq(techmv_refresh(h, &bounded, NULL), TECHMV_ETIMEOUT);
  /* The caller's own lock_timeout is as it was. */
  char *lt = pgt_scalar(db.conn, "SHOW lock_timeout");
  ck_assert_str_eq(lt, "0");
  free(lt);

  /* Readers are not blocked by the running refresh. */
  techmv_page *page = pgt_list_ok(h, NULL);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  techmv_page_free(page);

  /* A waiting refresh waits for the running one, then runs. */
  waiter w = {.dbname = db.name, .rc = -1, .info = TECHMV_REFRESH_INFO_INIT};
  w.conn = pgt_connect(db.name);
  w.pid = PQbackendPID(w.conn);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, refresh_and_wait, &w), 0);
  pgt_await_lock_wait(db.conn, w.pid, &w.rc); /* the waiter is queued */
  ck_assert_int_eq(atomic_load(&w.rc), -1);   /* still waiting */
  pgt_exec(other, "COMMIT");
  pthread_join(t, NULL);
  ck_assert_int_eq(atomic_load(&w.rc), TECHMV_OK);
  ck_assert_int_eq(w.info.concurrently, 1);
  PQfinish(w.conn);
  PQfinish(other);

  st = (techmv_status_info)TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.refresh_running, 0);
}
END_TEST

START_TEST(refresh_refuses_transaction_block) {
  pgt_exec(db.conn, "BEGIN");
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_ESTATE);
  ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INTRANS);
  pgt_exec(db.conn, "ROLLBACK");
}
END_TEST

/* ---- statement cache ------------------------------------------------------
 */

static long long count_our_statements(PGconn *c) {
  return pgt_scalar_ll(c, "SELECT count(*) FROM pg_prepared_statements "
                          "WHERE name LIKE 'techmv\\_%'");
}

START_TEST(statements_prepared_once_and_recovered_after_reset) {
  pgt_exec(db.conn, "PREPARE mine AS SELECT 1");
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  for (int i = 1; i <= 5; i++) {
    p.offset = i;
    techmv_page_free(pgt_list_ok(h, &p));
  }
  ck_assert_int_eq(count_our_statements(db.conn), 1);
  p.order = TECHMV_ORDER_DESC;
  techmv_page_free(pgt_list_ok(h, &p));
  techmv_page_free(pgt_list_ok(h, &p));
  ck_assert_int_eq(count_our_statements(db.conn), 2);
  ck_assert_int_eq(pgt_scalar_ll(db.conn,
                                 "SELECT count(*) FROM pg_prepared_statements "
                                 "WHERE name = 'mine'"),
                   1); /* the caller's own statement is untouched */

  /* First pages (and cursor pages) have their limit written in: the server
   * settles on one generic plan for them instead of planning every call. */
  techmv_list_params first = TECHMV_LIST_PARAMS_INIT;
  for (int i = 0; i < 8; i++)
    techmv_page_free(pgt_list_ok(h, &first));
  ck_assert_int_eq(count_our_statements(db.conn), 3);
  ck_assert_int_gt(pgt_scalar_ll(db.conn,
                                 "SELECT max(generic_plans) FROM "
                                 "pg_prepared_statements WHERE statement "
                                 "LIKE '%LIMIT 26'"),
                   0);

  /* Searches are planned for their own term on every call: never a named
   * statement, whose generic plan would serve every term alike. */
  techmv_list_params search = TECHMV_LIST_PARAMS_INIT;
  static const char *terms[] = {"a", "qz", "e", "sql", "%", "o", "k", "go"};
  for (int i = 0; i < 16; i++) {
    search.search = terms[i % 8];
    techmv_page_free(pgt_list_ok(h, &search));
  }
  ck_assert_int_eq(count_our_statements(db.conn), 3);
  ck_assert_int_eq(pgt_scalar_ll(db.conn,
                                 "SELECT count(*) FROM pg_prepared_statements "
                                 "WHERE statement LIKE '%LIKE%'"),
                   0);

  /* A second handle on the same connection reuses the statements. */
  techmv *h2;
  ck_assert_int_eq(techmv_open(db.conn, NULL, &h2), TECHMV_OK);
  techmv_page_free(pgt_list_ok(h2, &p));
  ck_assert_int_eq(count_our_statements(db.conn), 3);
  techmv_close(h2);

  int before = PQbackendPID(db.conn);
  PQreset(db.conn);
  ck_assert_int_eq(PQstatus(db.conn), CONNECTION_OK);
  ck_assert_int_ne(PQbackendPID(db.conn), before);
  techmv_page *page = pgt_list_ok(h, &p);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  techmv_page_free(page);
  ck_assert_int_eq(count_our_statements(db.conn), 1);

  /* The caller deallocates everything: the next idle call re-prepares. */
  pgt_exec(db.conn, "DEALLOCATE ALL");
  page = pgt_list_ok(h, &p);
  techmv_page_free(page);
  ck_assert_int_eq(count_our_statements(db.conn), 1);
}
END_TEST

/* ---- connection state and bad input ----------------------------------------
 */

START_TEST(bad_input_sends_nothing) {
  FILE *trace = tmpfile();
  PQtrace(db.conn, trace);
  techmv_page *page;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = -1;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(h), "limit"));
  p.limit = INT64_MAX;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  p.limit = 10;
  p.offset = INT64_MAX;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  p.offset = 0;
  p.search = "caf\xc3";
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(h), "UTF8"));
  char *big = malloc(1 << 20);
  memset(big, 'x', (1 << 20) - 1);
  big[(1 << 20) - 1] = '\0';
  p.search = big;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  free(big);
  p.search = NULL;
  p.company_count = 2;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  ck_assert_int_eq(techmv_list(h, NULL, NULL), TECHMV_EINVAL);
  techmv_refresh_options o = TECHMV_REFRESH_OPTIONS_INIT;
  o.lock_timeout_ms = -5;
  ck_assert_int_eq(techmv_refresh(h, &o, NULL), TECHMV_EINVAL);
  ck_assert_int_eq(techmv_status(h, NULL), TECHMV_EINVAL);
  techmv_status_info tiny = {.size = 8};
  ck_assert_int_eq(techmv_status(h, &tiny), TECHMV_EINVAL);
  fflush(trace);
  PQuntrace(db.conn);
  ck_assert_int_eq(ftell(trace), 0); /* not one protocol message */
  fclose(trace);
}
END_TEST

START_TEST(hostile_text_is_only_data) {
  static const char *nasty[] = {
      "'; DROP TABLE companies; --", "\\'; SELECT pg_sleep(10); --", "$1",
      "%' OR '1'='1", "\")); DELETE FROM companies; --"};
  for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.search = nasty[i];
    techmv_page *page = pgt_list_ok(h, &p);
    ck_assert_uint_eq(techmv_page_count(page), 0);
    techmv_page_free(page);
    p.search = NULL;
    p.after = nasty[i];
    techmv_page_free(pgt_list_ok(h, &p));
  }
  /* Configured names are identifiers, quoted: no injection either. */
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.view = "mv\"; DROP TABLE companies; --";
  techmv *hv;
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &hv), TECHMV_OK);
  techmv_page *page = pgt_list_ok(hv, NULL);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_FALLBACK);
  techmv_page_free(page);
  ck_assert_int_eq(techmv_refresh(hv, NULL, NULL), TECHMV_ENOTINSTALLED);
  techmv_close(hv);
  ck_assert_int_gt(pgt_scalar_ll(db.conn, "SELECT count(*) FROM companies"), 0);

  cfg.view = "a_view_name_that_is_far_too_long_for_its_derived_names_x";
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &hv), TECHMV_EINVAL);
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(hv), "view"));
  ck_assert_int_eq(techmv_list(hv, NULL, &page), TECHMV_EINVAL);
  techmv_close(hv);
}
END_TEST

START_TEST(caller_connection_states) {
  /* Inside the caller's transaction: works, commits nothing. */
  pgt_exec(db.conn, "BEGIN");
  pgt_exec(db.conn, "INSERT INTO companies VALUES (900003, 'T', "
                    "ARRAY['Txn-Only-Tech'])");
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.source = TECHMV_SOURCE_BASE;
  p.search = "Txn-Only";
  techmv_page *page = pgt_list_ok(h, &p);
  ck_assert_uint_eq(techmv_page_count(page), 1);
  techmv_page_free(page);
  ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INTRANS);
  pgt_exec(db.conn, "ROLLBACK");
  page = pgt_list_ok(h, &p);
  ck_assert_uint_eq(techmv_page_count(page), 0);
  techmv_page_free(page);

  /* In a failed transaction: a clear error. */
  pgt_exec(db.conn, "BEGIN");
  PQclear(PQexec(db.conn, "SELECT 1/0"));
  ck_assert_int_eq(techmv_list(h, NULL, &page), TECHMV_ESTATE);
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(h), "aborted"));
  pgt_exec(db.conn, "ROLLBACK");

  /* Busy with the caller's query: refused, and the caller's result intact. */
  ck_assert_int_eq(PQsendQuery(db.conn, "SELECT 'mine'"), 1);
  ck_assert_int_eq(techmv_list(h, NULL, &page), TECHMV_ESTATE);
  PGresult *r = PQgetResult(db.conn);
  ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
  ck_assert_str_eq(PQgetvalue(r, 0, 0), "mine");
  PQclear(r);
  ck_assert_ptr_null(PQgetResult(db.conn));

  /* Pipeline and nonblocking modes are the caller's: refused. */
  ck_assert_int_eq(PQenterPipelineMode(db.conn), 1);
  ck_assert_int_eq(techmv_list(h, NULL, &page), TECHMV_ESTATE);
  ck_assert_int_eq(PQexitPipelineMode(db.conn), 1);
  ck_assert_int_eq(PQsetnonblocking(db.conn, 1), 0);
  ck_assert_int_eq(
      techmv_status(h, &(techmv_status_info)TECHMV_STATUS_INFO_INIT),
      TECHMV_ESTATE);
  ck_assert_int_eq(PQsetnonblocking(db.conn, 0), 0);
  page = pgt_list_ok(h, NULL);
  techmv_page_free(page);
}
END_TEST

START_TEST(custom_names_and_schema) {
  pgt_exec(db.conn, "CREATE SCHEMA \"Odd Schema\"");
  pgt_exec(db.conn, "CREATE TABLE \"Odd Schema\".firms (firm_id int PRIMARY "
                    "KEY, stack text[])");
  pgt_exec(db.conn, "INSERT INTO \"Odd Schema\".firms VALUES (1, "
                    "'{b,a,NULL}'), (2, '{c,a}')");
  pgt_psql_script(db.name, "install.sql",
                  "-v 'schema=Odd Schema' -v view=firm_stack -v "
                  "source_table=firms -v source_column=stack -v "
                  "id_column=firm_id");
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.schema = "Odd Schema";
  cfg.view = "firm_stack";
  cfg.source_table = "firms";
  cfg.source_column = "stack";
  cfg.id_column = "firm_id";
  techmv *ho;
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &ho), TECHMV_OK);
  techmv_page *page = pgt_list_ok(ho, NULL);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_VIEW);
  ck_assert_uint_eq(techmv_page_count(page), 3);
  ck_assert_str_eq(techmv_page_value(page, 0), "a");
  ck_assert_str_eq(techmv_page_value(page, 2), "c");
  techmv_page_free(page);
  static const int64_t two[] = {2};
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.company_ids = two;
  p.company_count = 1;
  page = pgt_list_ok(ho, &p);
  ck_assert_uint_eq(techmv_page_count(page), 2);
  techmv_page_free(page);
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  ck_assert_int_eq(techmv_refresh(ho, NULL, &info), TECHMV_OK);
  ck_assert_int_eq(info.rows, 3);
  techmv_close(ho);
}
END_TEST

int main(void) {
  Suite *s = suite_create("integration");
  TCase *t = pgt_server_case(s, "list", 120);
  tcase_add_test(t, view_and_base_pages_are_plain_sql);
  tcase_add_test(t, walk_every_page_by_offset_and_cursor);
  tcase_add_test(t, exact_multiple_of_limit_ends_without_more);
  tcase_add_test(t, page_outlives_handle_and_connection);
  tcase_add_test(t, search_is_literal_and_case_insensitive);
  tcase_add_test(t, company_filter_uses_source_table);
  tcase_add_test(t, every_occurrence_walks_by_offset);
  tcase_add_test(t, custom_names_and_schema);

  t = pgt_server_case(s, "refresh", 120);
  tcase_add_test(t, refresh_adds_and_removes_values);
  tcase_add_test(t, status_before_and_after_refresh);
  tcase_add_test(t, unpopulated_view_refreshes_plainly_and_falls_back);
  tcase_add_test(t, dropped_view_falls_back_and_reports);
  tcase_add_test(t, running_refresh_is_seen_and_excludes_others);
  tcase_add_test(t, refresh_refuses_transaction_block);

  t = pgt_server_case(s, "connection", 120);
  tcase_add_test(t, statements_prepared_once_and_recovered_after_reset);
  tcase_add_test(t, bad_input_sends_nothing);
  tcase_add_test(t, hostile_text_is_only_data);
  tcase_add_test(t, caller_connection_states);
  return pgt_run(s);
}
