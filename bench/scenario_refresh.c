/* Refresh: the view's size on disk and its search postings', the library's
 * refresh (which also brings the postings up to date) against the bare
 * statement, then what a concurrent refresh does to a fast-path reader on
 * another connection: its slowest call, and its p99 against the same
 * reader on an idle server for as long. Runs last on a scale: a refresh
 * leaves dead rows and cold pages behind. */
#include "scenarios.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fast-path reader on its own connection, listing until told to stop. */
typedef struct reader {
  PGconn *conn;
  techmv *h;
  const vals *ref;
  atomic_int stop;
  samples lat;
  long errors, bad_pages;
  char first_error[512];
} reader;

static void *reader_run(void *arg) {
  reader *rd = arg;
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  while (!atomic_load(&rd->stop)) {
    techmv_page *pg;
    double t0 = now_ms();
    int rc = techmv_list(rd->h, &p, &pg);
    double t1 = now_ms();
    samples_add(&rd->lat, t1 - t0);
    if (rc != TECHMV_OK) {
      if (rd->errors++ == 0)
        snprintf(rd->first_error, sizeof rd->first_error, "%s: %s",
                 techmv_rc_string(rc), techmv_errmsg(rd->h));
      continue;
    }
    /* The data does not change, so every page must be the truth's. */
    vals got = vals_of_page(pg);
    if (!vals_equal(&got, rd->ref))
      rd->bad_pages++;
    vals_free(&got);
    techmv_page_free(pg);
  }
  return NULL;
}

static void reader_start(reader *rd, pthread_t *tid) {
  atomic_store(&rd->stop, 0);
  if (pthread_create(tid, NULL, reader_run, rd) != 0)
    die("cannot start a thread");
}

static void reader_stop(reader *rd, pthread_t tid) {
  atomic_store(&rd->stop, 1);
  pthread_join(tid, NULL);
}

static double refresh_timed(scale *s) {
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  double t0 = now_ms();
  int rc = techmv_refresh(s->h, NULL, &info);
  double t1 = now_ms();
  if (rc != TECHMV_OK)
    die("techmv_refresh: %s: %s", techmv_rc_string(rc), techmv_errmsg(s->h));
  if (!info.concurrently)
    die("techmv_refresh did not refresh concurrently");
  if (info.rows != s->distinct_values)
    die("techmv_refresh: %" PRId64 " rows afterwards instead of %" PRId64,
        info.rows, s->distinct_values);
  return t1 - t0;
}

static void disk_size(scale *s) {
  PGresult *res = check_tuples(
      s->conn,
      PQexec(s->conn,
             "SELECT pg_total_relation_size(c.oid), pg_relation_size(c.oid), "
             "pg_indexes_size(c.oid), (SELECT sum(pg_total_relation_size(t)) "
             "FROM unnest(ARRAY['mv_distinct_technologies_grams', "
             "'mv_distinct_technologies_gram_n', "
             "'mv_distinct_technologies_gvals']::regclass[]) AS t) "
             "FROM pg_class AS c WHERE c.oid = "
             "'mv_distinct_technologies'::regclass"),
      "view size");
  s->disk_bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  s->table_bytes = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
  s->index_bytes = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
  s->search_bytes = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
  s->search_disk_ratio =
      (double)(s->disk_bytes + s->search_bytes) / (double)s->disk_bytes;
  PQclear(res);
  report_value("view on disk: total (view, indexes)", "%.1f MiB (%.1f + %.1f)",
               (double)s->disk_bytes / 1048576,
               (double)s->table_bytes / 1048576,
               (double)s->index_bytes / 1048576);
  report_value("search postings on disk; view + postings / view",
               "%.1f MiB; %.2f", (double)s->search_bytes / 1048576,
               s->search_disk_ratio);
}

static void refresh_vs_bare(bench *b, scale *s) {
  samples lib = {0}, bare = {0};
  for (int r = 0; r < b->pl.refresh_rounds; r++) {
    /* Alternating who goes first: the first refresh after a pause finds
     * colder caches. */
    for (int k = 0; k < 2; k++) {
      if ((r + k) % 2 == 0) {
        samples_add(&lib, refresh_timed(s));
      } else {
        double t0 = now_ms();
        exec_command(
            s->conn,
            "REFRESH MATERIALIZED VIEW CONCURRENTLY mv_distinct_technologies",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY");
        samples_add(&bare, now_ms() - t0);
      }
    }
  }
  s->refresh_ms = median(&lib);
  s->refresh_bare_ms = median(&bare);
  s->refresh_vs_sql = s->refresh_ms / s->refresh_bare_ms;
  /* All techmv_refresh adds to the bare statement is the postings' upkeep
   * and a log row. */
  s->search_refresh_cost_ratio = s->refresh_vs_sql;
  report("refresh: REFRESH ... CONCURRENTLY", &bare, NULL);
  report("refresh: techmv_refresh", &lib, "techmv/bare SQL %.3f",
         s->refresh_vs_sql);
  samples_free(&lib);
  samples_free(&bare);
}

static void reader_during_refresh(scale *s) {
  reader rd;
  memset(&rd, 0, sizeof rd);
  rd.conn = connect_or_die(s->conninfo);
  rd.h = open_or_die(rd.conn);
  rd.ref = &s->ref_page;
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  for (int i = 0; i < 20; i++) {
    vals a = list_vals(rd.h, &p, TECHMV_PATH_VIEW, NULL, "reader");
    vals_free(&a);
  }
  pthread_t tid;
  reader_start(&rd, &tid);
  double busy = refresh_timed(s);
  reader_stop(&rd, tid);
  samples during = rd.lat;
  long errors = rd.errors, bad = rd.bad_pages;
  char first_error[512];
  snprintf(first_error, sizeof first_error, "%s", rd.first_error);
  memset(&rd.lat, 0, sizeof rd.lat);
  rd.errors = rd.bad_pages = 0;

  reader_start(&rd, &tid);
  sleep_ms(busy);
  reader_stop(&rd, tid);
  samples idle = rd.lat;
  errors += rd.errors;
  bad += rd.bad_pages;
  if (first_error[0] == '\0')
    snprintf(first_error, sizeof first_error, "%s", rd.first_error);
  techmv_close(rd.h);
  PQfinish(rd.conn);

  double p99_during = quantile(&during, 0.99), p99_idle = quantile(&idle, 0.99);
  s->reader_max_during_refresh_ms = samples_max(&during);
  s->reader_p99_ratio = p99_during / p99_idle;
  s->reader_errors = errors;
  report("reader during a concurrent refresh", &during, "slowest call %.3f ms",
         s->reader_max_during_refresh_ms);
  report("reader, idle, same duration", &idle, NULL);
  report_value("reader p99: during refresh / idle", "%.3f / %.3f ms = %.2f",
               p99_during, p99_idle, s->reader_p99_ratio);
  report_value("reader errors during refresh", "%ld", errors);
  samples_free(&during);
  samples_free(&idle);
  if (errors > 0)
    die("the reader got %ld errors; the first: %s", errors, first_error);
  if (bad > 0) {
    fflush(stdout);
    fprintf(stderr,
            "techmv-bench: the reader got %ld pages that differ from the "
            "truth\n",
            bad);
    exit(2);
  }
}

void scenario_refresh(bench *b, scale *s) {
  disk_size(s);
  refresh_vs_bare(b, s);
  reader_during_refresh(s);
}
