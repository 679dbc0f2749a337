/* Every refresh attempt that fails is recorded, with its SQLSTATE and
 * message, and status reports the last one next to the last success; an
 * outside REFRESH is seen, and "nowait" never waits behind it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

/* The newest log row, as plain SQL reads it. */
static char *last_logged(const char *column) {
  char sql[160];
  snprintf(sql, sizeof sql,
           "SELECT %s FROM mv_distinct_technologies_refresh_log ORDER BY id "
           "DESC LIMIT 1",
           column);
  return pgt_scalar(db.conn, sql);
}

/* Another session in the way of a refresh: its own REFRESH, run outside
 * the library, holds the view's lock until it ends. */
static PGconn *lock_view(void) {
  PGconn *locker = pgt_connect(db.name);
  pgt_exec(locker, "BEGIN");
  pgt_exec(locker, "REFRESH MATERIALIZED VIEW CONCURRENTLY "
                   "mv_distinct_technologies");
  return locker;
}

START_TEST(lock_timeout_is_recorded) {
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  PGconn *locker = lock_view();
  techmv_refresh_options o = TECHMV_REFRESH_OPTIONS_INIT;
  o.lock_timeout_ms = 20;
  ck_assert_int_eq(techmv_refresh(h, &o, NULL), TECHMV_ETIMEOUT);
  pgt_exec(locker, "ROLLBACK");
  PQfinish(locker);

  char *status = last_logged("status");
  ck_assert_str_eq(status, "timeout");
  free(status);
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.has_last_refresh, 1);
  ck_assert_int_eq(st.has_last_failure, 1);
  char *sqlstate = last_logged("sqlstate");
  ck_assert_str_eq(st.last_failure_sqlstate, sqlstate ? sqlstate : "");
  free(sqlstate);
  ck_assert_int_eq(st.failures_since_last_refresh, 1);
  ck_assert(st.last_failure_at >= st.last_refresh_at);

  /* A success afterwards: the failure stays reported, no longer counted. */
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.has_last_failure, 1);
  ck_assert_int_eq(st.failures_since_last_refresh, 0);
}
END_TEST

typedef struct refresher {
  PGconn *conn;
  atomic_int rc;
  char sqlstate[8];
} refresher;

static void *refresh_thread(void *arg) {
  refresher *r = arg;
  techmv *hr;
  ck_assert_int_eq(techmv_open(r->conn, NULL, &hr), TECHMV_OK);
  int rc = techmv_refresh(hr, NULL, NULL);
  snprintf(r->sqlstate, sizeof r->sqlstate, "%s", techmv_sqlstate(hr));
  techmv_close(hr);
  atomic_store(&r->rc, rc);
  return NULL;
}

START_TEST(cancelled_refresh_is_recorded) {
  PGconn *locker = lock_view();
  refresher r = {pgt_connect(db.name), -1, ""};
  int pid = PQbackendPID(r.conn);
  pthread_t t;
  ck_assert_int_eq(pthread_create(&t, NULL, refresh_thread, &r), 0);
  pgt_await_lock_wait(locker, pid, &r.rc);
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT pg_cancel_backend(%d)", pid);
  pgt_exec(locker, sql);
  pthread_join(t, NULL);
  pgt_exec(locker, "ROLLBACK");
  PQfinish(locker);
  PQfinish(r.conn);

  ck_assert_int_eq(atomic_load(&r.rc), TECHMV_ESERVER);
  ck_assert_str_eq(r.sqlstate, "57014"); /* query_canceled */
  char *logged = last_logged("sqlstate");
  ck_assert_str_eq(logged, "57014");
  free(logged);
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.has_last_failure, 1);
  ck_assert_str_eq(st.last_failure_sqlstate, "57014");
  char *message = last_logged("message");
  ck_assert_str_eq(st.last_failure_message, message);
  ck_assert_uint_gt(strlen(message), 0);
  free(message);
}
END_TEST

START_TEST(outside_refresh_seen_and_nowait_busy) {
  PGconn *other = pgt_connect(db.name);
  pgt_exec(other, "BEGIN");
  pgt_exec(other, "REFRESH MATERIALIZED VIEW CONCURRENTLY "
                  "mv_distinct_technologies");
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.refresh_running, 1);
  ck_assert_int_eq(st.refresh_running_pid, pgt_backend_pid(other));
  techmv_refresh_options o = TECHMV_REFRESH_OPTIONS_INIT;
  o.wait = 0;
  ck_assert_int_eq(techmv_refresh(h, &o, NULL), TECHMV_EBUSY);
  /* Busy is no failure. */
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.has_last_failure, 0);
  pgt_exec(other, "COMMIT");
  PQfinish(other);
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.refresh_running, 0);
}
END_TEST

void add_refresh_failure_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "refresh failures", 120);
  tcase_add_test(t, lock_timeout_is_recorded);
  tcase_add_test(t, cancelled_refresh_is_recorded);
  tcase_add_test(t, outside_refresh_seen_and_nowait_busy);
}
