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
  const char *names[2] = {h->names.view, h->names.log};
  PGresult *res = NULL;
  rc = tmv_exec(h, TMV_STMT_STATUS_CATALOG, names, &res);
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
  st.named_statements = !h->unnamed;
  PQclear(res);

  int populated = st.installed && st.populated;
  if (populated || has_log) {
    int slot = TMV_STATUS_DETAIL_SLOT(populated, has_log);
    rc = tmv_exec(h, slot, NULL, &res);
    if (rc != TECHMV_OK) {
      PQclear(res);
      return rc;
    }
    st.rows = int_at(res, 0);
    if (has_log && !PQgetisnull(res, 0, 1)) {
      st.has_last_refresh = 1;
      st.last_refresh_at = strtod(PQgetvalue(res, 0, 1), NULL);
      st.last_refresh_duration_ms = strtod(PQgetvalue(res, 0, 2), NULL);
      st.last_refresh_age_s = strtod(PQgetvalue(res, 0, 3), NULL);
      st.last_refresh_concurrently = bool_at(res, 4);
    }
    PQclear(res);
  }
  tmv_sized_fill(info, &st, sizeof st);
  return TECHMV_OK;
}
