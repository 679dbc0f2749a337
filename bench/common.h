/*
 * What every part of techmv-bench shares: failing, timing, statistics, the
 * table and the JSON line, pages as comparable values, and the state of one
 * scale (a database) that the scenarios work on.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <techmv.h>

#if defined(__GNUC__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BENCH_NORETURN __attribute__((noreturn))
#else
#define BENCH_PRINTF(f, a)
#define BENCH_NORETURN
#endif

/* The page most comparisons use: page 3 of 25, as an application shows it. */
#define PAGE_LIMIT 25
#define PAGE_OFFSET 50

/* ---- Failing ------------------------------------------------------------ */

/* Exit status 1: usage, connection, library or server error. */
void die(const char *fmt, ...) BENCH_PRINTF(1, 2) BENCH_NORETURN;
void *xmalloc(size_t n);
char *xstrdup(const char *s);

/* ---- Time and statistics ------------------------------------------------ */

double now_ms(void);
void sleep_ms(double ms);

typedef struct samples {
  double *v;
  size_t n, cap;
} samples;

void samples_add(samples *s, double ms);
void samples_append(samples *to, const samples *from);
void samples_free(samples *s);
/* Nearest rank; q = 0.5 gives the median (the mean of the two middle values
 * when n is even). NAN when empty. */
double quantile(const samples *s, double q);
double median(const samples *s);
double p95(const samples *s);
double samples_max(const samples *s);

/* ---- The table ---------------------------------------------------------- */

void table_header(const char *title);
/* One latency row: n, median, p95, max, and an optional note. */
void report(const char *name, const samples *s, const char *note, ...)
    BENCH_PRINTF(3, 4);
/* One row that is not a latency distribution (a rate, a count, a size). */
void report_value(const char *name, const char *fmt, ...) BENCH_PRINTF(2, 3);
/* `s` left-aligned in `width` terminal columns, counting wide characters
 * twice, so that non-ASCII search terms keep the table aligned. */
void pad_utf8(char *out, size_t cap, const char *s, int width);

/* ---- The JSON line ------------------------------------------------------ */

/* A minimal writer for one line on stdout: objects nest, commas are put in.
 * Non-finite numbers are written as null. */
void json_open(const char *key); /* key NULL: the top level or in an array */
void json_close(void);
void json_open_array(const char *key);
void json_close_array(void);
void json_num(const char *key, double v);
void json_int(const char *key, int64_t v);
void json_str(const char *key, const char *v);
void json_null(const char *key);
void json_end_line(void);

/* ---- Pages as values ---------------------------------------------------- */

/* One side's answer, copied out so that two sides can be compared outside
 * the timed region, after both have been freed. */
typedef struct vals {
  size_t n;
  int has_more;
  char **v;
} vals;

/* From SQL that asked for limit+1 rows: the extra row only says more
 * follow. */
vals vals_of_result(const PGresult *res, size_t limit);
vals vals_of_page(const techmv_page *pg);
void vals_free(vals *a);
int vals_equal(const vals *a, const vals *b);
/* Exit status 2 when the pages differ: the run is also a correctness check. */
void expect_same(const char *what, const char *aside, const vals *a,
                 const char *bside, const vals *b);

/* ---- Calls -------------------------------------------------------------- */

PGconn *connect_or_die(const char *conninfo);
techmv *open_or_die(PGconn *c);
/* techmv_list with the call alone timed into `s` (may be NULL); the page
 * must have come from `path`. */
techmv_page *list_timed(techmv *h, const techmv_list_params *p,
                        techmv_path path, samples *s, const char *what);
vals list_vals(techmv *h, const techmv_list_params *p, techmv_path path,
               samples *s, const char *what);
techmv_list_params page_params(techmv_order order, int64_t offset);

PGresult *check_tuples(PGconn *c, PGresult *res, const char *what);
void exec_command(PGconn *c, const char *sql, const char *what);
int64_t query_int(PGconn *c, const char *sql);
/* PQexecParams / PQexecPrepared with the call alone timed into `s`. */
vals params_vals(PGconn *c, const char *sql, int n, const char *const *values,
                 size_t limit, samples *s, const char *what);
vals prepared_vals(PGconn *c, const char *name, int n,
                   const char *const *values, size_t limit, samples *s,
                   const char *what);

/* ---- A run, and one scale of it ----------------------------------------- */

/* Iteration counts: the full plan for figures, the quick one for a smoke
 * test on a tiny sample. */
typedef struct plan {
  int quick;
  int naive_rounds;    /* unfiltered naive queries per direction */
  int fast_per_naive;  /* techmv calls between two naive queries */
  int percall_rounds;  /* techmv, prepared, unprepared: once each a round */
  double rate_seconds; /* one slice of calls/s or pgbench (whole seconds) */
  int rate_slices;     /* of each of the three */
  int fresh_conns;
  int search_naive_rounds; /* naive queries per term, first scale */
  int search_calls;        /* techmv calls per term */
  int page_calls;          /* per depth, offset and cursor */
  int company_calls[3];    /* per filter size, each side */
  int tx_calls;            /* each of in a transaction block and idle */
  int refresh_rounds;      /* each of techmv_refresh and bare SQL */
  int alloc_calls;         /* calls averaged for bytes per call */
} plan;

/* Search figures of one scale. */
typedef struct search_figures {
  double p95_ms, max_ms, slowest_term_median_ms, min_speedup;
} search_figures;

/* One database: the same generator with another technology pool. The first
 * scale runs every scenario; the others only those whose cost depends on
 * the number of distinct values. */
typedef struct scale {
  const char *conninfo;
  int primary;
  char label[32]; /* from the distinct count measured: "60k", "1m" */
  PGconn *conn;
  techmv *h;
  int64_t companies, distinct_values;
  int64_t disk_bytes, table_bytes, index_bytes; /* view, before refreshes */
  vals ref_page;                                /* truth for page_params(ASC) */

  search_figures search;
  search_figures search_class[16]; /* see search_class_key() */
  double first_page_median_ms, first_page_p95_ms;
  double cursor_mid_median_ms, cursor_mid_p95_ms, cursor_deep_vs_first,
      offset_deep_vs_first;
  double refresh_ms, refresh_bare_ms, refresh_vs_sql;
  /* The search postings (sql/search.sql) beside the view: their bytes, and
   * refresh time and disk with them over without them. */
  int64_t search_bytes;
  double search_refresh_cost_ratio, search_disk_ratio;
  double reader_max_during_refresh_ms, reader_p99_ratio;
  long reader_errors;
} scale;

/* Figures measured on the first scale only. */
typedef struct results {
  double unfiltered_speedup, overhead_vs_raw_prepared, vs_unprepared;
  double calls_per_s_1conn, calls_per_s_2conn, pgbench_tps;
  int first_call_round_trips, warm_call_round_trips;
  double first_call_ms, warm_call_ms;
  double company_ms[3];
  double in_tx_median_ms, in_tx_p95_ms, idle_median_ms, idle_p95_ms,
      in_transaction_vs_idle;
  double bytes_held_per_handle, bytes_held_per_page, bytes_held_per_raw_result,
      raw_result_memory_size;
  long peak_rss_kb;
  /* Live mode: reads measured here, writes by bench/live/workloads.sh as
   * "key value" lines, passed through to the JSON as they are. */
  double live_visibility_p99_ms, live_list_vs_view;
  int live_figure_count;
  char live_figure_key[16][64];
  double live_figure[16];
} results;

typedef struct bench {
  plan pl;
  results r;
} bench;

#endif /* BENCH_COMMON_H */
