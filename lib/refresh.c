/* techmv_refresh: the work is done by the view's refresh function, so that a
 * role that does not own the view can be allowed to refresh it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int has_state_in(const PGresult *res, const char *const *states) {
  const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  for (; s != NULL && *states != NULL; states++)
    if (strcmp(s, *states) == 0)
      return 1;
  return 0;
}

static int not_installed(const PGresult *res) {
  /* undefined_function, undefined_table, invalid_schema_name */
  static const char *const states[] = {"42883", "42P01", "3F000", NULL};
  return has_state_in(res, states);
}

/* A refresh function of an older schema: it lacks the columns read here. */
static int outdated(const PGresult *res) {
  static const char *const states[] = {"42703", NULL};
  return has_state_in(res, states);
}

int techmv_refresh(techmv *h, const techmv_refresh_options *options,
                   techmv_refresh_info *info) {
  static const techmv_refresh_options defaults = TECHMV_REFRESH_OPTIONS_INIT;
  if (h == NULL || h->conn == NULL)
    return TECHMV_EINVAL; /* a failed open keeps its message */
  tmv_clear_error(h);

  techmv_refresh_options o = defaults;
  if (options != NULL &&
      tmv_sized_copy(&o, sizeof o, options, TMV_REFRESH_OPTIONS_MIN_SIZE,
                     "options", h->errmsg, sizeof h->errmsg) != 0)
    return TECHMV_EINVAL;
  if (o.lock_timeout_ms < 0)
    return tmv_fail(h, TECHMV_EINVAL, "lock_timeout_ms %d is negative",
                    o.lock_timeout_ms);
  if (info != NULL && tmv_sized_check(info, TMV_REFRESH_INFO_MIN_SIZE, "info",
                                      h->errmsg, sizeof h->errmsg) != 0)
    return TECHMV_EINVAL;
  int rc = tmv_conn_ready(h);
  if (rc != TECHMV_OK)
    return rc;
  if (PQtransactionStatus(h->conn) != PQTRANS_IDLE)
    return tmv_fail(h, TECHMV_ESTATE,
                    "refresh inside a transaction block would hold the "
                    "view's lock until that transaction ends; call it "
                    "outside one");

  char timeout[16];
  snprintf(timeout, sizeof timeout, "%d", o.lock_timeout_ms);
  const char *values[2] = {o.wait ? "true" : "false", timeout};
  PGresult *res = NULL;
  rc = tmv_exec(h, TMV_STMT_REFRESH, values, &res);
  if (rc == TECHMV_ESERVER && not_installed(res)) {
    PQclear(res);
    return tmv_fail(h, TECHMV_ENOTINSTALLED,
                    "%s or its refresh function %s does not exist; run "
                    "sql/install.sql",
                    h->names.view, h->names.function);
  }
  if (rc == TECHMV_ESERVER && outdated(res)) {
    PQclear(res);
    return tmv_fail(h, TECHMV_ESCHEMA,
                    "%s is of an older schema than this library needs "
                    "(version %d): run sql/install.sql to upgrade it in place",
                    h->names.function, TECHMV_SCHEMA_VERSION);
  }
  if (rc == TECHMV_ESERVER && strcmp(techmv_sqlstate(h), "25006") ==
                                  0) { /* read_only_sql_transaction */
    PQclear(res);
    tmv_fail(h, TECHMV_EREADONLY,
             "the server is read-only (a hot standby?): refresh %s on the "
             "primary; standbys get it by replication",
             h->names.view);
    memcpy(h->sqlstate, "25006", sizeof h->sqlstate);
    return TECHMV_EREADONLY;
  }
  if (rc != TECHMV_OK) {
    PQclear(res);
    return rc;
  }
  if (PQntuples(res) != 1 || PQnfields(res) != 8) {
    PQclear(res);
    return tmv_fail(h, TECHMV_ESERVER,
                    "the refresh function returned an unexpected shape");
  }
  const char *status = PQgetvalue(res, 0, 0);
  if (strcmp(status, "busy") == 0) {
    PQclear(res);
    return tmv_fail(h, TECHMV_EBUSY, "another refresh of %s is running",
                    h->names.view);
  }
  if (strcmp(status, "timeout") == 0) {
    PQclear(res);
    return tmv_fail(h, TECHMV_ETIMEOUT,
                    "gave up waiting for the lock on %s after %d ms",
                    h->names.view, o.lock_timeout_ms);
  }
  if (strcmp(status, "failed") == 0) {
    /* Rolled back and recorded by the function, which returned normally
     * so that its log row commits: the error is the server's all the
     * same. */
    tmv_fail(h, TECHMV_ESERVER, "refreshing %s failed: %s", h->names.view,
             PQgetvalue(res, 0, 6));
    snprintf(h->sqlstate, sizeof h->sqlstate, "%s", PQgetvalue(res, 0, 5));
    PQclear(res);
    return TECHMV_ESERVER;
  }
  if (strcmp(status, "refreshed") != 0) {
    PQclear(res);
    return tmv_fail(h, TECHMV_ESERVER,
                    "the refresh function returned status '%s'", status);
  }
  if (info != NULL) {
    techmv_refresh_info full = TECHMV_REFRESH_INFO_INIT;
    full.concurrently = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    full.started_at = strtod(PQgetvalue(res, 0, 2), NULL);
    full.duration_ms = strtod(PQgetvalue(res, 0, 3), NULL);
    full.rows = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
    full.long_values = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
    tmv_sized_fill(info, &full, sizeof full);
  }
  PQclear(res);
  return TECHMV_OK;
}
