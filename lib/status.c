/* techmv_status: what an operator needs, in at most two round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int64_t int_at(const PGresult *res, int col) {
  return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

static int bool_at(const PGresult *res, int col) {
  return strcmp(PQgetvalue(res, 0, col), "t") == 0;
}

int techmv_status(techmv *h, techmv_status_info *info) {
  if (h == NULL || h->conn == NULL)
    return TECHMV_EINVAL; /* a failed open keeps its message */
  tmv_clear_error(h);
  if (info == NULL)
    return tmv_fail(h, TECHMV_EINVAL, "info is NULL");
  if (tmv_sized_check(info, TMV_STATUS_INFO_MIN_SIZE, "info", h->errmsg,
                      sizeof h->errmsg) != 0)
    return TECHMV_EINVAL;
  int rc = tmv_conn_ready(h);
  if (rc != TECHMV_OK)
    return rc;

  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  PGresult *res = NULL;
  rc = tmv_exec(h, TMV_STMT_STATUS_CATALOG, NULL, &res);
  if (rc != TECHMV_OK) {
    PQclear(res);
    return rc;
  }
  st.installed = bool_at(res, 0);
  st.populated = bool_at(res, 1);
  st.total_bytes = int_at(res, 2);
  st.table_bytes = int_at(res, 3);
  st.index_bytes = int_at(res, 4);
  st.refresh_running_pid = (int)int_at(res, 5);
  st.refresh_running = st.refresh_running_pid != 0;
  int has_log = bool_at(res, 6);
  st.is_standby = bool_at(res, 7);
  st.replay_lag_s = strtod(PQgetvalue(res, 0, 8), NULL);
  st.replay_lag_bytes = int_at(res, 9);
  st.schema_installed = (int)int_at(res, 10);
  int live = bool_at(res, 11);
  st.mode = live ? TECHMV_MODE_LIVE : TECHMV_MODE_VIEW;
  st.named_statements = !h->unnamed;
  PQclear(res);

  unsigned kind = (st.installed && st.populated ? TMV_DETAIL_POPULATED : 0) |
                  (has_log ? TMV_DETAIL_LOG : 0) |
                  (st.schema_installed >= 3 ? TMV_DETAIL_V3 : 0) |
                  (live ? TMV_DETAIL_LIVE : 0);
  if (kind & (TMV_DETAIL_POPULATED | TMV_DETAIL_LOG)) {
    rc = tmv_exec(h, TMV_STMT_STATUS_DETAIL + (int)kind, NULL, &res);
    if (rc != TECHMV_OK) {
      PQclear(res);
      return rc;
    }
    st.rows = int_at(res, 0);
    if (!PQgetisnull(res, 0, 1)) {
      st.has_last_refresh = 1;
      st.last_refresh_at = strtod(PQgetvalue(res, 0, 1), NULL);
      st.last_refresh_duration_ms = strtod(PQgetvalue(res, 0, 2), NULL);
      st.last_refresh_age_s = strtod(PQgetvalue(res, 0, 3), NULL);
      st.last_refresh_concurrently = bool_at(res, 4);
    }
    if (!PQgetisnull(res, 0, 5))
      st.long_values = int_at(res, 5);
    if (!PQgetisnull(res, 0, 6)) {
      char *msg = strdup(PQgetvalue(res, 0, 9));
      if (msg == NULL) {
        PQclear(res);
        return tmv_fail(h, TECHMV_ENOMEM, "out of memory");
      }
      free(h->failure_message);
      h->failure_message = msg;
      st.has_last_failure = 1;
      st.last_failure_at = strtod(PQgetvalue(res, 0, 6), NULL);
      st.last_failure_age_s = strtod(PQgetvalue(res, 0, 7), NULL);
      snprintf(st.last_failure_sqlstate, sizeof st.last_failure_sqlstate, "%s",
               PQgetvalue(res, 0, 8));
      st.last_failure_message = h->failure_message;
    }
    st.failures_since_last_refresh = int_at(res, 10);
    if (live) {
      st.pending_changes = int_at(res, 11);
      st.oldest_pending_age_s =
          PQgetisnull(res, 0, 12) ? 0 : strtod(PQgetvalue(res, 0, 12), NULL);
      st.needs_rebuild = bool_at(res, 13);
    }
    PQclear(res);
  }
  tmv_sized_fill(info, &st, sizeof st);
  return TECHMV_OK;
}
