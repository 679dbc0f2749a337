/* Helpers for tests that talk to the throwaway server of pg-harness.sh. */
#ifndef TECHMV_PGTEST_H
#define TECHMV_PGTEST_H

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <libpq-fe.h>

#include <techmv.h>

/* A new database cloned from the harness's template, and a connection to
 * it; each test gets its own so that tests do not see each other. */
typedef struct pgt_db {
  char name[64];
  PGconn *conn;
} pgt_db;

void pgt_db_create(pgt_db *d);
void pgt_db_drop(pgt_db *d);

/* The fixture most tests use: a fresh database `db` and a handle `h` with
 * the default names on its connection. */
extern pgt_db db;
extern techmv *h;
void pgt_setup(void);
void pgt_teardown(void);

/* A test case of `s` whose tests each get the fixture above. */
TCase *pgt_server_case(Suite *s, const char *name, double timeout_s);
/* Run the suite; the process's exit status. */
int pgt_run(Suite *s);

/* Protocol messages of `type` ("Bind", "Parse", ...) the client sent in a
 * PQtrace() log, counting only those whose line holds `containing` when it
 * is not NULL. */
long pgt_trace_count(FILE *trace, const char *type, const char *containing);

/* techmv_list that must succeed. */
techmv_page *pgt_list_ok(techmv *hd, const techmv_list_params *p);

/* Another connection to the same database. */
PGconn *pgt_connect(const char *dbname);
/* A connection through 127.0.0.1:port (a pooler or the standby), or NULL
 * with the message in err when it fails. */
PGconn *pgt_connect_port(const char *dbname, const char *port_env);
/* Backend pid of a connection, as the server (not a pooler) knows it. */
int pgt_backend_pid(PGconn *conn);

/* Ask on `conn` until backend `pid` waits for a lock, or *running (a flag
 * of the thread making the call, -1 while it runs) says the call ended
 * first; fails the test if it never waited. */
void pgt_await_lock_wait(PGconn *conn, int pid, const atomic_int *running);

/* Run SQL that must succeed; abort the test otherwise. */
void pgt_exec(PGconn *conn, const char *sql);
/* First column of the first row, as a malloc'd string (NULL for SQL NULL). */
char *pgt_scalar(PGconn *conn, const char *sql);
long long pgt_scalar_ll(PGconn *conn, const char *sql);
/* Same with one text parameter. */
PGresult *pgt_query1(PGconn *conn, const char *sql, const char *param);

/* Run one of the project's sql/ scripts with psql, with extra psql
 * arguments (e.g. "-v view=x"). */
void pgt_psql_script(const char *dbname, const char *script, const char *args);

#endif
