/* Prepared statements on the caller's connection, one per SQL text, named
 * "techmv_" + hash of the text so they never collide with the caller's own
 * and any handle with the same names reuses them. The cache remembers the
 * backend it prepared on and starts over when the connection was reset. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* duplicate_prepared_statement: another handle prepared the same text. */
#define SQLSTATE_DUPLICATE_PSTMT "42P05"
/* invalid_sql_statement_name: the statement is gone (DEALLOCATE/DISCARD). */
#define SQLSTATE_NO_PSTMT "26000"

void tmv_stmt_cache_free(tmv_stmt_cache *c) {
  for (int i = 0; i < TMV_STMT_SLOTS; i++) {
    free(c->slots[i].sql);
    c->slots[i].sql = NULL;
  }
}

int tmv_stmt_define(tmv_stmt_cache *c, int slot, char *sql, int nparams) {
  tmv_stmt *s = &c->slots[slot];
  if (s->sql != NULL) {
    free(sql);
    return 0;
  }
  if (sql == NULL)
    return -1;
  s->sql = sql;
  s->nparams = nparams;
  s->prepared = 0;
  snprintf(s->name, sizeof s->name, "techmv_%016" PRIx64, tmv_hash64(sql));
  return 0;
}

static int has_state(const PGresult *res, const char *state) {
  const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  return s != NULL && strcmp(s, state) == 0;
}

/* Read one query's result in pipeline mode (the result, then its NULL). */
static PGresult *pipeline_result(PGconn *conn) {
  PGresult *res = PQgetResult(conn);
  if (res != NULL && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
    PGresult *end = PQgetResult(conn);
    PQclear(end); /* NULL, unless the connection broke */
  }
  return res;
}

/* Prepare and execute in one pipeline: one round trip instead of two. */
static int prepare_and_exec(techmv *h, tmv_stmt *s, const char *const *values,
                            PGresult **out) {
  PGconn *conn = h->conn;
  if (!PQenterPipelineMode(conn))
    return tmv_fail_result(h, NULL, "entering pipeline mode");
  if (!PQsendPrepare(conn, s->name, s->sql, s->nparams, NULL) ||
      !PQsendQueryPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0) ||
      !PQpipelineSync(conn)) {
    int rc = tmv_fail_result(h, NULL, "sending the statement");
    PQexitPipelineMode(conn);
    return rc;
  }
  PGresult *prep = pipeline_result(conn);
  PGresult *exec = pipeline_result(conn);
  PGresult *sync = pipeline_result(conn);
  int synced = sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || !PQexitPipelineMode(conn)) {
    PQclear(prep);
    PQclear(exec);
    return tmv_fail_result(h, NULL, "reading the results");
  }

  int rc = TECHMV_OK;
  if (prep == NULL) {
    rc = tmv_fail_result(h, NULL, "preparing the statement");
  } else if (PQresultStatus(prep) == PGRES_COMMAND_OK) {
    s->prepared = 1;
  } else if (has_state(prep, SQLSTATE_DUPLICATE_PSTMT)) {
    /* Same name, so same text: it is ours to use. Run it now. */
    s->prepared = 1;
    PQclear(prep);
    PQclear(exec);
    if (PQtransactionStatus(conn) == PQTRANS_INERROR) {
      *out = NULL;
      return tmv_fail(h, TECHMV_ESERVER,
                      "the statement was prepared on this connection "
                      "already and the failed attempt aborted the "
                      "transaction");
    }
    exec = PQexecPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0);
    prep = NULL;
  } else {
    rc = tmv_fail_result(h, prep, "preparing the statement");
    *out = prep;
    PQclear(exec);
    return rc;
  }
  PQclear(prep);
  *out = exec;
  if (rc == TECHMV_OK && PQresultStatus(exec) != PGRES_TUPLES_OK)
    rc = tmv_fail_result(h, exec, "executing the statement");
  return rc;
}

int tmv_exec(techmv *h, int slot, const char *const *values, PGresult **out) {
  PGconn *conn = h->conn;
  tmv_stmt_cache *c = &h->cache;
  tmv_stmt *s = &c->slots[slot];
  *out = NULL;

  int pid = PQbackendPID(conn);
  if (pid != c->pid) {
    /* A new backend (the caller reset the connection): nothing of ours is
     * prepared there. */
    for (int i = 0; i < TMV_STMT_SLOTS; i++)
      c->slots[i].prepared = 0;
    c->pid = pid;
  }

  if (!s->prepared)
    return prepare_and_exec(h, s, values, out);

  PGresult *res =
      PQexecPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0);
  if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
    *out = res;
    return TECHMV_OK;
  }
  if (has_state(res, SQLSTATE_NO_PSTMT) &&
      PQtransactionStatus(conn) == PQTRANS_IDLE) {
    /* The caller deallocated our statements (DISCARD ALL, DEALLOCATE ALL,
     * a pooler): re-prepare once. Not inside a transaction block, where the
     * error has already aborted the caller's transaction. */
    PQclear(res);
    for (int i = 0; i < TMV_STMT_SLOTS; i++)
      c->slots[i].prepared = 0;
    return prepare_and_exec(h, s, values, out);
  }
  *out = res;
  return tmv_fail_result(h, res, "executing the statement");
}
