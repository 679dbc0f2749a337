#include "pgtest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v && *v ? v : fallback;
}

static void quiet(void *arg, const char *message) {
  (void)arg;
  (void)message; /* NOTICEs of DROP ... IF EXISTS and the like */
}

PGconn *pgt_connect(const char *dbname) {
  char conninfo[128];
  snprintf(conninfo, sizeof conninfo, "dbname=%s", dbname);
  PGconn *c = PQconnectdb(conninfo);
  ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect %s: %s", dbname,
                PQerrorMessage(c));
  PQsetNoticeProcessor(c, quiet, NULL);
  return c;
}

PGconn *pgt_connect_port(const char *dbname, const char *port_env) {
  const char *port = getenv(port_env);
  ck_assert_msg(port != NULL && *port, "%s is not set by the harness",
                port_env);
  char conninfo[160];
  snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s dbname=%s", port,
           dbname);
  PGconn *c = PQconnectdb(conninfo);
  ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect %s: %s", conninfo,
                PQerrorMessage(c));
  PQsetNoticeProcessor(c, quiet, NULL);
  return c;
}

int pgt_backend_pid(PGconn *conn) {
  return (int)pgt_scalar_ll(conn, "SELECT pg_backend_pid()");
}

void pgt_exec(PGconn *conn, const char *sql) {
  PGresult *r = PQexec(conn, sql);
  ExecStatusType st = PQresultStatus(r);
  ck_assert_msg(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s: %s", sql,
                PQresultErrorMessage(r));
  PQclear(r);
}

char *pgt_scalar(PGconn *conn, const char *sql) {
  PGresult *r = PQexec(conn, sql);
  ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) >= 1,
                "%s: %s", sql, PQresultErrorMessage(r));
  char *v = PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
  PQclear(r);
  return v;
}

long long pgt_scalar_ll(PGconn *conn, const char *sql) {
  char *v = pgt_scalar(conn, sql);
  ck_assert_ptr_nonnull(v);
  long long n = atoll(v);
  free(v);
  return n;
}

PGresult *pgt_query1(PGconn *conn, const char *sql, const char *param) {
  PGresult *r = PQexecParams(conn, sql, 1, NULL, &param, NULL, NULL, 0);
  ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
                PQresultErrorMessage(r));
  return r;
}

void pgt_db_create(pgt_db *d) {
  /* Unique per test process: tests run in forked children. */
  snprintf(d->name, sizeof d->name, "techmv_t%ld", (long)getpid());
  PGconn *admin = pgt_connect("postgres");
  char sql[256];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", d->name);
  pgt_exec(admin, sql);
  snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", d->name,
           env_or("TECHMV_TEST_TEMPLATE", "techmv_tpl"));
  pgt_exec(admin, sql);
  PQfinish(admin);
  d->conn = pgt_connect(d->name);
}

void pgt_db_drop(pgt_db *d) {
  if (d->conn != NULL)
    PQfinish(d->conn);
  d->conn = NULL;
  PGconn *admin = pgt_connect("postgres");
  char sql[256];
  snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", d->name);
  pgt_exec(admin, sql);
  PQfinish(admin);
}

void pgt_psql_script(const char *dbname, const char *script, const char *args) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "psql -X -q -v ON_ERROR_STOP=1 -d %s %s -f %s/%s >/dev/null", dbname,
           args ? args : "", env_or("TECHMV_TEST_SQLDIR", "sql"), script);
  int rc = system(cmd);
  ck_assert_msg(rc == 0, "%s failed (%d)", cmd, rc);
}

pgt_db db;
techmv *h;

void pgt_setup(void) {
  pgt_db_create(&db);
  ck_assert_int_eq(techmv_open(db.conn, NULL, &h), TECHMV_OK);
}

void pgt_teardown(void) {
  techmv_close(h);
  h = NULL;
  pgt_db_drop(&db);
}

techmv_page *pgt_list_ok(techmv *hd, const techmv_list_params *p) {
  techmv_page *page = NULL;
  int rc = techmv_list(hd, p, &page);
  ck_assert_msg(rc == TECHMV_OK, "list: %s (%s)", techmv_errmsg(hd),
                techmv_rc_string(rc));
  return page;
}

TCase *pgt_server_case(Suite *s, const char *name, double timeout_s) {
  TCase *t = tcase_create(name);
  tcase_add_checked_fixture(t, pgt_setup, pgt_teardown);
  tcase_set_timeout(t, timeout_s);
  suite_add_tcase(s, t);
  return t;
}

int pgt_run(Suite *s) {
  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

long pgt_trace_count(FILE *trace, const char *type, const char *containing) {
  char want[64];
  snprintf(want, sizeof want, "\t%s\t", type);
  char line[8192];
  long n = 0;
  rewind(trace);
  while (fgets(line, sizeof line, trace))
    n += strstr(line, want) != NULL &&
         (containing == NULL || strstr(line, containing) != NULL);
  return n;
}

void pgt_await_lock_wait(PGconn *conn, int pid, const atomic_int *running) {
  char sql[160];
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM pg_locks WHERE pid = %d AND NOT granted", pid);
  int waiting = 0;
  for (long i = 0; i < 10000000 && !waiting && atomic_load(running) == -1; i++)
    waiting = pgt_scalar_ll(conn, sql) > 0;
  ck_assert_msg(waiting, "backend %d never waited for a lock", pid);
}
