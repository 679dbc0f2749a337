/* Live mode, read side: how soon a committed brand-new value appears in
 * techmv_list on another connection while the documented drainer (the
 * `techmv refresh --every` service) runs, and the fast path on the live
 * set against the same on the materialized view. The write side (pgbench
 * workloads, backlog against refresh) is bench/live/workloads.sh, whose
 * figures run.sh hands over in a file and which land in the same JSON. */
#include "scenarios.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The drainer as an operator runs it (README, man page): its own process
 * and connection, every DRAIN_EVERY_MS, never waiting on a lock. */
#define DRAIN_EVERY_MS "500"

static pid_t start_drainer(const char *cli, const char *conninfo) {
  char *const argv[] = {(char *)cli,      "refresh",  "--every",
                        DRAIN_EVERY_MS,   "--nowait", "-d",
                        (char *)conninfo, NULL};
  pid_t pid;
  int rc = posix_spawn(&pid, cli, NULL, NULL, argv, environ);
  if (rc != 0)
    die("cannot start %s: %s", cli, strerror(rc));
  return pid;
}

static void stop_drainer(pid_t pid) {
  kill(pid, SIGTERM);
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    die("the drainer ended badly (status %d)", st);
}

/* Commit a company holding a value nobody has, then list on another
 * connection until the value shows: the time from the commit's return to
 * the first page that holds it. Writes arrive at a random moment of the
 * drainer's cycle, as an application's do: right after a sighting, they
 * would always wait for a whole cycle. */
static void visibility(bench *b, const char *conninfo, const char *cli) {
  PGconn *writer = connect_or_die(conninfo);
  PGconn *reader = connect_or_die(conninfo);
  techmv *h = open_or_die(reader);
  exec_command(writer, "DELETE FROM companies WHERE id < -1000000000",
               "clean up");
  pid_t drainer = start_drainer(cli, conninfo);
  int n = b->pl.quick ? 5 : 100;
  samples lat = {0};
  srand((unsigned)getpid());
  for (int i = 0; i < n; i++) {
    sleep_ms(rand() % atoi(DRAIN_EVERY_MS));
    char value[64], id[32];
    snprintf(value, sizeof value, "visible-%ld-%d", (long)getpid(), i);
    snprintf(id, sizeof id, "%d", -1000000001 - i);
    const char *params[2] = {id, value};
    PGresult *res = PQexecParams(
        writer,
        "INSERT INTO companies (id, name, technologies) VALUES ($1, "
        "'visibility', ARRAY[$2])",
        2, NULL, params, NULL, NULL, 0);
    double committed = now_ms();
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
      die("insert: %s", PQerrorMessage(writer));
    PQclear(res);
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.search = value;
    p.limit = 1;
    for (;;) {
      techmv_page *pg;
      int rc = techmv_list(h, &p, &pg);
      if (rc != TECHMV_OK)
        die("techmv_list: %s: %s", techmv_rc_string(rc), techmv_errmsg(h));
      size_t count = techmv_page_count(pg);
      int same = count == 1 && strcmp(techmv_page_value(pg, 0), value) == 0;
      techmv_page_free(pg);
      if (same)
        break;
      if (now_ms() - committed > 30000)
        die("%s did not appear within 30 s", value);
    }
    samples_add(&lat, now_ms() - committed);
  }
  stop_drainer(drainer);
  exec_command(writer, "DELETE FROM companies WHERE id < -1000000000",
               "clean up");
  b->r.live_visibility_p99_ms = quantile(&lat, 0.99);
  report("live: commit to first sight in techmv_list", &lat,
         "p99 %.0f ms; drainer every " DRAIN_EVERY_MS " ms",
         b->r.live_visibility_p99_ms);
  samples_free(&lat);
  techmv_close(h);
  PQfinish(reader);
  PQfinish(writer);
}

/* The same fast-path page on the live set and on a materialized view of
 * the same source in the same database (BESIDE_VIEW, which run.sh installs
 * after the write workloads), one call each in turn on one connection, so
 * that the two differ in nothing but the relation read; both freshly
 * vacuumed (the live set is written by every drain; its pages are
 * compared as a vacuumed view's). */
#define BESIDE_VIEW "mv_distinct_technologies_beside"

static void list_vs_view(bench *b, const char *conninfo) {
  PGconn *c = connect_or_die(conninfo);
  exec_command(c, "VACUUM ANALYZE mv_distinct_technologies", "vacuum");
  exec_command(c, "VACUUM ANALYZE " BESIDE_VIEW, "vacuum");
  techmv *h = open_or_die(c);
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.view = BESIDE_VIEW;
  techmv *hv;
  int rc = techmv_open(c, &cfg, &hv);
  if (rc != TECHMV_OK)
    die("techmv_open: %s: %s", techmv_rc_string(rc), techmv_errmsg(hv));
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, 0);
  samples live = {0}, mv = {0};
  int calls = b->pl.quick ? 40 : 4000;
  for (int i = 0; i < calls; i++) {
    techmv_page *pg = list_timed(h, &p, TECHMV_PATH_VIEW, &live, "live");
    techmv_page_free(pg);
    pg = list_timed(hv, &p, TECHMV_PATH_VIEW, &mv, "view");
    techmv_page_free(pg);
  }
  b->r.live_list_vs_view = median(&live) / median(&mv);
  report("live: first page on the live set", &live, "live/view %.3f",
         b->r.live_list_vs_view);
  report("live: first page on a view of the same source", &mv, NULL);
  samples_free(&live);
  samples_free(&mv);
  techmv_close(hv);
  techmv_close(h);
  PQfinish(c);
}

void scenario_live(bench *b, const char *conninfo, const char *cli) {
  table_header("live mode: reads (the live set, and a view beside it)");
  visibility(b, conninfo, cli);
  list_vs_view(b, conninfo);
}
