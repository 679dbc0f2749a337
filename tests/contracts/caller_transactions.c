/* Inside the caller's transaction block the library never aborts that
 * transaction for reasons of its own: not for a statement another handle
 * prepared, nor one DISCARD ALL removed, nor behind a transaction pooler.
 * And it leaves the connection's modes as it found them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

static long long companies(PGconn *conn) {
  return pgt_scalar_ll(conn, "SELECT count(*) FROM companies");
}

START_TEST(second_handle_inside_caller_transaction) {
  /* Handle A prepares its statements idle, and is closed: they stay. */
  techmv *ha;
  ck_assert_int_eq(techmv_open(db.conn, NULL, &ha), TECHMV_OK);
  techmv_page_free(pgt_list_ok(ha, NULL));
  techmv_close(ha);
  long long before = companies(db.conn);

  pgt_exec(db.conn, "BEGIN");
  /* Technologies the view has already, so that it and the table agree. */
  pgt_exec(db.conn, "INSERT INTO companies SELECT max(id) + 1, 'mine', "
                    "(SELECT technologies FROM companies LIMIT 1) FROM "
                    "companies");
  techmv *hb;
  ck_assert_int_eq(techmv_open(db.conn, NULL, &hb), TECHMV_OK);
  for (int order = 0; order <= 1; order++) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.order = order;
    assert_walk_is_truth(hb, db.conn, p);
    assert_transaction_alive(db.conn);
  }
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(hb, &st), TECHMV_OK);
  assert_transaction_alive(db.conn);
  pgt_exec(db.conn, "COMMIT");
  ck_assert_int_eq(companies(db.conn), before + 1); /* the INSERT is kept */
  techmv_close(hb);
}
END_TEST

START_TEST(lost_statements_inside_caller_transaction) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 10;
  techmv_page_free(pgt_list_ok(h, &p)); /* prepared, idle */
  pgt_exec(db.conn, "DISCARD ALL");
  pgt_exec(db.conn, "BEGIN");
  for (int round = 0; round < 3; round++) {
    assert_walk_is_truth(h, db.conn, p);
    assert_transaction_alive(db.conn);
  }
  pgt_exec(db.conn, "SAVEPOINT s");
  pgt_exec(db.conn, "DEALLOCATE ALL");
  assert_walk_is_truth(h, db.conn, p);
  pgt_exec(db.conn, "ROLLBACK TO SAVEPOINT s");
  assert_walk_is_truth(h, db.conn, p);
  assert_transaction_alive(db.conn);
  pgt_exec(db.conn, "COMMIT");
  /* Idle again, named statements come back. */
  assert_walk_is_truth(h, db.conn, p);
  ck_assert_int_gt(pgt_scalar_ll(db.conn, "SELECT count(*) FROM "
                                          "pg_prepared_statements WHERE name "
                                          "LIKE 'techmv\\_%'"),
                   0);
}
END_TEST

/* A client of the transaction pooler whose every call runs inside its own
 * transaction, on whichever server connection it is given. */
START_TEST(pooled_calls_inside_transactions) {
  enum { CLIENTS = 3, ROUNDS = 40 };
  PGconn *c[CLIENTS];
  techmv *hc[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    c[i] = pgt_connect_port(db.name, "TECHMV_TEST_POOLER_TX_PORT");
    ck_assert_int_eq(techmv_open(c[i], NULL, &hc[i]), TECHMV_OK);
  }
  char **want;
  size_t nw = truth(db.conn, NULL, 0, &want);
  for (int round = 0; round < ROUNDS; round++) {
    for (int i = 0; i < CLIENTS; i++) {
      /* Interleaved, so that each transaction may meet a server connection
       * the client's previous one did not use. */
      pgt_exec(c[i], "BEGIN");
      techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
      p.offset = (round * 7 + i) % 50;
      p.limit = 5 + round % 3;
      techmv_page *page = pgt_list_ok(hc[i], &p);
      assert_transaction_alive(c[i]);
      for (size_t k = 0; k < techmv_page_count(page); k++)
        ck_assert_str_eq(techmv_page_value(page, k), want[p.offset + k]);
      techmv_page_free(page);
      pgt_exec(c[i], round % 2 ? "COMMIT" : "ROLLBACK");
    }
    if (round % 10 == 0) /* and idle calls in between */
      for (int i = 0; i < CLIENTS; i++)
        techmv_page_free(pgt_list_ok(hc[i], NULL));
  }
  truth_free(want, nw);
  for (int i = 0; i < CLIENTS; i++) {
    techmv_close(hc[i]);
    PQfinish(c[i]);
  }
}
END_TEST

START_TEST(application_pool_discarding_keeps_named_statements) {
  /* A pool that runs DISCARD ALL at every check-in: statements lost now and
   * then, with successful named calls in between, are no pooler. */
  for (int checkout = 0; checkout < 5; checkout++) {
    for (int call = 0; call < 3; call++)
      techmv_page_free(pgt_list_ok(h, NULL));
    pgt_exec(db.conn, "DISCARD ALL");
  }
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  ck_assert_int_eq(techmv_status(h, &st), TECHMV_OK);
  ck_assert_int_eq(st.named_statements, 1);
}
END_TEST

START_TEST(connection_left_out_of_pipeline_when_lost) {
  /* The first call pipelines prepare and execute; the backend dies under
   * it. */
  char sql[64];
  snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)",
           PQbackendPID(db.conn));
  PGconn *killer = pgt_connect(db.name);
  pgt_exec(killer, sql);
  snprintf(sql, sizeof sql,
           "SELECT count(*) FROM pg_stat_activity WHERE pid = %d",
           PQbackendPID(db.conn));
  long gone = 0;
  for (long i = 0; i < 1000000 && !gone; i++)
    gone = pgt_scalar_ll(killer, sql) == 0;
  ck_assert(gone);
  PQfinish(killer);
  techmv_page *page;
  ck_assert_int_eq(techmv_list(h, NULL, &page), TECHMV_ECONN);
  ck_assert_int_eq(PQpipelineStatus(db.conn), PQ_PIPELINE_OFF);
  /* The caller's own next command fails for the lost connection, not for
   * a mode the library left behind. */
  PGresult *r = PQexec(db.conn, "SELECT 1");
  ck_assert_ptr_null(strstr(PQerrorMessage(db.conn), "pipeline"));
  PQclear(r);
  PQreset(db.conn);
  assert_walk_is_truth(h, db.conn, (techmv_list_params)TECHMV_LIST_PARAMS_INIT);
}
END_TEST

void add_caller_transaction_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "caller transactions", 180);
  tcase_add_test(t, second_handle_inside_caller_transaction);
  tcase_add_test(t, lost_statements_inside_caller_transaction);
  tcase_add_test(t, pooled_calls_inside_transactions);
  tcase_add_test(t, application_pool_discarding_keeps_named_statements);
  tcase_add_test(t, connection_left_out_of_pipeline_when_lost);
}
