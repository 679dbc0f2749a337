/* What one fast-path call costs on top of the bare statement it sends, and
 * what the first call on a new connection costs: how many round trips, and
 * how long. */
#define _GNU_SOURCE
#include "scenarios.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char VIEW_PAGE_SQL[] =
    "SELECT v.value FROM \"mv_distinct_technologies\" AS v WHERE true "
    "ORDER BY v.value ASC LIMIT $1 OFFSET $2";

void prepare_raw_statement(scale *s) {
  PGresult *res = PQprepare(s->conn, RAW_STMT, VIEW_PAGE_SQL, 2, NULL);
  if (PQresultStatus(res) != PGRES_COMMAND_OK)
    die("PQprepare: %s", PQresultErrorMessage(res));
  PQclear(res);
}

/* The library, the same statement prepared, the same statement unprepared:
 * one each per round, in rotating order. */
static void overhead(bench *b, scale *s) {
  static const char *const args[2] = {"26", "50"};
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  samples fast = {0}, prep = {0}, unprep = {0};
  /* Past the custom plans the plan cache makes before settling on one. */
  for (int i = 0; i < 10; i++) {
    vals a = list_vals(s->h, &p, TECHMV_PATH_VIEW, NULL, "per call");
    vals c = prepared_vals(s->conn, RAW_STMT, 2, args, PAGE_LIMIT, NULL,
                           "per call: PQexecPrepared");
    vals_free(&a);
    vals_free(&c);
  }
  for (int r = 0; r < b->pl.percall_rounds; r++) {
    for (int k = 0; k < 3; k++) {
      vals got;
      const char *side;
      switch ((r + k) % 3) {
      case 0:
        side = "techmv_list";
        got = list_vals(s->h, &p, TECHMV_PATH_VIEW, &fast, "per call");
        break;
      case 1:
        side = "PQexecPrepared";
        got = prepared_vals(s->conn, RAW_STMT, 2, args, PAGE_LIMIT, &prep,
                            "per call: PQexecPrepared");
        break;
      default:
        side = "PQexecParams";
        got = params_vals(s->conn, VIEW_PAGE_SQL, 2, args, PAGE_LIMIT, &unprep,
                          "per call: PQexecParams");
        break;
      }
      expect_same("per call", "truth", &s->ref_page, side, &got);
      vals_free(&got);
    }
  }
  b->r.overhead_vs_raw_prepared = median(&fast) / median(&prep);
  b->r.vs_unprepared = median(&fast) / median(&unprep);
  report("per call: techmv_list (view page 3)", &fast, NULL);
  report("per call: same SQL, PQexecPrepared", &prep,
         "techmv/raw prepared %.3f", b->r.overhead_vs_raw_prepared);
  report("per call: same SQL, PQexecParams", &unprep, "techmv/unprepared %.3f",
         b->r.vs_unprepared);
  samples_free(&fast);
  samples_free(&prep);
  samples_free(&unprep);
}

/* Frontend Sync messages in PQtrace output: each one is answered by a
 * ReadyForQuery that the client waits for, so they count round trips.
 * Lines look like "F\t4\tSync", after a timestamp unless those are
 * suppressed. */
static int count_syncs(const char *text) {
  int n = 0;
  for (const char *line = text; *line;) {
    const char *eol = strchr(line, '\n');
    size_t len = eol ? (size_t)(eol - line) : strlen(line);
    for (size_t i = 0; i + 1 < len; i++) {
      if ((i == 0 || line[i - 1] == '\t') && line[i] == 'F' &&
          line[i + 1] == '\t') {
        size_t j = i + 2;
        while (j < len && line[j] >= '0' && line[j] <= '9')
          j++;
        if (j + 5 == len && strncmp(line + j, "\tSync", 5) == 0)
          n++;
        break;
      }
    }
    line += len + (eol != NULL);
  }
  return n;
}

static int traced_round_trips(PGconn *c, techmv *h, const techmv_list_params *p,
                              const char *what) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL)
    die("open_memstream: %s", strerror(errno));
  PQtrace(c, f);
  PQsetTraceFlags(c, PQTRACE_SUPPRESS_TIMESTAMPS);
  techmv_page *pg = list_timed(h, p, TECHMV_PATH_VIEW, NULL, what);
  PQuntrace(c);
  fclose(f);
  techmv_page_free(pg);
  int n = count_syncs(buf);
  free(buf);
  return n;
}

void scenario_per_call(bench *b, scale *s) {
  prepare_raw_statement(s);
  overhead(b, s);
}

/* The first call on a new connection prepares and executes in one pipeline:
 * one round trip, like a warm call. */
void scenario_first_call(bench *b, scale *s) {
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  samples first = {0}, warm = {0};
  for (int i = 0; i < b->pl.fresh_conns; i++) {
    PGconn *c = connect_or_die(s->conninfo);
    techmv *h = open_or_die(c);
    vals a = list_vals(h, &p, TECHMV_PATH_VIEW, &first, "first call");
    vals w = list_vals(h, &p, TECHMV_PATH_VIEW, &warm, "warm call");
    expect_same("first call", "truth", &s->ref_page, "techmv_list", &a);
    expect_same("warm call", "truth", &s->ref_page, "techmv_list", &w);
    vals_free(&a);
    vals_free(&w);
    techmv_close(h);
    PQfinish(c);
  }
  PGconn *c = connect_or_die(s->conninfo);
  techmv *h = open_or_die(c);
  b->r.first_call_round_trips = traced_round_trips(c, h, &p, "first call");
  b->r.warm_call_round_trips = traced_round_trips(c, h, &p, "warm call");
  techmv_close(h);
  PQfinish(c);
  b->r.first_call_ms = median(&first);
  b->r.warm_call_ms = median(&warm);
  report("first call on a new connection", &first, "%.2fx a warm call",
         b->r.first_call_ms / b->r.warm_call_ms);
  report("second call on that connection", &warm, NULL);
  report_value("round trips: first call, warm call", "%d, %d",
               b->r.first_call_round_trips, b->r.warm_call_round_trips);
  samples_free(&first);
  samples_free(&warm);
}
