/* Reliability tests on real servers started by pg-harness.sh with
 * TECHMV_HARNESS_EXTRAS=pooler,standby: PgBouncer in transaction and session
 * mode, a streaming hot standby, caller-side resets, schema changes, lost
 * connections, concurrency, hostile input and least privilege. */
#include <check.h>
#include <locale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <techmv.h>

#include "pgtest.h"

static void assert_same_page(const techmv_page *a, const techmv_page *b) {
  ck_assert_uint_eq(techmv_page_count(a), techmv_page_count(b));
  ck_assert_int_eq(techmv_page_has_more(a), techmv_page_has_more(b));
  for (size_t i = 0; i < techmv_page_count(a); i++)
    ck_assert_str_eq(techmv_page_value(a, i), techmv_page_value(b, i));
}

/* The page plain SQL gives for p (limit+1 rows), on the direct
 * connection. */
static PGresult *plain_page(const techmv_list_params *p) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT DISTINCT t.value FROM companies c CROSS JOIN LATERAL "
           "unnest(c.technologies) t(value) WHERE t.value IS NOT NULL AND "
           "($1::text IS NULL OR strpos(lower(t.value), lower($1)) > 0) "
           "ORDER BY 1 %s LIMIT %lld OFFSET %lld",
           p->order == TECHMV_ORDER_DESC ? "DESC" : "ASC",
           (long long)p->limit + 1, (long long)p->offset);
  return pgt_query1(db.conn, sql, p->search);
}

static void check_against_sql(techmv *hd, const techmv_list_params *p) {
  PGresult *want = plain_page(p);
  techmv_page *got = pgt_list_ok(hd, p);
  int rows = PQntuples(want);
  ck_assert_int_eq(techmv_page_has_more(got), rows > p->limit);
  ck_assert_uint_eq(techmv_page_count(got),
                    rows > p->limit ? (size_t)p->limit : (size_t)rows);
  for (size_t i = 0; i < techmv_page_count(got); i++)
    ck_assert_str_eq(techmv_page_value(got, i), PQgetvalue(want, (int)i, 0));
  PQclear(want);
  techmv_page_free(got);
}

static int named_statements(techmv *hd) {
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(hd, &st), TECHMV_OK);
  return st.named_statements;
}

/* ---- PgBouncer ----------------------------------------------------------- */

START_TEST(transaction_pooler_detected_and_served) {
  /* Server connections are opened only when none is idle, so pinning them
   * with open transactions decides where the client's next call lands. */
  PGconn *ca = pgt_connect_port(db.name, "TECHMV_TEST_POOLER_TX_PORT");
  techmv *ha;
  ck_assert_int_eq(techmv_open(ca, NULL, &ha), TECHMV_OK);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  check_against_sql(ha, &p); /* prepared on server connection 1 */
  ck_assert_int_eq(named_statements(ha), 1);

  PGconn *pin1 = pgt_connect_port(db.name, "TECHMV_TEST_POOLER_TX_PORT");
  pgt_exec(pin1, "BEGIN");
  pgt_exec(pin1, "SELECT 1"); /* holds server connection 1 */
  p.offset = 7;
  check_against_sql(ha, &p); /* lands on a new one: lost once */
  ck_assert_int_eq(named_statements(ha), 1);

  PGconn *pin2 = pgt_connect_port(db.name, "TECHMV_TEST_POOLER_TX_PORT");
  pgt_exec(pin2, "BEGIN");
  pgt_exec(pin2, "SELECT 1"); /* holds server connection 2 */
  p.offset = 9;
  check_against_sql(ha, &p); /* a third one: lost twice, a pooler */
  ck_assert_int_eq(named_statements(ha), 0);
  pgt_exec(pin1, "COMMIT");
  pgt_exec(pin2, "COMMIT");

  /* From now on every call is right wherever it lands. */
  for (int i = 0; i < 30; i++) {
    p.offset = i;
    p.order = (techmv_order)(i % 2);
    p.search = i % 3 == 0 ? "e" : NULL;
    check_against_sql(ha, &p);
  }
  techmv_close(ha);
  PQfinish(pin1);
  PQfinish(pin2);
  PQfinish(ca);
}
END_TEST

typedef struct client {
  const char *port_env;
  techmv_statements mode;
  int errors;
  int wrong;
  int calls;
  const char *dbname;
} client;

/* Reference pages computed up front on the direct connection. */
#define REF_PAGES 12
static char *ref[REF_PAGES][25];
static size_t ref_count[REF_PAGES];

static void ref_params(int i, techmv_list_params *p) {
  static const techmv_list_params init = TECHMV_LIST_PARAMS_INIT;
  *p = init;
  p->offset = i * 5;
  p->order = (techmv_order)(i % 2);
  p->search = i % 4 == 3 ? "a" : NULL;
}

static void build_refs(void) {
  for (int i = 0; i < REF_PAGES; i++) {
    techmv_list_params p;
    ref_params(i, &p);
    PGresult *r = plain_page(&p);
    ref_count[i] = PQntuples(r) > 25 ? 25 : (size_t)PQntuples(r);
    for (size_t k = 0; k < ref_count[i]; k++)
      ref[i][k] = strdup(PQgetvalue(r, (int)k, 0));
    PQclear(r);
  }
}

static void *pooled_client(void *arg) {
  client *c = arg;
  PGconn *conn = pgt_connect_port(c->dbname, c->port_env);
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.statements = c->mode;
  techmv *hc;
  if (techmv_open(conn, &cfg, &hc) != TECHMV_OK) {
    c->errors++;
    return NULL;
  }
  for (int n = 0; n < 60; n++) {
    int i = n % REF_PAGES;
    techmv_list_params p;
    ref_params(i, &p);
    techmv_page *page;
    c->calls++;
    if (techmv_list(hc, &p, &page) != TECHMV_OK) {
      c->errors++;
      continue;
    }
    if (techmv_page_count(page) != ref_count[i])
      c->wrong++;
    else
      for (size_t k = 0; k < ref_count[i]; k++)
        c->wrong += strcmp(techmv_page_value(page, k), ref[i][k]) != 0;
    techmv_page_free(page);
  }
  techmv_close(hc);
  PQfinish(conn);
  return NULL;
}

static void run_clients(const char *port_env, techmv_statements mode) {
  enum { N = 6 };
  client c[N];
  pthread_t t[N];
  for (int i = 0; i < N; i++) {
    c[i] = (client){port_env, mode, 0, 0, 0, db.name};
    ck_assert_int_eq(pthread_create(&t[i], NULL, pooled_client, &c[i]), 0);
  }
  for (int i = 0; i < N; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(c[i].calls, 60);
    ck_assert_int_eq(c[i].errors, 0);
    ck_assert_int_eq(c[i].wrong, 0);
  }
}

START_TEST(pooler_clients_interleaved) {
  build_refs();
  run_clients("TECHMV_TEST_POOLER_TX_PORT", TECHMV_STATEMENTS_AUTO);
  run_clients("TECHMV_TEST_POOLER_TX_PORT", TECHMV_STATEMENTS_UNNAMED);
  run_clients("TECHMV_TEST_POOLER_SESSION_PORT", TECHMV_STATEMENTS_AUTO);
  run_clients("TECHMV_TEST_POOLER_SESSION_PORT", TECHMV_STATEMENTS_NAMED);
}
END_TEST

START_TEST(session_pooler_keeps_named_statements) {
  PGconn *cs = pgt_connect_port(db.name, "TECHMV_TEST_POOLER_SESSION_PORT");
  techmv *hs;
  ck_assert_int_eq(techmv_open(cs, NULL, &hs), TECHMV_OK);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  for (int i = 1; i <= 10; i++) {
    p.offset = i;
    check_against_sql(hs, &p);
  }
  ck_assert_int_eq(named_statements(hs), 1);
  ck_assert_int_eq(pgt_scalar_ll(cs, "SELECT count(*) FROM "
                                     "pg_prepared_statements WHERE name LIKE "
                                     "'techmv\\_%'"),
                   3); /* the page's and the status's two */
  techmv_close(hs);
  PQfinish(cs);
}
END_TEST

/* ---- the caller resets server state ----------------------------------------
 */

START_TEST(discard_all_recovers_when_idle) {
  techmv_page_free(pgt_list_ok(h, NULL));
  pgt_exec(db.conn, "DISCARD ALL");
  techmv_page *page = pgt_list_ok(h, NULL);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  techmv_page_free(page);
  ck_assert_int_eq(named_statements(h), 1);
  ck_assert_int_eq(pgt_scalar_ll(db.conn, "SELECT count(*) FROM "
                                          "pg_prepared_statements WHERE name "
                                          "LIKE 'techmv\\_%'"),
                   3); /* the page's and the status's two */
}
END_TEST

START_TEST(lost_statement_in_transaction_is_not_touched) {
  techmv_page_free(pgt_list_ok(h, NULL));
  pgt_exec(db.conn, "BEGIN");
  pgt_exec(db.conn, "DEALLOCATE ALL");
  FILE *trace = tmpfile();
  PQtrace(db.conn, trace);
  techmv_page *page = pgt_list_ok(h, NULL);
  PQuntrace(db.conn);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  techmv_page_free(page);
  /* One unnamed statement: the lost one was not even tried. */
  ck_assert_int_eq(pgt_trace_count(trace, "Parse", "\"\""), 1);
  ck_assert_int_eq(pgt_trace_count(trace, "Bind", NULL), 1);
  fclose(trace);
  ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INTRANS);
  pgt_exec(db.conn, "COMMIT");
  page = pgt_list_ok(h, NULL); /* idle again: prepared anew */
  techmv_page_free(page);
}
END_TEST

/* ---- schema changes -------------------------------------------------------
 */

static void recreate_view(const char *type) {
  char sql[512];
  pgt_exec(db.conn, "DROP MATERIALIZED VIEW mv_distinct_technologies");
  snprintf(sql, sizeof sql,
           "CREATE MATERIALIZED VIEW mv_distinct_technologies AS SELECT "
           "DISTINCT t.value::%s AS value, NULL::text AS value_md5 FROM "
           "companies c CROSS JOIN LATERAL unnest(c.technologies) t(value) "
           "WHERE t.value IS NOT NULL",
           type);
  pgt_exec(db.conn, sql);
}

START_TEST(view_recreated_with_another_type) {
  pgt_psql_script(db.name, "rollback.sql", NULL);
  pgt_exec(db.conn, "CREATE MATERIALIZED VIEW mv_distinct_technologies AS "
                    "SELECT DISTINCT t.value, NULL::text AS value_md5 FROM "
                    "companies c CROSS JOIN LATERAL unnest(c.technologies) "
                    "t(value) WHERE t.value IS NOT NULL");
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  techmv_page *before = pgt_list_ok(h, &p);
  ck_assert_int_eq(techmv_page_path(before), TECHMV_PATH_VIEW);

  recreate_view("varchar"); /* same name, another result type */
  techmv_page *after = pgt_list_ok(h, &p);
  ck_assert_int_eq(techmv_page_path(after), TECHMV_PATH_VIEW);
  assert_same_page(before, after);
  techmv_page_free(after);

  /* Inside a transaction block the call is served, and the transaction
   * goes on: no named statement is used there. */
  recreate_view("text");
  pgt_exec(db.conn, "BEGIN");
  after = pgt_list_ok(h, &p);
  assert_same_page(before, after);
  techmv_page_free(after);
  ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INTRANS);
  pgt_exec(db.conn, "COMMIT");
  /* Idle again: the reshape is met, and recovered from without any SQL
   * DEALLOCATE (which a pooler mapping statement names cannot follow). */
  FILE *trace = tmpfile();
  PQtrace(db.conn, trace);
  after = pgt_list_ok(h, &p);
  PQuntrace(db.conn);
  ck_assert_int_eq(pgt_trace_count(trace, "Query", "DEALLOCATE"), 0);
  ck_assert_int_eq(pgt_trace_count(trace, "Parse", "DEALLOCATE"), 0);
  ck_assert_int_ge(pgt_trace_count(trace, "Parse", NULL), 1);
  fclose(trace);
  assert_same_page(before, after);
  techmv_page_free(after);
  techmv_page_free(before);
}
END_TEST

START_TEST(other_feature_not_supported_is_not_a_plan_change) {
  /* A refresh function failing with the 0A000 of "CONCURRENTLY cannot be
   * used when the materialized view is not populated" must come back as
   * that error after one execution, not be taken for a reshaped view. */
  pgt_exec(db.conn, "CREATE SCHEMA odd");
  pgt_exec(db.conn, "CREATE MATERIALIZED VIEW odd.mv AS SELECT 1 AS value "
                    "WITH NO DATA");
  pgt_exec(db.conn, "CREATE UNIQUE INDEX ON odd.mv (value)");
  pgt_exec(db.conn,
           "CREATE FUNCTION odd.mv_refresh(boolean, integer) RETURNS "
           "TABLE(status text, \"concurrently\" boolean, started_at "
           "timestamptz, duration_ms float8, row_count bigint, sqlstate "
           "text, message text, long_values bigint) LANGUAGE "
           "plpgsql AS $$BEGIN REFRESH MATERIALIZED VIEW CONCURRENTLY "
           "odd.mv; END$$");
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.schema = "odd";
  cfg.view = "mv";
  techmv *ho;
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &ho), TECHMV_OK);
  /* Once to prepare it, once more on the prepared statement, traced. */
  ck_assert_int_eq(techmv_refresh(ho, NULL, NULL), TECHMV_ESERVER);
  FILE *trace = tmpfile();
  PQtrace(db.conn, trace);
  ck_assert_int_eq(techmv_refresh(ho, NULL, NULL), TECHMV_ESERVER);
  PQuntrace(db.conn);
  ck_assert_str_eq(techmv_sqlstate(ho), "0A000");
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(ho), "CONCURRENTLY"));
  ck_assert_int_eq(pgt_trace_count(trace, "Execute", NULL), 1);
  fclose(trace);
  techmv_close(ho);
}
END_TEST

/* ---- lost connections -----------------------------------------------------
 */

START_TEST(backend_killed_between_calls) {
  techmv_page_free(pgt_list_ok(h, NULL));
  PGconn *admin = pgt_connect(db.name);
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)",
           PQbackendPID(db.conn));
  pgt_exec(admin, sql);
  PQfinish(admin);
  techmv_page *page = (techmv_page *)1;
  int rc = techmv_list(h, NULL, &page);
  ck_assert_int_eq(rc, TECHMV_ECONN);
  ck_assert_ptr_null(page);
  ck_assert_str_ne(techmv_errmsg(h), "");
  ck_assert_int_eq(
      techmv_status(h, &(techmv_status_info)TECHMV_STATUS_INFO_INIT),
      TECHMV_ECONN);
  PQreset(db.conn);
  ck_assert_int_eq(PQstatus(db.conn), CONNECTION_OK);
  page = pgt_list_ok(h, NULL);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  techmv_page_free(page);
}
END_TEST

typedef struct blocked_call {
  techmv *h;
  int first_call; /* the pipelined prepare+execute path */
  atomic_int rc;
} blocked_call;

static void *list_base(void *arg) {
  blocked_call *b = arg;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.source = TECHMV_SOURCE_BASE;
  p.order = b->first_call ? TECHMV_ORDER_DESC : TECHMV_ORDER_ASC;
  techmv_page *page = NULL;
  atomic_store(&b->rc, techmv_list(b->h, &p, &page));
  techmv_page_free(page);
  return NULL;
}

static void kill_during_call(int first_call) {
  if (!first_call) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.source = TECHMV_SOURCE_BASE;
    techmv_page_free(pgt_list_ok(h, &p)); /* prepared already */
  }
  int pid = PQbackendPID(db.conn);
  PGconn *locker = pgt_connect(db.name);
  pgt_exec(locker, "BEGIN");
  pgt_exec(locker, "LOCK TABLE companies IN ACCESS EXCLUSIVE MODE");
  blocked_call b = {h, first_call, -1};
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, list_base, &b), 0);
  pgt_await_lock_wait(locker, pid, &b.rc);
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
  pgt_exec(locker, sql);
  pthread_join(t, NULL);
  ck_assert_int_eq(atomic_load(&b.rc), TECHMV_ECONN);
  /* As the caller left it: not in pipeline mode. */
  ck_assert_int_eq(PQpipelineStatus(db.conn), PQ_PIPELINE_OFF);
  pgt_exec(locker, "ROLLBACK");
  PQfinish(locker);
  PQreset(db.conn);
  techmv_page *page = pgt_list_ok(h, NULL);
  ck_assert_uint_eq(techmv_page_count(page), 25);
  techmv_page_free(page);
}

START_TEST(backend_killed_during_prepared_call) {
  kill_during_call(0);
}
END_TEST

START_TEST(backend_killed_during_first_call) {
  kill_during_call(1);
}
END_TEST

/* ---- the caller's connection state ----------------------------------------
 */

START_TEST(copy_in_progress_is_refused) {
  PGresult *r = PQexec(db.conn, "COPY (SELECT 1 UNION ALL SELECT 2) TO STDOUT");
  ck_assert_int_eq(PQresultStatus(r), PGRES_COPY_OUT);
  PQclear(r);
  techmv_page *page;
  ck_assert_int_eq(techmv_list(h, NULL, &page), TECHMV_ESTATE);
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_ESTATE);
  /* The caller's COPY data is all still there. */
  char *buf;
  ck_assert_int_eq(PQgetCopyData(db.conn, &buf, 0), 2);
  ck_assert_int_eq(buf[0], '1');
  PQfreemem(buf);
  ck_assert_int_eq(PQgetCopyData(db.conn, &buf, 0), 2);
  ck_assert_int_eq(buf[0], '2');
  PQfreemem(buf);
  ck_assert_int_eq(PQgetCopyData(db.conn, &buf, 0), -1);
  r = PQgetResult(db.conn);
  ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  ck_assert_ptr_null(PQgetResult(db.conn));
  page = pgt_list_ok(h, NULL);
  techmv_page_free(page);
}
END_TEST

START_TEST(calls_in_caller_transaction_commit_nothing) {
  pgt_exec(db.conn, "BEGIN");
  techmv_page_free(pgt_list_ok(h, NULL));
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(PQtransactionStatus(db.conn), PQTRANS_INTRANS);
  pgt_exec(db.conn, "CREATE TABLE only_if_committed (x int)");
  techmv_page_free(pgt_list_ok(h, NULL));
  pgt_exec(db.conn, "ROLLBACK");
  ck_assert_int_eq(pgt_scalar_ll(db.conn, "SELECT count(*) FROM pg_class "
                                          "WHERE relname = "
                                          "'only_if_committed'"),
                   0);
}
END_TEST

/* ---- concurrency ----------------------------------------------------------
 */

typedef struct reader {
  const char *dbname;
  atomic_int *stop;
  long calls;
  long errors;
  long unsorted;
  char msg[256];
} reader;

static void *read_loop(void *arg) {
  reader *r = arg;
  PGconn *conn = pgt_connect(r->dbname);
  techmv *hr;
  techmv_open(conn, NULL, &hr);
  for (long n = 0; !atomic_load(r->stop) || n < 20; n++) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.order = (techmv_order)(n % 2);
    p.offset = (n * 7) % 200;
    p.search = n % 5 == 0 ? "e" : NULL;
    techmv_page *page;
    r->calls++;
    if (techmv_list(hr, &p, &page) != TECHMV_OK) {
      r->errors++;
      snprintf(r->msg, sizeof r->msg, "%s", techmv_errmsg(hr));
      continue;
    }
    for (size_t i = 1; i < techmv_page_count(page); i++) {
      int c =
          strcoll(techmv_page_value(page, i - 1), techmv_page_value(page, i));
      if (p.order == TECHMV_ORDER_DESC)
        c = -c;
      r->unsorted += c >= 0; /* out of order or a duplicate */
    }
    techmv_page_free(page);
  }
  techmv_close(hr);
  PQfinish(conn);
  return NULL;
}

START_TEST(readers_never_wait_for_refresh) {
  /* Sort checks use the database's own collation. */
  char *coll = pgt_scalar(db.conn, "SELECT datcollate FROM pg_database "
                                   "WHERE datname = current_database()");
  ck_assert_ptr_nonnull(setlocale(LC_COLLATE, coll));
  free(coll);

  enum { READERS = 8 };
  atomic_int stop = 0;
  reader r[READERS];
  pthread_t t[READERS];

  /* A refresh held open: the readers must all finish their calls while it
   * holds its locks, or this test would hang until its timeout. */
  PGconn *refresher = pgt_connect(db.name);
  pgt_exec(db.conn, "UPDATE companies SET technologies = technologies || "
                    "'Fresh-Tech'::text WHERE id % 10 = 0");
  pgt_exec(refresher, "BEGIN");
  pgt_exec(refresher, "SELECT * FROM mv_distinct_technologies_refresh()");
  atomic_store(&stop, 1);
  for (int i = 0; i < READERS; i++) {
    r[i] = (reader){.dbname = db.name, .stop = &stop};
    ck_assert_int_eq(pthread_create(&t[i], NULL, read_loop, &r[i]), 0);
  }
  for (int i = 0; i < READERS; i++)
    pthread_join(t[i], NULL);
  pgt_exec(refresher, "COMMIT");
  for (int i = 0; i < READERS; i++) {
    ck_assert_msg(r[i].errors == 0, "reader %d: %s", i, r[i].msg);
    ck_assert_int_eq(r[i].unsorted, 0);
  }

  /* Then continuous reading while refreshes run in a loop. */
  atomic_store(&stop, 0);
  for (int i = 0; i < READERS; i++) {
    r[i] = (reader){.dbname = db.name, .stop = &stop};
    ck_assert_int_eq(pthread_create(&t[i], NULL, read_loop, &r[i]), 0);
  }
  techmv *hr;
  ck_assert_int_eq(techmv_open(refresher, NULL, &hr), TECHMV_OK);
  for (int k = 0; k < 6; k++) {
    char sql[128];
    snprintf(sql, sizeof sql,
             "UPDATE companies SET technologies = technologies || "
             "'Loop-Tech-%d'::text WHERE id = %d",
             k, k + 1);
    pgt_exec(refresher, sql);
    ck_assert_int_eq(techmv_refresh(hr, NULL, NULL), TECHMV_OK);
  }
  atomic_store(&stop, 1);
  long calls = 0;
  for (int i = 0; i < READERS; i++) {
    pthread_join(t[i], NULL);
    ck_assert_msg(r[i].errors == 0, "reader %d: %s", i, r[i].msg);
    ck_assert_int_eq(r[i].unsorted, 0);
    calls += r[i].calls;
  }
  ck_assert_int_ge(calls, READERS * 20);
  techmv_close(hr);
  PQfinish(refresher);
}
END_TEST

typedef struct refresher_arg {
  const char *dbname;
  int failures;
} refresher_arg;

static void *refresh_loop(void *arg) {
  refresher_arg *a = arg;
  PGconn *conn = pgt_connect(a->dbname);
  techmv *hr;
  techmv_open(conn, NULL, &hr);
  for (int i = 0; i < 5; i++)
    a->failures += techmv_refresh(hr, NULL, NULL) != TECHMV_OK;
  techmv_close(hr);
  PQfinish(conn);
  return NULL;
}

START_TEST(two_refreshers_never_overlap) {
  refresher_arg a[2] = {{db.name, 0}, {db.name, 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    ck_assert_int_eq(pthread_create(&t[i], NULL, refresh_loop, &a[i]), 0);
  for (int i = 0; i < 2; i++) {
    pthread_join(t[i], NULL);
    ck_assert_int_eq(a[i].failures, 0);
  }
  /* Each logged refresh ends before the next one starts. */
  ck_assert_int_eq(
      pgt_scalar_ll(
          db.conn, "SELECT count(*) FROM mv_distinct_technologies_refresh_log"),
      11);
  ck_assert_int_eq(
      pgt_scalar_ll(db.conn,
                    "SELECT count(*) FROM (SELECT started_at, started_at + "
                    "duration_ms * interval '1 ms' AS ended, lead(started_at) "
                    "OVER (ORDER BY started_at) AS next FROM "
                    "mv_distinct_technologies_refresh_log) s WHERE next < "
                    "ended"),
      0);
}
END_TEST

/* ---- replica ----------------------------------------------------------------
 */

static void wait_for_replay(PGconn *standby) {
  /* The insert position, not the write position: with asynchronous commit
   * the last commit may not have been written out yet. */
  char *lsn = pgt_scalar(db.conn, "SELECT pg_current_wal_insert_lsn()");
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn",
           lsn);
  free(lsn);
  int done = 0;
  for (long i = 0; i < 10000000 && !done; i++) {
    char *v = pgt_scalar(standby, sql);
    done = v != NULL && strcmp(v, "t") == 0;
    free(v);
  }
  ck_assert_msg(done, "the standby never caught up");
}

START_TEST(hot_standby) {
  /* The database was created on the primary just now; reach it through the
   * standby once replayed. */
  PGconn *probe = pgt_connect_port("postgres", "TECHMV_TEST_STANDBY_PORT");
  wait_for_replay(probe);
  PQfinish(probe);
  PGconn *sb = pgt_connect_port(db.name, "TECHMV_TEST_STANDBY_PORT");
  techmv *hs;
  ck_assert_int_eq(techmv_open(sb, NULL, &hs), TECHMV_OK);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  techmv_page *page = pgt_list_ok(hs, &p);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_VIEW);
  techmv_page_free(page);
  check_against_sql(hs, &p);

  ck_assert_int_eq(techmv_refresh(hs, NULL, NULL), TECHMV_EREADONLY);
  ck_assert_str_eq(techmv_sqlstate(hs), "25006");
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(hs, &st), TECHMV_OK);
  ck_assert_int_eq(st.is_standby, 1);
  ck_assert_int_eq(st.installed, 1);
  ck_assert_int_eq(st.populated, 1);
  ck_assert(st.replay_lag_s >= 0);
  ck_assert_int_ge(st.replay_lag_bytes, 0);
  techmv_status_info pst = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &pst), TECHMV_OK);
  ck_assert_int_eq(pst.is_standby, 0);
  ck_assert(pst.replay_lag_s == -1);

  /* A refresh on the primary reaches the standby by replication. */
  pgt_exec(db.conn, "INSERT INTO companies VALUES (900010, 'R', "
                    "ARRAY['Replicated-Tech'])");
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  wait_for_replay(sb);
  p.search = "Replicated-Tech";
  page = pgt_list_ok(hs, &p);
  ck_assert_uint_eq(techmv_page_count(page), 1);
  techmv_page_free(page);
  techmv_close(hs);
  PQfinish(sb);
}
END_TEST

/* ---- hostile input ------------------------------------------------------- */

START_TEST(user_text_only_travels_as_parameters) {
  static const char *nasty = "x'); DROP TABLE companies; --";
  FILE *trace = tmpfile();
  PQtrace(db.conn, trace);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = nasty;
  techmv_page_free(pgt_list_ok(h, &p));
  p.search = NULL;
  p.after = nasty;
  techmv_page_free(pgt_list_ok(h, &p));
  PQuntrace(db.conn);
  /* The text appears in Bind messages only, never in a Parse. */
  ck_assert_int_eq(pgt_trace_count(trace, "Parse", "DROP TABLE"), 0);
  ck_assert_int_eq(pgt_trace_count(trace, "Bind", "DROP TABLE"), 2);
  fclose(trace);
}
END_TEST

START_TEST(limits_offsets_and_garbage) {
  static const struct {
    int64_t limit, offset;
    int rc;
  } cases[] = {
      {0, 0, TECHMV_EINVAL},
      {-1, 0, TECHMV_EINVAL},
      {TECHMV_LIMIT_MAX, 0, TECHMV_OK},
      {TECHMV_LIMIT_MAX + 1, 0, TECHMV_EINVAL},
      {INT64_MAX, 0, TECHMV_EINVAL},
      {10, -1, TECHMV_EINVAL},
      {10, TECHMV_OFFSET_MAX, TECHMV_OK},
      {10, TECHMV_OFFSET_MAX + 1, TECHMV_EINVAL},
      {10, INT64_MAX, TECHMV_EINVAL},
      {10, INT64_MIN, TECHMV_EINVAL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.limit = cases[i].limit;
    p.offset = cases[i].offset;
    techmv_page *page = NULL;
    int rc = techmv_list(h, &p, &page);
    ck_assert_msg(rc == cases[i].rc, "case %zu: %s", i, techmv_errmsg(h));
    if (rc == TECHMV_OK && p.offset == 0) {
      long long distinct = pgt_scalar_ll(
          db.conn, "SELECT count(*) FROM mv_distinct_technologies");
      ck_assert_uint_eq(techmv_page_count(page), (size_t)distinct);
    }
    techmv_page_free(page);
  }
  /* Binary garbage without NULs: invalid UTF-8 is refused up front; valid
   * text of any kind is just a term. */
  char garbage[200];
  for (size_t i = 0; i < sizeof garbage - 1; i++)
    garbage[i] = (char)(1 + (i * 37) % 255);
  garbage[sizeof garbage - 1] = '\0';
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = garbage;
  techmv_page *page;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  p.search = "\x01\x02\x7f'\"\\%_\t\n";
  page = pgt_list_ok(h, &p);
  ck_assert_uint_eq(techmv_page_count(page), 0);
  techmv_page_free(page);
}
END_TEST

START_TEST(configured_names_cannot_inject) {
  static const char *evil[] = {"companies\"; DROP TABLE companies; --",
                               "x\" OR 1=1 --", "'quoted'", "back\\slash"};
  for (size_t i = 0; i < sizeof evil / sizeof evil[0]; i++) {
    techmv_config cfg = TECHMV_CONFIG_INIT;
    cfg.schema = evil[i];
    cfg.source_table = evil[i];
    cfg.source_column = evil[i];
    cfg.id_column = evil[i];
    techmv *he;
    ck_assert_int_eq(techmv_open(db.conn, &cfg, &he), TECHMV_OK);
    techmv_page *page;
    static const int64_t one[] = {1};
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.company_ids = one;
    p.company_count = 1;
    ck_assert_int_eq(techmv_list(he, &p, &page), TECHMV_ESERVER);
    ck_assert_str_eq(techmv_sqlstate(he), "42P01"); /* no such relation */
    techmv_status_info st = TECHMV_STATUS_INFO_INIT;
    ck_assert_int_eq(techmv_status(he, &st), TECHMV_OK);
    ck_assert_int_eq(st.installed, 0);
    techmv_close(he);
  }
  ck_assert_int_gt(pgt_scalar_ll(db.conn, "SELECT count(*) FROM companies"), 0);
}
END_TEST

/* ---- least privilege ------------------------------------------------------
 */

START_TEST(reader_role_lists_and_refreshes_nothing_more) {
  char sql[256];
  char role[80];
  snprintf(role, sizeof role, "app_%s", db.name);
  snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN PASSWORD 'pw'", role);
  pgt_exec(db.conn, sql);
  char args[128];
  snprintf(args, sizeof args, "-v refresh_role=%s", role);
  pgt_psql_script(db.name, "install.sql", args);

  char conninfo[256];
  snprintf(conninfo, sizeof conninfo,
           "host=127.0.0.1 dbname=%s user=%s password=pw", db.name, role);
  PGconn *app = PQconnectdb(conninfo);
  ck_assert_msg(PQstatus(app) == CONNECTION_OK, "%s", PQerrorMessage(app));
  /* A hostile search_path and look-alike functions must not be used by the
   * SECURITY DEFINER refresh function. */
  snprintf(sql, sizeof sql, "CREATE SCHEMA trap AUTHORIZATION %s", role);
  pgt_exec(db.conn, sql);
  pgt_exec(app, "CREATE FUNCTION trap.pg_try_advisory_xact_lock(bigint) "
                "RETURNS boolean LANGUAGE plpgsql AS $$BEGIN RAISE "
                "EXCEPTION 'hijacked'; END$$");
  pgt_exec(app, "CREATE FUNCTION trap.pg_advisory_xact_lock(bigint) "
                "RETURNS void LANGUAGE plpgsql AS $$BEGIN RAISE "
                "EXCEPTION 'hijacked'; END$$");
  pgt_exec(app, "CREATE FUNCTION trap.count(anyelement) RETURNS bigint "
                "LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'hijacked'; "
                "END$$");
  pgt_exec(app, "SET search_path = trap, pg_catalog, public");

  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.schema = "public";
  techmv *ha;
  ck_assert_int_eq(techmv_open(app, &cfg, &ha), TECHMV_OK);
  techmv_page *page = pgt_list_ok(ha, NULL);
  ck_assert_int_eq(techmv_page_path(page), TECHMV_PATH_VIEW);
  techmv_page_free(page);
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  int rc = techmv_refresh(ha, NULL, &info);
  ck_assert_msg(rc == TECHMV_OK, "%s", techmv_errmsg(ha));
  techmv_refresh_options nowait = TECHMV_REFRESH_OPTIONS_INIT;
  nowait.wait = 0;
  ck_assert_int_eq(techmv_refresh(ha, &nowait, NULL), TECHMV_OK);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM mv_distinct_technologies_refresh_log WHERE "
           "refreshed_by = '%s'",
           role);
  ck_assert_int_eq(pgt_scalar_ll(db.conn, sql), 2);

  /* Nothing more: not the source table, not a raw refresh. */
  static const int64_t one[] = {1};
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.company_ids = one;
  p.company_count = 1;
  ck_assert_int_eq(techmv_list(ha, &p, &page), TECHMV_ESERVER);
  ck_assert_str_eq(techmv_sqlstate(ha), "42501");
  PGresult *r = PQexec(app, "REFRESH MATERIALIZED VIEW "
                            "public.mv_distinct_technologies");
  ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
  PQclear(r);
  r = PQexec(app, "DELETE FROM public.mv_distinct_technologies_refresh_log");
  ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
  PQclear(r);
  techmv_close(ha);
  PQfinish(app);
  snprintf(sql, sizeof sql, "DROP SCHEMA trap CASCADE");
  pgt_exec(db.conn, sql);
}
END_TEST

int main(void) {
  Suite *s = suite_create("reliability");
  struct {
    const char *name;
    const TTest *tests[8];
  } cases[] = {
      {"pooler",
       {transaction_pooler_detected_and_served, pooler_clients_interleaved,
        session_pooler_keeps_named_statements}},
      {"reset",
       {discard_all_recovers_when_idle,
        lost_statement_in_transaction_is_not_touched,
        view_recreated_with_another_type,
        other_feature_not_supported_is_not_a_plan_change}},
      {"connection",
       {backend_killed_between_calls, backend_killed_during_prepared_call,
        backend_killed_during_first_call, copy_in_progress_is_refused,
        calls_in_caller_transaction_commit_nothing}},
      {"concurrency",
       {readers_never_wait_for_refresh, two_refreshers_never_overlap}},
      {"replica", {hot_standby}},
      {"hostile",
       {user_text_only_travels_as_parameters, limits_offsets_and_garbage,
        configured_names_cannot_inject,
        reader_role_lists_and_refreshes_nothing_more}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    TCase *t = pgt_server_case(s, cases[i].name, 300);
    for (size_t k = 0; k < 8 && cases[i].tests[k]; k++)
      tcase_add_test(t, cases[i].tests[k]);
  }
  return pgt_run(s);
}
