/* A call inside the caller's transaction block (BEGIN; techmv_list;
 * COMMIT or ROLLBACK, all by the caller) against the same call on an idle
 * connection, alternating on one connection. Only the techmv_list call is
 * timed: BEGIN and COMMIT are the caller's own round trips, paid with or
 * without the library. The call must leave the transaction usable: an
 * aborted block would cost the caller its work. */
#include "scenarios.h"

#include <stdio.h>

static void in_transaction(scale *s, const techmv_list_params *p, samples *lat,
                           int commit) {
  exec_command(s->conn, "BEGIN", "BEGIN");
  vals got = list_vals(s->h, p, TECHMV_PATH_VIEW, lat, "in a transaction");
  PGTransactionStatusType ts = PQtransactionStatus(s->conn);
  if (ts != PQTRANS_INTRANS)
    die("techmv_list left the caller's transaction block in state %d, not "
        "open and usable",
        (int)ts);
  exec_command(s->conn, commit ? "COMMIT" : "ROLLBACK",
               commit ? "COMMIT" : "ROLLBACK");
  expect_same("in a transaction", "truth", &s->ref_page, "techmv_list", &got);
  vals_free(&got);
}

void scenario_transaction(bench *b, scale *s) {
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  samples intx = {0}, idle = {0};
  for (int i = 0; i < 10; i++) { /* both ways prepared and warm */
    in_transaction(s, &p, NULL, i % 2);
    vals a = list_vals(s->h, &p, TECHMV_PATH_VIEW, NULL, "idle");
    vals_free(&a);
  }
  for (int i = 0; i < b->pl.tx_calls; i++) {
    for (int k = 0; k < 2; k++) {
      if ((i + k) % 2 == 0) {
        in_transaction(s, &p, &intx, (i / 2) % 2);
      } else {
        vals got = list_vals(s->h, &p, TECHMV_PATH_VIEW, &idle, "idle");
        expect_same("idle", "truth", &s->ref_page, "techmv_list", &got);
        vals_free(&got);
      }
    }
  }
  b->r.in_tx_median_ms = median(&intx);
  b->r.in_tx_p95_ms = p95(&intx);
  b->r.idle_median_ms = median(&idle);
  b->r.idle_p95_ms = p95(&idle);
  b->r.in_transaction_vs_idle = median(&intx) / median(&idle);
  report("techmv_list inside BEGIN ... COMMIT/ROLLBACK", &intx,
         "in_transaction_vs_idle %.3f (medians)", b->r.in_transaction_vs_idle);
  report("techmv_list on an idle connection", &idle, NULL);
  samples_free(&intx);
  samples_free(&idle);
}
