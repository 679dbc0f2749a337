/* Prepared statements on the caller's connection, one per SQL text, named
 * "techmv_" + hash of the text so they never collide with the caller's own
 * and any handle with the same names reuses them. The cache remembers the
 * backend it prepared on and starts over when the connection was reset.
 *
 * Nothing here may abort the caller's transaction: inside a transaction
 * block every statement runs unnamed, since a named one found lost,
 * duplicated or reshaped would have failed there with no way back. Outside
 * one, a failed attempt costs nothing but a retry. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* duplicate_prepared_statement: another handle prepared the same name. */
#define SQLSTATE_DUPLICATE_PSTMT "42P05"
/* invalid_sql_statement_name: the statement is gone (DEALLOCATE/DISCARD). */
#define SQLSTATE_NO_PSTMT "26000"

static const int64_t rungs[TMV_RUNGS] = {
    2, 6, 11, 16, 21, 26, 31, 41, 51, 101, 201, 301, 501, TMV_RUNG_MAX};

int tmv_rung(int64_t fetch) {
  for (int i = 0; i < TMV_RUNGS; i++)
    if (fetch <= rungs[i])
      return i;
  return -1;
}

int64_t tmv_rung_rows(int rung) {
  return rungs[rung];
}

void tmv_stmt_cache_free(tmv_stmt_cache *c) {
  for (int i = 0; i < TMV_STMT_SLOTS; i++) {
    if (c->slots[i] != NULL)
      free(c->slots[i]->sql);
    free(c->slots[i]);
    c->slots[i] = NULL;
  }
}

static void name_statement(tmv_stmt *s) {
  int n = snprintf(s->name, sizeof s->name, "techmv_%016" PRIx64,
                   tmv_hash64(s->sql));
  if (s->generation > 0)
    snprintf(s->name + n, sizeof s->name - (size_t)n, "_%d", s->generation);
}

int tmv_stmt_define(tmv_stmt_cache *c, int slot, char *sql, int nparams) {
  if (c->slots[slot] != NULL) {
    free(sql);
    return 0;
  }
  tmv_stmt *s = sql ? calloc(1, sizeof *s) : NULL;
  if (s == NULL) {
    free(sql);
    return -1;
  }
  s->sql = sql;
  s->nparams = nparams;
  name_statement(s);
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

/* Leave pipeline mode whatever happened: collect what is left (on a broken
 * connection libpq hands out an error, then NULLs) and exit, so that the
 * caller's next command does not fail for being "in pipeline mode". */
static void pipeline_leave(PGconn *conn) {
  for (int i = 0; i < 64 && PQpipelineStatus(conn) != PQ_PIPELINE_OFF; i++) {
    if (PQexitPipelineMode(conn))
      return;
    PQclear(PQgetResult(conn));
  }
}

static void forget_prepared(tmv_stmt_cache *c) {
  for (int i = 0; i < TMV_STMT_SLOTS; i++)
    if (c->slots[i] != NULL)
      c->slots[i]->prepared = 0;
}

/* Prepare and execute in one pipeline: one round trip instead of two.
 * Sets *exists when the name was already prepared on the server (then *out
 * is NULL and nothing ran). */
static int prepare_and_exec(techmv *h, tmv_stmt *s, const char *const *values,
                            PGresult **out, int *exists) {
  PGconn *conn = h->conn;
  *out = NULL;
  *exists = 0;
  if (!PQenterPipelineMode(conn))
    return tmv_fail_result(h, NULL, "entering pipeline mode");
  if (!PQsendPrepare(conn, s->name, s->sql, s->nparams, NULL) ||
      !PQsendQueryPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0) ||
      !PQpipelineSync(conn)) {
    int rc = tmv_fail_result(h, NULL, "sending the statement");
    pipeline_leave(conn);
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
    int rc = tmv_fail_result(h, NULL, "reading the results");
    pipeline_leave(conn);
    return rc;
  }

  int rc = TECHMV_OK;
  if (prep == NULL) {
    rc = tmv_fail_result(h, NULL, "preparing the statement");
  } else if (PQresultStatus(prep) == PGRES_COMMAND_OK) {
    s->prepared = 1;
    *out = exec;
    exec = NULL;
    if (PQresultStatus(*out) != PGRES_TUPLES_OK)
      rc = tmv_fail_result(h, *out, "executing the statement");
  } else if (has_state(prep, SQLSTATE_DUPLICATE_PSTMT)) {
    *exists = 1;
  } else {
    rc = tmv_fail_result(h, prep, "preparing the statement");
    *out = prep;
    prep = NULL;
  }
  PQclear(prep);
  PQclear(exec);
  return rc;
}

/* Whether the statement of our name on the server has our text: the name
 * is a hash, and a name can be taken by anyone. Sets *same. */
static int same_text_prepared(techmv *h, const tmv_stmt *s, int *same) {
  const char *values[1] = {s->name};
  PGresult *res = PQexecParams(h->conn,
                               "SELECT p.statement FROM "
                               "pg_catalog.pg_prepared_statements AS p "
                               "WHERE p.name OPERATOR(pg_catalog.=) $1",
                               1, NULL, values, NULL, NULL, 0);
  if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
    int rc = tmv_fail_result(h, res, "looking up a prepared statement");
    PQclear(res);
    return rc;
  }
  /* No row: prepared on another server connection behind a pooler; the
   * next execution tells. */
  *same = PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), s->sql) == 0;
  PQclear(res);
  return TECHMV_OK;
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
  *out = NULL;
  if (c->slots[slot] == NULL) {
    int nparams = 0;
    char *sql = tmv_slot_sql(&h->names, slot, &nparams);
    if (tmv_stmt_define(c, slot, sql, nparams) != 0)
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

  if (planned_per_call(slot) || h->unnamed || s->unnamed ||
      PQtransactionStatus(conn) != PQTRANS_IDLE)
    return exec_unnamed(h, s, values, out);
  for (int attempt = 0;; attempt++) {
    if (!s->prepared) {
      int exists, same = 1;
      int rc = prepare_and_exec(h, s, values, out, &exists);
      if (!exists)
        return rc;
      rc = same_text_prepared(h, s, &same);
      if (rc != TECHMV_OK)
        return rc;
      if (!same) {
        s->unnamed = 1;
        return exec_unnamed(h, s, values, out);
      }
      s->prepared = 1;
    }
    PGresult *res =
        PQexecPrepared(conn, s->name, s->nparams, values, NULL, NULL, 0);
    if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
      /* A statement prepared in an earlier round trip was still there:
       * whatever lost the ones before, it was not a transaction pooler. */
      h->losses = 0;
      *out = res;
      return TECHMV_OK;
    }
    int lost = has_state(res, SQLSTATE_NO_PSTMT);
    int changed = plan_changed(res);
    if ((!lost && !changed) || attempt >= 2) {
      *out = res;
      return tmv_fail_result(h, res, "executing the statement");
    }
    PQclear(res);
    if (lost) {
      /* Gone: DISCARD ALL or DEALLOCATE by the caller is recovered from by
       * preparing again; lost again before any named call succeeded is a
       * pooler moving us between server connections, where only unnamed
       * statements hold. */
      forget_prepared(c);
      if (h->mode == TECHMV_STATEMENTS_AUTO && ++h->losses >= 2) {
        h->unnamed = 1;
        return exec_unnamed(h, s, values, out);
      }
    } else {
      /* The server's plan no longer fits: prepare the text again under a
       * new name rather than DEALLOCATE the old one, which a pooler that
       * maps protocol-level statement names could not follow. */
      s->generation++;
      name_statement(s);
      s->prepared = 0;
    }
  }
}
