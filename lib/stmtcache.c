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
    if (c->slots[i] != NULL)
      free(c->slots[i]->sql);
    free(c->slots[i]);
    c->slots[i] = NULL;
  }
}

int tmv_stmt_define(tmv_stmt_cache *c, int slot, char *sql, int nparams,
                    int64_t fetch) {
  if (c->slots[slot] != NULL) {
    free(sql);
    return 0;
  }
  tmv_stmt *s = sql ? malloc(sizeof *s) : NULL;
  if (s == NULL) {
    free(sql);
    return -1;
  }
  s->sql = sql;
  s->nparams = nparams;
  s->fetch = fetch;
  s->prepared = 0;
  snprintf(s->name, sizeof s->name, "techmv_%016" PRIx64, tmv_hash64(sql));
  c->slots[slot] = s;
  return 0;
}

static int has_state(const PGresult *res, const char *state) {
  const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  return s != NULL && strcmp(s, state) == 0;
}

/* "cached plan must not change result type": the view was recreated with
 * another shape. Told apart from other feature_not_supported errors (such
 * as CONCURRENTLY on an unpopulated view) by the function that raised it. */
static int plan_changed(const PGresult *res) {
  const char *f = res ? PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION) : NULL;
  return has_state(res, "0A000") && f != NULL &&
         strcmp(f, "RevalidateCachedQuery") == 0;
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

static void forget_prepared(tmv_stmt_cache *c) {
  for (int i = 0; i < TMV_STMT_SLOTS; i++)
    if (c->slots[i] != NULL)
      c->slots[i]->prepared = 0;
}

/* Prepare and execute in one pipeline: one round trip instead of two.
 * With `drop_first`, the stale statement of that name is deallocated in the
 * same pipeline. Sets *exists when the name was already prepared on the
 * server (then *out is NULL and nothing ran). */
static int prepare_and_exec(techmv *h, tmv_stmt *s, const char *const *values,
                            int drop_first, PGresult **out, int *exists) {
  PGconn *conn = h->conn;
  char drop[64];
  *out = NULL;
  *exists = 0;
  snprintf(drop, sizeof drop, "DEALLOCATE %s", s->name);
  if (!PQenterPipelineMode(conn))
    return tmv_fail_result(h, NULL, "entering pipeline mode");
  if ((drop_first &&
       !PQsendQueryParams(conn, drop, 0, NULL, NULL, NULL, NULL, 0)) ||
      !PQsendPrepare(conn, s->name, s->sql, s->nparams, NULL) ||
      !PQsendQueryPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0) ||
      !PQpipelineSync(conn)) {
    int rc = tmv_fail_result(h, NULL, "sending the statement");
    PQexitPipelineMode(conn);
    return rc;
  }
  PGresult *dropped = drop_first ? pipeline_result(conn) : NULL;
  PGresult *prep = pipeline_result(conn);
  PGresult *exec = pipeline_result(conn);
  PGresult *sync = pipeline_result(conn);
  int synced = sync != NULL && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || !PQexitPipelineMode(conn)) {
    PQclear(dropped);
    PQclear(prep);
    PQclear(exec);
    return tmv_fail_result(h, NULL, "reading the results");
  }

  int rc = TECHMV_OK;
  if (dropped != NULL && PQresultStatus(dropped) != PGRES_COMMAND_OK) {
    rc = tmv_fail_result(h, dropped, "deallocating the stale statement");
    *out = dropped;
    dropped = NULL;
  } else if (prep == NULL) {
    rc = tmv_fail_result(h, NULL, "preparing the statement");
  } else if (PQresultStatus(prep) == PGRES_COMMAND_OK) {
    s->prepared = 1;
    *out = exec;
    exec = NULL;
    if (PQresultStatus(*out) != PGRES_TUPLES_OK)
      rc = tmv_fail_result(h, *out, "executing the statement");
  } else if (has_state(prep, SQLSTATE_DUPLICATE_PSTMT)) {
    /* Same name, so same text (another handle on this connection, or a
     * pooler's server connection): ours to use. */
    s->prepared = 1;
    *exists = 1;
  } else {
    rc = tmv_fail_result(h, prep, "preparing the statement");
    *out = prep;
    prep = NULL;
  }
  PQclear(dropped);
  PQclear(prep);
  PQclear(exec);
  return rc;
}

/* Parse, bind and execute an unnamed statement: one round trip, nothing
 * left on the server, so nothing a pooler can lose. */
static int exec_unnamed(techmv *h, tmv_stmt *s, const char *const *values,
                        PGresult **out) {
  *out = PQexecParams(h->conn, s->sql, s->nparams, NULL, values, NULL, NULL, 0);
  if (*out != NULL && PQresultStatus(*out) == PGRES_TUPLES_OK)
    return TECHMV_OK;
  return tmv_fail_result(h, *out, "executing the statement");
}

/* Statements whose best plan depends on the values bound to them (the search
 * term, the number of company ids) run unnamed, so that every call is
 * planned for its own values: a named one would, after five calls, be
 * offered a generic plan chosen for no term in particular, and take it for
 * all of them. */
static int planned_per_call(int slot) {
  return slot < TMV_Q_VARIANTS && (slot & (TMV_Q_SEARCH | TMV_Q_COMPANY)) != 0;
}

int tmv_exec(techmv *h, int slot, const char *const *values, PGresult **out) {
  PGconn *conn = h->conn;
  tmv_stmt_cache *c = &h->cache;
  int drop_first = 0;
  *out = NULL;
  if (c->slots[slot] == NULL) {
    int nparams = 0;
    char *sql = tmv_slot_sql(&h->names, slot, &nparams);
    if (tmv_stmt_define(c, slot, sql, nparams, 0) != 0)
      return tmv_fail(h, TECHMV_ENOMEM, "out of memory building the query");
  }
  tmv_stmt *s = c->slots[slot];

  int pid = PQbackendPID(conn);
  if (pid != c->pid) {
    /* A new backend (the caller reset the connection): nothing of ours is
     * prepared there. */
    forget_prepared(c);
    c->pid = pid;
  }

  if (planned_per_call(slot))
    return exec_unnamed(h, s, values, out);
  for (int attempt = 0;; attempt++) {
    if (h->unnamed)
      return exec_unnamed(h, s, values, out);
    if (!s->prepared) {
      int exists;
      int rc = prepare_and_exec(h, s, values, drop_first, out, &exists);
      if (!exists)
        return rc;
      if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        return tmv_fail(h, TECHMV_ESTALE,
                        "another handle prepared %s on this connection and "
                        "the failed attempt aborted the transaction; roll "
                        "back and call again",
                        s->name);
    }
    PGresult *res =
        PQexecPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0);
    if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
      *out = res;
      return TECHMV_OK;
    }
    int lost = has_state(res, SQLSTATE_NO_PSTMT);
    int changed = plan_changed(res);
    if ((!lost && !changed) || attempt >= 2) {
      *out = res;
      return tmv_fail_result(h, res, "executing the statement");
    }
    if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
      /* The error has aborted the caller's transaction: a retry could
       * only fail, and a silent one would hide that. */
      tmv_fail_result(h, res, "executing the statement");
      *out = res;
      return TECHMV_ESTALE;
    }
    PQclear(res);
    if (lost) {
      /* Gone: DISCARD ALL or DEALLOCATE by the caller once is recovery
       * enough; twice on one connection is a pooler moving us between
       * server connections, where only unnamed statements hold. */
      forget_prepared(c);
      if (h->mode == TECHMV_STATEMENTS_AUTO && ++h->losses >= 2)
        h->unnamed = 1;
    } else {
      s->prepared = 0;
      drop_first = 1;
    }
  }
}
