/* How many calls a connection sustains, on one connection and on two, set
 * beside pgbench running the same statement: what a lean C client gets. */
#define _GNU_SOURCE
#include "scenarios.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* VIEW_PAGE_SQL for pgbench: with -M prepared, :lim and :off become bound
 * parameters, so the server sees and plans the very statement the library
 * sends, not one with constants in it. */
static const char VIEW_PAGE_PGBENCH[] =
    "\\set lim 26\n"
    "\\set off 50\n"
    "SELECT v.value FROM \"mv_distinct_technologies\" AS v WHERE true "
    "ORDER BY v.value ASC LIMIT :lim OFFSET :off";

/* Calls of techmv_list on one connection until the deadline. */
typedef struct rate_worker {
  const char *conninfo;
  pthread_barrier_t *start;
  double seconds;
  long calls;
  double elapsed_ms;
  char err[512];
} rate_worker;

static void *rate_run(void *arg) {
  rate_worker *w = arg;
  PGconn *c = PQconnectdb(w->conninfo);
  techmv *h = NULL;
  int rc;
  if (PQstatus(c) != CONNECTION_OK)
    snprintf(w->err, sizeof w->err, "cannot connect: %s", PQerrorMessage(c));
  else if ((rc = techmv_open(c, NULL, &h)) != TECHMV_OK)
    snprintf(w->err, sizeof w->err, "techmv_open: %s: %s", techmv_rc_string(rc),
             techmv_errmsg(h));
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  /* Prepared and warm before the clock starts, as in a long-lived pool. */
  for (int i = 0; i < 20 && w->err[0] == '\0'; i++) {
    techmv_page *pg;
    rc = techmv_list(h, &p, &pg);
    if (rc != TECHMV_OK)
      snprintf(w->err, sizeof w->err, "techmv_list: %s: %s",
               techmv_rc_string(rc), techmv_errmsg(h));
    techmv_page_free(pg);
  }
  /* Every worker reaches the barrier, failed or not, so none waits forever. */
  pthread_barrier_wait(w->start);
  double t0 = now_ms(), end = t0 + w->seconds * 1e3, t = t0;
  while (w->err[0] == '\0' && t < end) {
    techmv_page *pg;
    rc = techmv_list(h, &p, &pg);
    if (rc != TECHMV_OK)
      snprintf(w->err, sizeof w->err, "techmv_list: %s: %s",
               techmv_rc_string(rc), techmv_errmsg(h));
    else if (techmv_page_count(pg) != PAGE_LIMIT)
      snprintf(w->err, sizeof w->err, "a page of %zu values instead of %d",
               techmv_page_count(pg), PAGE_LIMIT);
    techmv_page_free(pg);
    w->calls++;
    t = now_ms();
  }
  w->elapsed_ms = t - t0;
  techmv_close(h);
  PQfinish(c);
  return NULL;
}

/* Calls per second of `threads` connections over one slice. */
static double calls_per_second(bench *b, scale *s, int threads) {
  rate_worker w[8];
  pthread_t tid[8];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].conninfo = s->conninfo;
    w[i].start = &start;
    w[i].seconds = b->pl.rate_seconds;
    if (pthread_create(&tid[i], NULL, rate_run, &w[i]) != 0)
      die("cannot start a thread");
  }
  double rate = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(tid[i], NULL);
    if (w[i].err[0] != '\0')
      die("calls/s, connection %d: %s", i + 1, w[i].err);
    rate += (double)w[i].calls / (w[i].elapsed_ms / 1e3);
  }
  pthread_barrier_destroy(&start);
  return rate;
}

/* For a shell command line: 'text' with every ' spelled '\''. */
static void shell_quote(char *out, size_t cap, const char *s) {
  size_t o = 0;
  if (cap < 3)
    die("shell_quote: no room");
  out[o++] = '\'';
  for (; *s; s++) {
    const char *piece = *s == '\'' ? "'\\''" : NULL;
    size_t len = piece ? 4 : 1;
    if (o + len + 2 > cap)
      die("a connection parameter is too long for the pgbench command line");
    if (piece)
      memcpy(out + o, piece, len);
    else
      out[o] = *s;
    o += len;
  }
  out[o++] = '\'';
  out[o] = '\0';
}

/* pgbench on one connection to the same server and database. NAN when
 * pgbench cannot be run. */
static double pgbench_tps(bench *b, scale *s) {
  const char *tmp = getenv("TMPDIR");
  char script[512];
  snprintf(script, sizeof script, "%s/techmv-bench-XXXXXX.sql",
           tmp && *tmp ? tmp : "/tmp");
  int fd = mkstemps(script, 4);
  if (fd < 0)
    die("cannot create a pgbench script in %s: %s", tmp ? tmp : "/tmp",
        strerror(errno));
  FILE *f = fdopen(fd, "w");
  if (f == NULL || fprintf(f, "%s;\n", VIEW_PAGE_PGBENCH) < 0 || fclose(f) != 0)
    die("cannot write %s", script);

  /* The PG* environment reaches pgbench; host, port and user are spelled out
   * in case the connection string named them instead. */
  const char *pass = PQpass(s->conn);
  if (pass != NULL && *pass != '\0')
    setenv("PGPASSWORD", pass, 1);
  char qscript[1100], qhost[1100], qport[64], quser[300], qdb[300];
  shell_quote(qscript, sizeof qscript, script);
  shell_quote(qhost, sizeof qhost, PQhost(s->conn));
  shell_quote(qport, sizeof qport, PQport(s->conn));
  shell_quote(quser, sizeof quser, PQuser(s->conn));
  shell_quote(qdb, sizeof qdb, PQdb(s->conn));
  char cmd[4096];
  snprintf(cmd, sizeof cmd,
           "pgbench -n -M prepared -c 1 -j 1 -T %d -f %s -h %s -p %s -U %s "
           "%s 2>&1",
           (int)b->pl.rate_seconds, qscript, qhost, qport, quser, qdb);
  FILE *p = popen(cmd, "r");
  double tps = NAN;
  char line[1024], last[1024] = "";
  while (p != NULL && fgets(line, sizeof line, p) != NULL) {
    double v;
    if (strstr(line, "(without initial connection time)") != NULL &&
        sscanf(line, "tps = %lf", &v) == 1)
      tps = v;
    snprintf(last, sizeof last, "%s", line);
  }
  int status = p ? pclose(p) : -1;
  unlink(script);
  if (status != 0 || isnan(tps)) {
    fprintf(stderr, "techmv-bench: warning: pgbench did not report tps: %s",
            last[0] ? last : "(no output)\n");
    return NAN;
  }
  return tps;
}

static int cmp_double(const void *a, const void *c) {
  double x = *(const double *)a, y = *(const double *)c;
  return (x > y) - (x < y);
}

static void report_rate(const char *name, const samples *s, const char *unit,
                        double seconds) {
  if (s->n == 0) {
    report_value(name, "not available");
    return;
  }
  samples sorted = {0};
  samples_append(&sorted, s);
  qsort(sorted.v, sorted.n, sizeof *sorted.v, cmp_double);
  report_value(name, "%.0f %s (median of %zu slices of %.0f s; %.0f..%.0f)",
               median(s), unit, s->n, seconds, sorted.v[0],
               sorted.v[sorted.n - 1]);
  samples_free(&sorted);
}

void scenario_concurrency(bench *b, scale *s) {
  /* A single connection's rate depends on where the scheduler puts the
   * client and its backend (the same CPU or two, which then sleep and wake
   * in turn), and that changes from one connection to the next: so short
   * slices, each on new connections, taken in turn, and their medians. */
  samples one = {0}, two = {0}, pgb = {0};
  int pgbench_ok = 1;
  for (int sl = 0; sl < b->pl.rate_slices; sl++) {
    for (int k = 0; k < 3; k++) {
      switch ((sl + k) % 3) {
      case 0:
        samples_add(&one, calls_per_second(b, s, 1));
        break;
      case 1:
        samples_add(&two, calls_per_second(b, s, 2));
        break;
      default:
        if (pgbench_ok) {
          double tps = pgbench_tps(b, s);
          if (isnan(tps))
            pgbench_ok = 0;
          else
            samples_add(&pgb, tps);
        }
        break;
      }
    }
  }
  if (!pgbench_ok)
    samples_free(&pgb);
  b->r.calls_per_s_1conn = median(&one);
  b->r.calls_per_s_2conn = median(&two);
  b->r.pgbench_tps = median(&pgb);
  report_rate("techmv_list calls/s, 1 connection", &one, "calls/s",
              b->pl.rate_seconds);
  report_rate("techmv_list calls/s, 2 connections", &two, "calls/s",
              b->pl.rate_seconds);
  report_rate("pgbench -M prepared tps, 1 connection", &pgb, "tps",
              b->pl.rate_seconds);
  samples_free(&one);
  samples_free(&two);
  samples_free(&pgb);
}
