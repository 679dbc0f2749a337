/*
 * techmv-bench: measures libtechmv against the SQL it stands in for, on
 * databases that hold sql/sample_data.sql's companies and the installed,
 * populated view (bench/run.sh builds them).
 *
 *   techmv-bench [--quick] [--live CONNINFO --techmv PATH
 *                [--live-figures FILE]] CONNINFO [CONNINFO...]
 *
 * Each CONNINFO is one scale: the same generator with another number of
 * distinct values. The first runs every scenario; the others those whose
 * cost grows with the number of distinct values (search, pages at depth,
 * refresh), and the growth from the first to the last is reported.
 * --live names a live install of the first scale's data: live mode's read
 * figures are measured on it, with PATH (the techmv command) as the
 * drainer, against a view of the same source in the same database
 * (mv_distinct_technologies_beside); FILE holds bench/live/workloads.sh's write
 * figures, reported with them.
 *
 * Wherever two ways are compared they alternate within one loop on one
 * connection, so that drift (caches, autovacuum, a noisy neighbour) hits
 * both alike, except that what reads much of the data (naive search
 * queries, deep OFFSET pages) runs apart from the fast calls, whose timing
 * it would otherwise sway. Every page compared is checked against the
 * answer of plain SQL written in truth.c. One table row per measurement,
 * then a summary, then, as the last line of output, one JSON object.
 *
 * Exit status: 0; 1 on an error (usage, connection, library or server
 * error); 2 when a page differs from the truth.
 */
#include "scenarios.h"
#include "truth.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const plan FULL_PLAN = {.naive_rounds = 5,
                               .fast_per_naive = 100,
                               .percall_rounds = 2000,
                               .rate_seconds = 1,
                               .rate_slices = 5,
                               .fresh_conns = 20,
                               .search_naive_rounds = 1,
                               .search_calls = 40,
                               .page_calls = 200,
                               .company_calls = {500, 200, 30},
                               .tx_calls = 1000,
                               .refresh_rounds = 2,
                               .alloc_calls = 200};
static const plan QUICK_PLAN = {.quick = 1,
                                .naive_rounds = 2,
                                .fast_per_naive = 20,
                                .percall_rounds = 200,
                                .rate_seconds = 1,
                                .rate_slices = 1,
                                .fresh_conns = 5,
                                .search_naive_rounds = 1,
                                .search_calls = 5,
                                .page_calls = 30,
                                .company_calls = {40, 20, 5},
                                .tx_calls = 100,
                                .refresh_rounds = 1,
                                .alloc_calls = 20};

#define MAX_SCALES 4

/* "60k", "1m": the measured count, as people name these scales. */
static void scale_label(char *out, size_t cap, int64_t n) {
  if (n >= 1000000)
    snprintf(out, cap, "%.3gm", (double)n / 1e6);
  else if (n >= 1000)
    snprintf(out, cap, "%.3gk", (double)n / 1e3);
  else
    snprintf(out, cap, "%" PRId64, n);
}

static void scale_open(scale *s) {
  s->conn = connect_or_die(s->conninfo);
  s->h = open_or_die(s->conn);
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  int rc = techmv_status(s->h, &st);
  if (rc != TECHMV_OK)
    die("techmv_status: %s: %s", techmv_rc_string(rc), techmv_errmsg(s->h));
  if (!st.installed || !st.populated)
    die("%s: the view is %s; run sql/install.sql first", PQdb(s->conn),
        st.installed ? "not populated" : "not installed");
  s->companies = query_int(s->conn, "SELECT count(*) FROM companies");
  s->distinct_values = truth_init(s);
  if (s->distinct_values != st.rows)
    die("%s: the view holds %" PRId64 " values, companies %" PRId64
        " distinct ones: refresh it",
        PQdb(s->conn), st.rows, s->distinct_values);
  if (s->distinct_values < PAGE_OFFSET + PAGE_LIMIT + 1)
    die("%s: %" PRId64 " distinct values; the bench needs at least %d",
        PQdb(s->conn), s->distinct_values, PAGE_OFFSET + PAGE_LIMIT + 1);
  s->ref_page = truth_page(s, TECHMV_ORDER_ASC, PAGE_OFFSET, PAGE_LIMIT);
  scale_label(s->label, sizeof s->label, s->distinct_values);
}

static void scale_close(scale *s) {
  vals_free(&s->ref_page);
  techmv_close(s->h);
  PQfinish(s->conn);
}

static void run_scale(bench *b, scale *s) {
  char title[256];
  snprintf(title, sizeof title,
           "scale %s: %" PRId64 " companies, %" PRId64
           " distinct values (database %s)%s",
           s->label, s->companies, s->distinct_values, PQdb(s->conn),
           s->primary ? "" : "; scale-dependent scenarios only");
  table_header(title);
  if (s->primary) {
    scenario_unfiltered(b, s);
    scenario_per_call(b, s);
    scenario_first_call(b, s);
    scenario_concurrency(b, s);
  }
  scenario_search(b, s);
  scenario_pages(b, s);
  if (s->primary) {
    scenario_company(b, s);
    scenario_transaction(b, s);
    scenario_memory(b, s);
  }
  /* Last, so that the refreshes' load on the server and on the view's pages
   * cannot sway the other measurements. */
  scenario_refresh(b, s);
}

/* Last scale over first; NAN with a single scale. */
static double growth(const scale *sc, int n, size_t field) {
  if (n < 2)
    return NAN;
  const double *first = (const double *)((const char *)&sc[0] + field);
  const double *last = (const double *)((const char *)&sc[n - 1] + field);
  return *last / *first;
}

static void json_ms(const char *key, double med, double p) {
  json_open(key);
  json_num("median", med);
  json_num("p95", p);
  json_close();
}

static void json_scale(const scale *s) {
  json_open(NULL);
  json_str("label", s->label);
  json_int("companies", s->companies);
  json_int("distinct_values", s->distinct_values);
  json_num("search_p95_ms", s->search.p95_ms);
  json_num("search_max_ms", s->search.max_ms);
  json_num("search_slowest_term_median_ms", s->search.slowest_term_median_ms);
  json_num("search_min_speedup", s->search.min_speedup);
  json_open("search_by_class");
  for (int c = 0; c < search_class_count(); c++) {
    json_open(search_class_key(c));
    json_num("p95_ms", s->search_class[c].p95_ms);
    json_num("max_ms", s->search_class[c].max_ms);
    json_num("min_speedup", s->search_class[c].min_speedup);
    json_close();
  }
  json_close();
  json_ms("first_page_ms", s->first_page_median_ms, s->first_page_p95_ms);
  json_ms("cursor_mid_ms", s->cursor_mid_median_ms, s->cursor_mid_p95_ms);
  json_num("cursor_deep_vs_first", s->cursor_deep_vs_first);
  json_num("offset_deep_vs_first", s->offset_deep_vs_first);
  json_num("refresh_ms", s->refresh_ms);
  json_num("refresh_bare_ms", s->refresh_bare_ms);
  json_int("disk_bytes", s->disk_bytes);
  json_int("view_bytes", s->table_bytes);
  json_int("index_bytes", s->index_bytes);
  json_int("search_postings_bytes", s->search_bytes);
  json_num("search_refresh_cost_ratio", s->search_refresh_cost_ratio);
  json_num("search_disk_ratio", s->search_disk_ratio);
  json_num("reader_max_during_refresh_ms", s->reader_max_during_refresh_ms);
  json_num("reader_p99_during_refresh_vs_idle", s->reader_p99_ratio);
  json_close();
}

static void print_json(const bench *b, const scale *sc, int n) {
  const results *r = &b->r;
  const scale *s0 = &sc[0];
  double reader_max = 0;
  long reader_errors = 0;
  for (int i = 0; i < n; i++) {
    if (sc[i].reader_max_during_refresh_ms > reader_max)
      reader_max = sc[i].reader_max_during_refresh_ms;
    reader_errors += sc[i].reader_errors;
  }
  json_open(NULL);
  json_int("companies", s0->companies);
  json_int("distinct_values", s0->distinct_values);
  json_num("unfiltered_speedup", r->unfiltered_speedup);
  json_num("overhead_vs_raw_prepared", r->overhead_vs_raw_prepared);
  json_num("vs_unprepared", r->vs_unprepared);
  json_num("calls_per_s_1conn", r->calls_per_s_1conn);
  json_num("calls_per_s_2conn", r->calls_per_s_2conn);
  json_num("pgbench_prepared_tps_1conn", r->pgbench_tps);
  json_int("first_call_round_trips", r->first_call_round_trips);
  json_int("warm_call_round_trips", r->warm_call_round_trips);
  json_num("first_call_ms", r->first_call_ms);
  json_num("warm_call_ms", r->warm_call_ms);
  json_num("search_p95_ms", s0->search.p95_ms);
  json_num("search_max_ms", s0->search.max_ms);
  json_num("search_slowest_term_median_ms", s0->search.slowest_term_median_ms);
  json_num("search_min_speedup", s0->search.min_speedup);
  json_num("search_p95_growth", growth(sc, n, offsetof(scale, search.p95_ms)));
  json_num("first_page_p95_growth",
           growth(sc, n, offsetof(scale, first_page_p95_ms)));
  json_num("cursor_mid_p95_growth",
           growth(sc, n, offsetof(scale, cursor_mid_p95_ms)));
  /* A sub-millisecond call's p95 on a shared machine is mostly the
   * neighbours' doing; the medians say what the data size does. */
  json_num("first_page_median_growth",
           growth(sc, n, offsetof(scale, first_page_median_ms)));
  json_num("cursor_mid_median_growth",
           growth(sc, n, offsetof(scale, cursor_mid_median_ms)));
  json_num("cursor_deep_vs_first", s0->cursor_deep_vs_first);
  json_num("offset_deep_vs_first", s0->offset_deep_vs_first);
  json_open("company_filter_ms");
  json_num("1", r->company_ms[0]);
  json_num("100", r->company_ms[1]);
  json_num("10000", r->company_ms[2]);
  json_close();
  json_num("in_transaction_vs_idle", r->in_transaction_vs_idle);
  json_ms("in_transaction_ms", r->in_tx_median_ms, r->in_tx_p95_ms);
  json_ms("idle_ms", r->idle_median_ms, r->idle_p95_ms);
  json_num("refresh_vs_sql", s0->refresh_vs_sql);
  json_num("reader_max_during_refresh_ms", reader_max);
  json_num("reader_p99_during_refresh_vs_idle", s0->reader_p99_ratio);
  json_int("reader_errors_during_refresh", reader_errors);
  /* The search postings' cost: the largest scale's, where it is highest. */
  json_num("search_refresh_cost_ratio", sc[n - 1].search_refresh_cost_ratio);
  json_num("search_disk_ratio", sc[n - 1].search_disk_ratio);
  json_num("bytes_held_per_handle", r->bytes_held_per_handle);
  json_num("bytes_held_per_page", r->bytes_held_per_page);
  json_num("bytes_held_per_raw_result", r->bytes_held_per_raw_result);
  json_num("raw_result_memory_size", r->raw_result_memory_size);
  json_int("peak_rss_kb", r->peak_rss_kb);
  if (r->live_figure_count > 0 || r->live_list_vs_view > 0) {
    for (int i = 0; i < r->live_figure_count; i++)
      json_num(r->live_figure_key[i], r->live_figure[i]);
    json_num("live_visibility_p99_ms", r->live_visibility_p99_ms);
    json_num("live_list_vs_view", r->live_list_vs_view);
  }
  json_open_array("scales");
  for (int i = 0; i < n; i++)
    json_scale(&sc[i]);
  json_close_array();
  json_close();
  json_end_line();
}

static void print_summary(const bench *b, const scale *sc, int n) {
  table_header("summary");
  for (int i = 0; i < n; i++) {
    const scale *s = &sc[i];
    char name[96];
    snprintf(name, sizeof name, "scale %s: search p95 / max", s->label);
    report_value(name, "%.3f / %.3f ms", s->search.p95_ms, s->search.max_ms);
    snprintf(name, sizeof name, "scale %s: first page / cursor at 50%% p95",
             s->label);
    report_value(name, "%.3f / %.3f ms", s->first_page_p95_ms,
                 s->cursor_mid_p95_ms);
    snprintf(name, sizeof name, "scale %s: refresh; view on disk", s->label);
    report_value(name, "%.0f ms; %.1f MiB", s->refresh_ms,
                 (double)s->disk_bytes / 1048576);
    snprintf(name, sizeof name, "scale %s: reader max during refresh",
             s->label);
    report_value(name, "%.3f ms", s->reader_max_during_refresh_ms);
  }
  if (n >= 2) {
    char name[96];
    snprintf(name, sizeof name, "growth %s -> %s (p95): search", sc[0].label,
             sc[n - 1].label);
    report_value(name, "%.2f", growth(sc, n, offsetof(scale, search.p95_ms)));
    report_value("growth: first page, cursor at 50%",
                 "p95 %.2f, %.2f; median %.2f, %.2f",
                 growth(sc, n, offsetof(scale, first_page_p95_ms)),
                 growth(sc, n, offsetof(scale, cursor_mid_p95_ms)),
                 growth(sc, n, offsetof(scale, first_page_median_ms)),
                 growth(sc, n, offsetof(scale, cursor_mid_median_ms)));
  } else {
    report_value("growth between scales", "n/a (one scale)");
  }
  report_value("search min speedup over naive", "%.0fx (scale %s)",
               sc[0].search.min_speedup, sc[0].label);
  report_value("in_transaction_vs_idle", "%.3f", b->r.in_transaction_vs_idle);
  report_value("peak RSS", "%ld kB", b->r.peak_rss_kb);
}

static void usage(FILE *f) {
  fputs(
      "usage: techmv-bench [--quick] [--live CONNINFO --techmv PATH\n"
      "                    [--live-figures FILE]] CONNINFO [CONNINFO...]\n"
      "  CONNINFO: a database holding sql/sample_data.sql's companies and\n"
      "  the installed, populated view (see bench/run.sh); each one is a\n"
      "  scale, the first one gets every scenario.\n"
      "  --quick: few iterations, a smoke test for a small sample.\n"
      "  --live: a live install of the first scale's data, measured with\n"
      "  the techmv command at PATH as its drainer, and beside it a view\n"
      "  of the same source, mv_distinct_technologies_beside; FILE: the write\n"
      "  figures of bench/live/workloads.sh, reported with them.\n",
      f);
}

/* bench/live/workloads.sh's "key value" lines. */
static void read_live_figures(results *r, const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL)
    die("cannot open %s", path);
  char key[64];
  double v;
  while (r->live_figure_count < 16 && fscanf(f, "%63s %lf", key, &v) == 2) {
    snprintf(r->live_figure_key[r->live_figure_count],
             sizeof r->live_figure_key[0], "%s", key);
    r->live_figure[r->live_figure_count++] = v;
  }
  fclose(f);
}

int main(int argc, char **argv) {
  bench b;
  scale sc[MAX_SCALES];
  int n = 0;
  const char *live = NULL, *cli = NULL, *live_figures = NULL;
  memset(&b, 0, sizeof b);
  memset(sc, 0, sizeof sc);
  b.pl = FULL_PLAN;
  if (argc == 4 && strcmp(argv[1], "--memory-probe") == 0)
    return memory_probe(argv[3], atoi(argv[2]));
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      b.pl = QUICK_PLAN;
    } else if (strcmp(argv[i], "--live") == 0 && i + 1 < argc) {
      live = argv[++i];
    } else if (strcmp(argv[i], "--techmv") == 0 && i + 1 < argc) {
      cli = argv[++i];
    } else if (strcmp(argv[i], "--live-figures") == 0 && i + 1 < argc) {
      live_figures = argv[++i];
    } else if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] != '-' && n < MAX_SCALES) {
      sc[n].conninfo = argv[i];
      sc[n].primary = n == 0;
      n++;
    } else {
      usage(stderr);
      return 1;
    }
  }
  if (n == 0 || (live != NULL && cli == NULL)) {
    usage(stderr);
    return 1;
  }
  for (int i = 0; i < n; i++)
    scale_open(&sc[i]);
  printf("libtechmv %s, server %d, %d scale%s%s\n", techmv_version(),
         PQserverVersion(sc[0].conn), n, n > 1 ? "s" : "",
         b.pl.quick ? ", quick run" : "");
  for (int i = 0; i < n; i++)
    run_scale(&b, &sc[i]);
  if (live != NULL)
    scenario_live(&b, live, cli);
  if (live_figures != NULL)
    read_live_figures(&b.r, live_figures);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  b.r.peak_rss_kb = ru.ru_maxrss;
  print_summary(&b, sc, n);
  for (int i = 0; i < n; i++)
    scale_close(&sc[i]);
  print_json(&b, sc, n);
  return 0;
}
