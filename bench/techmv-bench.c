/*
 * techmv-bench: measures libtechmv against the SQL it stands in for, on a
 * database that holds sql/sample_data.sql's companies and the installed,
 * populated view (bench/run.sh builds one).
 *
 *   techmv-bench [--quick] CONNINFO
 *
 * Wherever two ways of getting a page are compared they run interleaved on
 * the same connection, so that drift (caches, autovacuum, a noisy neighbour)
 * hits both alike, and they must return the same rows: the run doubles as a
 * correctness check. One line per measurement, then, as the last line of
 * output, one JSON object with the headline numbers.
 *
 * Exit status: 0; 1 on an error (usage, connection, library or server
 * error); 2 when two sides disagree about a page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <techmv.h>

#if defined(__GNUC__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BENCH_NORETURN __attribute__((noreturn))
#else
#define BENCH_PRINTF(f, a)
#define BENCH_NORETURN
#endif

/* ---- Allocation counting ------------------------------------------------ */

/* A sanitizer brings its own allocator, which definitions of malloc here
 * would bypass: counting is then left out and reported as null. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) &&                    \
    !__has_feature(address_sanitizer) && !__has_feature(memory_sanitizer)
#define COUNT_ALLOCS 1
#else
#define COUNT_ALLOCS 0
#endif

typedef struct alloc_count {
  size_t bytes;   /* requested, temporary allocations included */
  size_t calls;   /* malloc, calloc and realloc calls */
  long long held; /* usable bytes still allocated at the end */
} alloc_count;

#if COUNT_ALLOCS
/* These definitions take the place of malloc & co. for the whole process,
 * libpq included, and hand every request to glibc's allocator: only the
 * thread that is measuring counts, so other threads cost one test each. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static _Thread_local int alloc_counting;
static alloc_count alloc_now;

void *malloc(size_t size) {
  void *p = __libc_malloc(size);
  if (alloc_counting) {
    alloc_now.bytes += size;
    alloc_now.calls++;
    if (p != NULL)
      alloc_now.held += (long long)malloc_usable_size(p);
  }
  return p;
}

void *calloc(size_t n, size_t size) {
  void *p = __libc_calloc(n, size);
  size_t total;
  if (alloc_counting && !__builtin_mul_overflow(n, size, &total)) {
    alloc_now.bytes += total;
    alloc_now.calls++;
    if (p != NULL)
      alloc_now.held += (long long)malloc_usable_size(p);
  }
  return p;
}

void *realloc(void *old, size_t size) {
  if (!alloc_counting)
    return __libc_realloc(old, size);
  long long before = old ? (long long)malloc_usable_size(old) : 0;
  void *p = __libc_realloc(old, size);
  alloc_now.bytes += size;
  alloc_now.calls++;
  if (p != NULL)
    alloc_now.held += (long long)malloc_usable_size(p) - before;
  else if (size == 0)
    alloc_now.held -= before; /* freed */
  return p;
}

void free(void *p) {
  if (alloc_counting && p != NULL)
    alloc_now.held -= (long long)malloc_usable_size(p);
  __libc_free(p);
}

static void alloc_begin(void) {
  memset(&alloc_now, 0, sizeof alloc_now);
  alloc_counting = 1;
}

static alloc_count alloc_end(void) {
  alloc_counting = 0;
  return alloc_now;
}
#else
static void alloc_begin(void) {}
static alloc_count alloc_end(void) {
  alloc_count none = {0, 0, 0};
  return none;
}
#endif

/* ---- Failing ------------------------------------------------------------ */

static void die(const char *fmt, ...) BENCH_PRINTF(1, 2) BENCH_NORETURN;
static void die(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("techmv-bench: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    die("out of memory");
  return p;
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

/* ---- Time and statistics ------------------------------------------------ */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

typedef struct samples {
  double *v;
  size_t n, cap;
} samples;

static void samples_add(samples *s, double ms) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    double *v = realloc(s->v, s->cap * sizeof *v);
    if (v == NULL)
      die("out of memory");
    s->v = v;
  }
  s->v[s->n++] = ms;
}

static void samples_append(samples *to, const samples *from) {
  for (size_t i = 0; i < from->n; i++)
    samples_add(to, from->v[i]);
}

static void samples_free(samples *s) {
  free(s->v);
  memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank quantile; q = 0.5 gives the median (mean of the two middle
 * values when n is even). */
static double quantile(const samples *s, double q) {
  if (s->n == 0)
    return NAN;
  double *v = xmalloc(s->n * sizeof *v);
  memcpy(v, s->v, s->n * sizeof *v);
  qsort(v, s->n, sizeof *v, cmp_double);
  double r;
  if (q == 0.5 && s->n % 2 == 0) {
    r = (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
  } else {
    size_t rank = (size_t)ceil(q * (double)s->n);
    r = v[rank > 0 ? rank - 1 : 0];
  }
  free(v);
  return r;
}

static double median(const samples *s) {
  return quantile(s, 0.5);
}

/* ---- Output ------------------------------------------------------------- */

static void table_header(void) {
  printf("%-46s %6s %11s %11s  %s\n", "measurement", "n", "median ms", "p95 ms",
         "ratio");
}

static void report(const char *name, const samples *s, const char *ratio_what,
                   double ratio) {
  printf("%-46s %6zu %11.3f %11.3f", name, s->n, median(s), quantile(s, 0.95));
  if (ratio_what != NULL)
    printf("  %.2f %s", ratio, ratio_what);
  putchar('\n');
  fflush(stdout);
}

/* A measurement that is not a latency distribution (a rate, a count). */
static void report_value(const char *name, const char *fmt, ...)
    BENCH_PRINTF(2, 3);
static void report_value(const char *name, const char *fmt, ...) {
  va_list ap;
  printf("%-46s %6s %11s %11s  ", name, "-", "-", "-");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* ---- Pages as values ----------------------------------------------------- */

/* One side's answer, copied out so that two sides can be compared after both
 * have been freed (and outside the timed region). */
typedef struct vals {
  size_t n;
  int has_more;
  char **v;
} vals;

static void vals_free(vals *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

/* From SQL that asked for limit+1 rows, as the library does: the extra row
 * only says that more follow. */
static vals vals_of_result(const PGresult *res, size_t limit) {
  vals a = {0, 0, NULL};
  size_t rows = (size_t)PQntuples(res);
  a.has_more = rows > limit;
  a.n = a.has_more ? limit : rows;
  a.v = xmalloc(a.n * sizeof *a.v);
  for (size_t i = 0; i < a.n; i++)
    a.v[i] = xstrdup(PQgetvalue(res, (int)i, 0));
  return a;
}

static vals vals_of_page(const techmv_page *pg) {
  vals a = {0, 0, NULL};
  a.n = techmv_page_count(pg);
  a.has_more = techmv_page_has_more(pg);
  a.v = xmalloc(a.n * sizeof *a.v);
  for (size_t i = 0; i < a.n; i++)
    a.v[i] = xstrdup(techmv_page_value(pg, i));
  return a;
}

static int vals_equal(const vals *a, const vals *b) {
  if (a->n != b->n || a->has_more != b->has_more)
    return 0;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->v[i], b->v[i]) != 0)
      return 0;
  return 1;
}

static void print_vals(const char *side, const vals *a) {
  fprintf(stderr, "  %s: %zu values, has_more %d:", side, a->n, a->has_more);
  for (size_t i = 0; i < a->n; i++)
    fprintf(stderr, " [%s]", a->v[i]);
  fputc('\n', stderr);
}

static void expect_same(const char *what, const char *aside, const vals *a,
                        const char *bside, const vals *b) {
  if (vals_equal(a, b))
    return;
  fflush(stdout);
  fprintf(stderr, "techmv-bench: %s: %s and %s return different pages\n", what,
          aside, bside);
  print_vals(aside, a);
  print_vals(bside, b);
  exit(2);
}

/* ---- Calls, timed ------------------------------------------------------- */

static PGconn *connect_or_die(const char *conninfo) {
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK)
    die("cannot connect: %s", PQerrorMessage(c));
  return c;
}

static techmv *open_or_die(PGconn *c) {
  techmv *h;
  int rc = techmv_open(c, NULL, &h);
  if (rc != TECHMV_OK)
    die("techmv_open: %s: %s", techmv_rc_string(rc), techmv_errmsg(h));
  return h;
}

/* techmv_list, with the call alone timed into `s` (may be NULL); `path` is
 * the path the page must have come from. */
static techmv_page *list_timed(techmv *h, const techmv_list_params *p,
                               techmv_path path, samples *s, const char *what) {
  techmv_page *pg;
  double t0 = now_ms();
  int rc = techmv_list(h, p, &pg);
  double t1 = now_ms();
  if (rc != TECHMV_OK)
    die("%s: techmv_list: %s: %s", what, techmv_rc_string(rc),
        techmv_errmsg(h));
  if (techmv_page_path(pg) != path)
    die("%s: served by the %s path instead of %s", what,
        techmv_path_string(techmv_page_path(pg)), techmv_path_string(path));
  if (s != NULL)
    samples_add(s, t1 - t0);
  return pg;
}

static vals list_vals(techmv *h, const techmv_list_params *p, techmv_path path,
                      samples *s, const char *what) {
  techmv_page *pg = list_timed(h, p, path, s, what);
  vals a = vals_of_page(pg);
  techmv_page_free(pg);
  return a;
}

static PGresult *check_tuples(PGconn *c, PGresult *res, const char *what) {
  if (PQresultStatus(res) != PGRES_TUPLES_OK)
    die("%s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(c));
  return res;
}

static vals params_vals(PGconn *c, const char *sql, int n,
                        const char *const *values, size_t limit, samples *s,
                        const char *what) {
  double t0 = now_ms();
  PGresult *res = PQexecParams(c, sql, n, NULL, values, NULL, NULL, 0);
  double t1 = now_ms();
  check_tuples(c, res, what);
  if (s != NULL)
    samples_add(s, t1 - t0);
  vals a = vals_of_result(res, limit);
  PQclear(res);
  return a;
}

static vals prepared_vals(PGconn *c, const char *name, int n,
                          const char *const *values, size_t limit, samples *s,
                          const char *what) {
  double t0 = now_ms();
  PGresult *res = PQexecPrepared(c, name, n, values, NULL, NULL, 0);
  double t1 = now_ms();
  check_tuples(c, res, what);
  if (s != NULL)
    samples_add(s, t1 - t0);
  vals a = vals_of_result(res, limit);
  PQclear(res);
  return a;
}

static PGresult *exec_or_die(PGconn *c, const char *sql, const char *what) {
  PGresult *res = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    die("%s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(c));
  return res;
}

static int64_t query_int(PGconn *c, const char *sql) {
  PGresult *res = check_tuples(c, PQexec(c, sql), sql);
  int64_t v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return v;
}

/* ---- The run ------------------------------------------------------------ */

#define PAGE_LIMIT 25
#define PAGE_OFFSET 50

/* The library's fast-path SQL, copied from lib/query.c (default names, no
 * schema), to measure what the library adds to a bare prepared statement. */
static const char VIEW_PAGE_SQL[] =
    "SELECT v.value FROM \"mv_distinct_technologies\" AS v WHERE true "
    "ORDER BY v.value ASC LIMIT $1 OFFSET $2";
/* The same statement for pgbench: with -M prepared, :lim and :off become
 * bound parameters, so the server sees the very statement the library
 * sends (and plans it the same way), not one with constants in it. */
static const char VIEW_PAGE_PGBENCH[] =
    "\\set lim 26\n"
    "\\set off 50\n"
    "SELECT v.value FROM \"mv_distinct_technologies\" AS v WHERE true "
    "ORDER BY v.value ASC LIMIT :lim OFFSET :off";
#define RAW_STMT "bench_view_page"

#define NAIVE_FROM                                                             \
  "SELECT DISTINCT t.value FROM companies c CROSS JOIN LATERAL "               \
  "unnest(c.technologies) t(value) WHERE t.value IS NOT NULL"
static const char NAIVE_PAGE_ASC[] =
    NAIVE_FROM " ORDER BY 1 LIMIT 26 OFFSET 50";
static const char NAIVE_PAGE_DESC[] =
    NAIVE_FROM " ORDER BY 1 DESC LIMIT 26 OFFSET 50";
static const char NAIVE_SEARCH[] =
    NAIVE_FROM " AND t.value ILIKE $1 ORDER BY 1 LIMIT 26";
static const char NAIVE_COMPANY[] =
    NAIVE_FROM " AND c.id = ANY($1::bigint[]) ORDER BY 1 LIMIT 26";

typedef struct plan {
  int quick;
  int naive_rounds;    /* unfiltered naive queries per direction */
  int fast_per_naive;  /* techmv calls between two naive queries */
  int percall_rounds;  /* techmv, prepared, unprepared: once each a round */
  double rate_seconds; /* one slice of calls/s or pgbench (whole seconds) */
  int rate_slices;     /* of each of the three */
  int fresh_conns;
  int search_rounds;    /* naive queries per term */
  int search_per_naive; /* techmv calls per term between two naive ones */
  int deep_calls;       /* per depth and way */
  int company_calls[3]; /* per filter size, each side */
  int refresh_rounds;   /* each side */
  int alloc_calls;      /* calls averaged for bytes per call */
} plan;

static const plan FULL_PLAN = {.naive_rounds = 7,
                               .fast_per_naive = 100,
                               .percall_rounds = 2000,
                               .rate_seconds = 1,
                               .rate_slices = 5,
                               .fresh_conns = 20,
                               .search_rounds = 3,
                               .search_per_naive = 50,
                               .deep_calls = 500,
                               .company_calls = {500, 200, 30},
                               .refresh_rounds = 3,
                               .alloc_calls = 200};
static const plan QUICK_PLAN = {.quick = 1,
                                .naive_rounds = 2,
                                .fast_per_naive = 20,
                                .percall_rounds = 200,
                                .rate_seconds = 1,
                                .rate_slices = 1,
                                .fresh_conns = 5,
                                .search_rounds = 1,
                                .search_per_naive = 10,
                                .deep_calls = 50,
                                .company_calls = {40, 20, 5},
                                .refresh_rounds = 1,
                                .alloc_calls = 20};

typedef struct results {
  int64_t companies, distinct_values;
  double unfiltered_speedup, overhead_vs_raw_prepared, vs_unprepared;
  double calls_per_s_1conn, calls_per_s_2conn, pgbench_tps;
  int first_call_round_trips, warm_call_round_trips;
  double first_call_ms, warm_call_ms;
  double search_p95_ms, search_max_ms, search_min_speedup;
  double cursor_deep_vs_first, offset_deep_vs_first;
  double company_ms[3];
  double refresh_vs_sql, reader_p99_ratio;
  long reader_errors;
  double bytes_per_handle, bytes_per_list_call, bytes_per_raw_call;
  long peak_rss_kb;
} results;

typedef struct bench {
  const char *conninfo;
  PGconn *conn;
  techmv *h;
  plan pl;
  results r;
  vals ref_asc; /* the naive ascending page: what the fast path must give */
} bench;

static techmv_list_params page_params(techmv_order order) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = PAGE_LIMIT;
  p.offset = PAGE_OFFSET;
  p.order = order;
  return p;
}

/* 1. One page of the whole list, both directions: the naive query scans all
 * companies, the library walks the view's unique index. */
static void bench_unfiltered(bench *b) {
  static const struct {
    const char *name;
    const char *sql;
    techmv_order order;
  } dirs[] = {{"asc", NAIVE_PAGE_ASC, TECHMV_ORDER_ASC},
              {"desc", NAIVE_PAGE_DESC, TECHMV_ORDER_DESC}};
  for (size_t d = 0; d < 2; d++) {
    samples naive = {0}, fast = {0};
    techmv_list_params p = page_params(dirs[d].order);
    char what[64];
    snprintf(what, sizeof what, "unfiltered %s", dirs[d].name);
    vals a = list_vals(b->h, &p, TECHMV_PATH_VIEW, NULL, what); /* prepare */
    vals_free(&a);
    for (int r = 0; r < b->pl.naive_rounds; r++) {
      vals slow =
          params_vals(b->conn, dirs[d].sql, 0, NULL, PAGE_LIMIT, &naive, what);
      for (int k = 0; k < b->pl.fast_per_naive; k++) {
        vals got = list_vals(b->h, &p, TECHMV_PATH_VIEW, &fast, what);
        expect_same(what, "naive SQL", &slow, "techmv_list", &got);
        vals_free(&got);
      }
      if (d == 0 && r == 0)
        b->ref_asc = slow;
      else
        vals_free(&slow);
    }
    double ratio = median(&naive) / median(&fast);
    char name[96];
    snprintf(name, sizeof name, "unfiltered %s: naive SQL", dirs[d].name);
    report(name, &naive, NULL, 0);
    snprintf(name, sizeof name, "unfiltered %s: techmv_list", dirs[d].name);
    report(name, &fast, "x faster (naive/techmv)", ratio);
    if (d == 0)
      b->r.unfiltered_speedup = ratio;
    samples_free(&naive);
    samples_free(&fast);
  }
  if (b->ref_asc.n != PAGE_LIMIT)
    die("the sample holds fewer than %d distinct values",
        PAGE_OFFSET + PAGE_LIMIT);
}

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
  techmv_list_params p = page_params(TECHMV_ORDER_ASC);
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
static double calls_per_second(bench *b, int threads) {
  rate_worker w[8];
  pthread_t tid[8];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].conninfo = b->conninfo;
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

/* pgbench running the fast-path SQL, prepared, on one connection to the same
 * server and database: what a lean C client gets from one connection, to set
 * techmv_list's calls/s beside. NAN when pgbench cannot be run. */
static double pgbench_tps(bench *b) {
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
  const char *pass = PQpass(b->conn);
  if (pass != NULL && *pass != '\0')
    setenv("PGPASSWORD", pass, 1);
  char qscript[1100], qhost[1100], qport[64], quser[300], qdb[300];
  shell_quote(qscript, sizeof qscript, script);
  shell_quote(qhost, sizeof qhost, PQhost(b->conn));
  shell_quote(qport, sizeof qport, PQport(b->conn));
  shell_quote(quser, sizeof quser, PQuser(b->conn));
  shell_quote(qdb, sizeof qdb, PQdb(b->conn));
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

/* 2. What one fast-path call costs on top of the bare statement, then how
 * many calls a connection sustains. */
static void bench_per_call(bench *b) {
  PGresult *res = PQprepare(b->conn, RAW_STMT, VIEW_PAGE_SQL, 2, NULL);
  if (PQresultStatus(res) != PGRES_COMMAND_OK)
    die("PQprepare: %s", PQresultErrorMessage(res));
  PQclear(res);
  static const char *const args[2] = {"26", "50"};
  techmv_list_params p = page_params(TECHMV_ORDER_ASC);
  samples fast = {0}, prep = {0}, unprep = {0};
  /* Past the custom plans the plan cache makes before settling on one. */
  for (int i = 0; i < 10; i++) {
    vals a = list_vals(b->h, &p, TECHMV_PATH_VIEW, NULL, "per call");
    vals c = prepared_vals(b->conn, RAW_STMT, 2, args, PAGE_LIMIT, NULL,
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
        got = list_vals(b->h, &p, TECHMV_PATH_VIEW, &fast, "per call");
        break;
      case 1:
        side = "PQexecPrepared";
        got = prepared_vals(b->conn, RAW_STMT, 2, args, PAGE_LIMIT, &prep,
                            "per call: PQexecPrepared");
        break;
      default:
        side = "PQexecParams";
        got = params_vals(b->conn, VIEW_PAGE_SQL, 2, args, PAGE_LIMIT, &unprep,
                          "per call: PQexecParams");
        break;
      }
      expect_same("per call", "naive SQL", &b->ref_asc, side, &got);
      vals_free(&got);
    }
  }
  b->r.overhead_vs_raw_prepared = median(&fast) / median(&prep);
  b->r.vs_unprepared = median(&fast) / median(&unprep);
  report("per call: techmv_list (view page)", &fast, NULL, 0);
  report("per call: same SQL, PQexecPrepared", &prep, "techmv/raw prepared",
         b->r.overhead_vs_raw_prepared);
  report("per call: same SQL, PQexecParams", &unprep, "techmv/unprepared",
         b->r.vs_unprepared);
  samples_free(&fast);
  samples_free(&prep);
  samples_free(&unprep);

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
        samples_add(&one, calls_per_second(b, 1));
        break;
      case 1:
        samples_add(&two, calls_per_second(b, 2));
        break;
      default:
        if (pgbench_ok) {
          double tps = pgbench_tps(b);
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

/* 3. The first call on a new connection prepares and executes in one
 * pipeline: one round trip, like a warm call. */
static void bench_first_call(bench *b) {
  techmv_list_params p = page_params(TECHMV_ORDER_ASC);
  samples first = {0}, warm = {0};
  for (int i = 0; i < b->pl.fresh_conns; i++) {
    PGconn *c = connect_or_die(b->conninfo);
    techmv *h = open_or_die(c);
    vals a = list_vals(h, &p, TECHMV_PATH_VIEW, &first, "first call");
    vals w = list_vals(h, &p, TECHMV_PATH_VIEW, &warm, "warm call");
    expect_same("first call", "naive SQL", &b->ref_asc, "techmv_list", &a);
    expect_same("warm call", "naive SQL", &b->ref_asc, "techmv_list", &w);
    vals_free(&a);
    vals_free(&w);
    techmv_close(h);
    PQfinish(c);
  }
  PGconn *c = connect_or_die(b->conninfo);
  techmv *h = open_or_die(c);
  b->r.first_call_round_trips = traced_round_trips(c, h, &p, "first call");
  b->r.warm_call_round_trips = traced_round_trips(c, h, &p, "warm call");
  techmv_close(h);
  PQfinish(c);
  b->r.first_call_ms = median(&first);
  b->r.warm_call_ms = median(&warm);
  report("first call on a new connection", &first, "x a warm call",
         b->r.first_call_ms / b->r.warm_call_ms);
  report("second call on that connection", &warm, NULL, 0);
  report_value("round trips: first call, warm call", "%d, %d",
               b->r.first_call_round_trips, b->r.warm_call_round_trips);
  samples_free(&first);
  samples_free(&warm);
}

/* `s` left-aligned in `width` terminal columns: printf pads bytes, which
 * would skew the table for non-ASCII terms. Characters from U+3000 to
 * U+D7FF (CJK, Hangul: UTF-8 lead bytes E3..ED) take two columns. */
static void pad_utf8(char *out, size_t cap, const char *s, int width) {
  int cols = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if ((*c & 0xC0) != 0x80)
      cols += (*c >= 0xE3 && *c <= 0xED) ? 2 : 1;
  snprintf(out, cap, "%s%*s", s, cols < width ? width - cols : 0, "");
}

/* The library's pattern for a literal, case-insensitive substring. */
static char *like_contains(const char *term) {
  size_t n = strlen(term);
  char *out = xmalloc(2 * n + 3), *o = out;
  *o++ = '%';
  for (; *term; term++) {
    if (*term == '\\' || *term == '%' || *term == '_')
      *o++ = '\\';
    *o++ = *term;
  }
  *o++ = '%';
  *o = '\0';
  return out;
}

/* 4. Search: each kind of term the data can throw at the two strategies
 * (trigram index for a 3-character word, ordered walk otherwise). The
 * names are sample_data.sql's: generated ones are "tech-", "py-", "js-",
 * "Node", "cloud_", ... + a five-digit pool index. */
static void bench_search(bench *b) {
  static const struct {
    const char *term, *kind;
  } terms[] = {
      {"tech", "common, 3+ chars"},
      {"sql", "3+ chars, few values"},
      {"script", "3+ chars, few values"},
      {"py", "2 chars, common"},
      {"js", "2 chars, common"},
      {"qz", "2 chars, no match"},
      {"o", "1 char, common"},
      {"k", "1 char, few values"},
      {"lib12345", "rare full name"},
      {"no-such-tech", "absent"},
      {"\xC3\xA9", "non-ASCII, 1 char"},                  /* é */
      {"\xE6\x97\xA5\xE6\x9C\xAC", "non-ASCII, 2 chars"}, /* 日本 */
      {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "non-ASCII, 3 chars"},
      {"%", "LIKE wildcard %"},
      {"_", "LIKE wildcard _"},
      {"50%off", "% inside a word"},
      {"e_c", "_ between words"},
      {"\\", "backslash"},
  };
  size_t nterms = sizeof terms / sizeof terms[0];
  samples all = {0};
  double max_median = 0, min_speedup = INFINITY;
  for (size_t t = 0; t < nterms; t++) {
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.search = terms[t].term;
    char *pattern = like_contains(terms[t].term);
    const char *args[1] = {pattern};
    char what[128];
    snprintf(what, sizeof what, "search '%s'", terms[t].term);
    /* Past the prepare and the plan cache's first custom plans. */
    for (int i = 0; i < 6; i++) {
      vals a = list_vals(b->h, &p, TECHMV_PATH_VIEW, NULL, what);
      vals_free(&a);
    }
    samples naive = {0}, fast = {0};
    for (int r = 0; r < b->pl.search_rounds; r++) {
      vals slow =
          params_vals(b->conn, NAIVE_SEARCH, 1, args, PAGE_LIMIT, &naive, what);
      for (int k = 0; k < b->pl.search_per_naive; k++) {
        vals got = list_vals(b->h, &p, TECHMV_PATH_VIEW, &fast, what);
        expect_same(what, "naive SQL", &slow, "techmv_list", &got);
        vals_free(&got);
      }
      vals_free(&slow);
    }
    double speedup = median(&naive) / median(&fast);
    char padded[64], name[128];
    pad_utf8(padded, sizeof padded, terms[t].term, 12);
    snprintf(name, sizeof name, "search %s %s", padded, terms[t].kind);
    report(name, &fast, "x faster than naive SQL", speedup);
    report("  naive SQL", &naive, NULL, 0);
    samples_append(&all, &fast);
    if (median(&fast) > max_median)
      max_median = median(&fast);
    if (speedup < min_speedup)
      min_speedup = speedup;
    samples_free(&naive);
    samples_free(&fast);
    free(pattern);
  }
  b->r.search_p95_ms = quantile(&all, 0.95);
  b->r.search_max_ms = max_median;
  b->r.search_min_speedup = min_speedup;
  report("search, all terms", &all, "x: least speedup over naive", min_speedup);
  samples_free(&all);
}

/* 5. Deep pages: OFFSET reads and drops every row before the page, the
 * cursor seeks to it. The depths of one way are measured in rotation with
 * each other, not beside the other way, so that a slow deep OFFSET does not
 * leave its after-effects (caches, CPU state) on the cursor call that
 * follows it. */
static void bench_deep(bench *b) {
  enum { DEPTHS = 3 };
  int64_t depths[DEPTHS] = {0, 10000, 50000};
  int64_t deepest = b->r.distinct_values - PAGE_LIMIT - 1;
  techmv_list_params po[DEPTHS], pc[DEPTHS];
  char *after[DEPTHS] = {NULL};
  char what[DEPTHS][64];
  samples off[DEPTHS], cur[DEPTHS];
  memset(off, 0, sizeof off);
  memset(cur, 0, sizeof cur);
  for (int d = 0; d < DEPTHS; d++) {
    int64_t depth = depths[d] < deepest ? depths[d] : deepest;
    if (depth < 0)
      depth = 0;
    depths[d] = depth;
    static const techmv_list_params init = TECHMV_LIST_PARAMS_INIT;
    po[d] = pc[d] = init;
    po[d].offset = depth;
    if (depth > 0) {
      techmv_list_params one = init;
      one.offset = depth - 1;
      one.limit = 1;
      techmv_page *pg =
          list_timed(b->h, &one, TECHMV_PATH_VIEW, NULL, "cursor value");
      after[d] = xstrdup(techmv_page_value(pg, 0));
      techmv_page_free(pg);
    }
    pc[d].after = after[d];
    snprintf(what[d], sizeof what[d], "depth %" PRId64, depth);
    /* Warm, and the same page both ways. */
    for (int i = 0; i < 5; i++) {
      vals a = list_vals(b->h, &po[d], TECHMV_PATH_VIEW, NULL, what[d]);
      vals c = list_vals(b->h, &pc[d], TECHMV_PATH_VIEW, NULL, what[d]);
      expect_same(what[d], "offset", &a, "cursor", &c);
      vals_free(&a);
      vals_free(&c);
    }
  }
  for (int i = 0; i < b->pl.deep_calls; i++)
    for (int d = 0; d < DEPTHS; d++) {
      vals c = list_vals(b->h, &pc[d], TECHMV_PATH_VIEW, &cur[d], what[d]);
      vals_free(&c);
    }
  for (int i = 0; i < b->pl.deep_calls; i++)
    for (int d = 0; d < DEPTHS; d++) {
      vals a = list_vals(b->h, &po[d], TECHMV_PATH_VIEW, &off[d], what[d]);
      vals_free(&a);
    }
  for (int d = 0; d < DEPTHS; d++) {
    char name[96];
    snprintf(name, sizeof name, "page at depth %" PRId64 ": offset", depths[d]);
    report(name, &off[d], NULL, 0);
    snprintf(name, sizeof name, "page at depth %" PRId64 ": cursor", depths[d]);
    report(name, &cur[d], "x faster than offset",
           median(&off[d]) / median(&cur[d]));
  }
  b->r.cursor_deep_vs_first = median(&cur[DEPTHS - 1]) / median(&cur[0]);
  b->r.offset_deep_vs_first = median(&off[DEPTHS - 1]) / median(&off[0]);
  report_value("deepest page / first page", "cursor %.2f, offset %.2f",
               b->r.cursor_deep_vs_first, b->r.offset_deep_vs_first);
  for (int d = 0; d < DEPTHS; d++) {
    samples_free(&off[d]);
    samples_free(&cur[d]);
    free(after[d]);
  }
}

/* 6. Company filter: always the source table; the library should cost what
 * the bare SQL costs. Ids are spread evenly over 1..companies (repeating
 * when there are fewer companies than ids). */
static void bench_company(bench *b) {
  static const size_t sizes[3] = {1, 100, 10000};
  for (int s = 0; s < 3; s++) {
    size_t n = sizes[s];
    int64_t *ids = xmalloc(n * sizeof *ids);
    char *lit = xmalloc(n * 22 + 3), *o = lit;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
      ids[i] = 1 + (int64_t)((uint64_t)i * (uint64_t)b->r.companies / n);
      o += sprintf(o, "%s%" PRId64, i ? "," : "", ids[i]);
    }
    strcpy(o, "}");
    const char *args[1] = {lit};
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.company_ids = ids;
    p.company_count = n;
    char what[64];
    snprintf(what, sizeof what, "company filter, %zu ids", n);
    for (int i = 0; i < 6; i++) {
      vals a = list_vals(b->h, &p, TECHMV_PATH_BASE, NULL, what);
      vals_free(&a);
    }
    samples bare = {0}, fast = {0};
    for (int i = 0; i < b->pl.company_calls[s]; i++) {
      vals slow =
          params_vals(b->conn, NAIVE_COMPANY, 1, args, PAGE_LIMIT, &bare, what);
      vals got = list_vals(b->h, &p, TECHMV_PATH_BASE, &fast, what);
      expect_same(what, "bare SQL", &slow, "techmv_list", &got);
      vals_free(&slow);
      vals_free(&got);
    }
    char name[96];
    snprintf(name, sizeof name, "company filter %zu ids: bare SQL", n);
    report(name, &bare, NULL, 0);
    snprintf(name, sizeof name, "company filter %zu ids: techmv_list", n);
    report(name, &fast, "techmv/bare SQL", median(&fast) / median(&bare));
    b->r.company_ms[s] = median(&fast);
    samples_free(&bare);
    samples_free(&fast);
    free(ids);
    free(lit);
  }
}

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
  techmv_list_params p = page_params(TECHMV_ORDER_ASC);
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
    /* The data does not change, so every page must be the reference page,
     * which the naive ORDER BY produced: sorted and without duplicates. */
    vals got = vals_of_page(pg);
    int ok = vals_equal(&got, rd->ref);
    for (size_t i = 1; ok && i < got.n; i++)
      ok = strcmp(got.v[i - 1], got.v[i]) != 0;
    if (!ok)
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

static void sleep_ms(double ms) {
  struct timespec ts = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

static double refresh_timed(bench *b) {
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  double t0 = now_ms();
  int rc = techmv_refresh(b->h, NULL, &info);
  double t1 = now_ms();
  if (rc != TECHMV_OK)
    die("techmv_refresh: %s: %s", techmv_rc_string(rc), techmv_errmsg(b->h));
  if (!info.concurrently)
    die("techmv_refresh did not refresh concurrently");
  if (info.rows != b->r.distinct_values)
    die("techmv_refresh: %" PRId64 " rows afterwards instead of %" PRId64,
        info.rows, b->r.distinct_values);
  return t1 - t0;
}

/* 7. Refresh: the library's refresh function against the bare statement,
 * then what a concurrent refresh does to a reader's latency. */
static void bench_refresh(bench *b) {
  samples lib = {0}, bare = {0};
  for (int r = 0; r < b->pl.refresh_rounds; r++) {
    /* Alternating who goes first: the first refresh after a pause finds
     * colder caches. */
    for (int k = 0; k < 2; k++) {
      if ((r + k) % 2 == 0) {
        samples_add(&lib, refresh_timed(b));
      } else {
        double t0 = now_ms();
        PQclear(exec_or_die(
            b->conn,
            "REFRESH MATERIALIZED VIEW CONCURRENTLY mv_distinct_technologies",
            "REFRESH MATERIALIZED VIEW CONCURRENTLY"));
        samples_add(&bare, now_ms() - t0);
      }
    }
  }
  b->r.refresh_vs_sql = median(&lib) / median(&bare);
  report("refresh: REFRESH ... CONCURRENTLY", &bare, NULL, 0);
  report("refresh: techmv_refresh", &lib, "techmv/bare SQL",
         b->r.refresh_vs_sql);
  samples_free(&lib);
  samples_free(&bare);

  reader rd;
  memset(&rd, 0, sizeof rd);
  rd.conn = connect_or_die(b->conninfo);
  rd.h = open_or_die(rd.conn);
  rd.ref = &b->ref_asc;
  techmv_list_params p = page_params(TECHMV_ORDER_ASC);
  for (int i = 0; i < 20; i++) {
    vals a = list_vals(rd.h, &p, TECHMV_PATH_VIEW, NULL, "reader");
    vals_free(&a);
  }
  pthread_t tid;
  reader_start(&rd, &tid);
  double busy = refresh_timed(b);
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
  b->r.reader_p99_ratio = p99_during / p99_idle;
  b->r.reader_errors = errors;
  report("reader during a concurrent refresh", &during, NULL, 0);
  report("reader, idle, same duration", &idle, NULL, 0);
  report_value("reader p99: during refresh / idle", "%.3f / %.3f ms = %.2f",
               p99_during, p99_idle, b->r.reader_p99_ratio);
  report_value("reader errors during refresh", "%ld", errors);
  samples_free(&during);
  samples_free(&idle);
  if (errors > 0)
    die("the reader got %ld errors; the first: %s", errors, first_error);
  if (bad > 0) {
    fflush(stdout);
    fprintf(stderr,
            "techmv-bench: the reader got %ld pages that differ from the "
            "reference page, are unsorted or hold duplicates\n",
            bad);
    exit(2);
  }
}

/* 8. Memory: what a handle and a call allocate. The library keeps libpq's
 * result and copies no values out of it, so a call should cost a raw
 * PQexecPrepared and a few bytes more. */
static void bench_memory(bench *b) {
  if (!COUNT_ALLOCS) {
    b->r.bytes_per_handle = b->r.bytes_per_list_call = NAN;
    b->r.bytes_per_raw_call = NAN;
    report_value("allocations", "not counted in this build (sanitizer)");
    return;
  }
  int n = b->pl.alloc_calls;
  alloc_count handle = {0, 0, 0};
  for (int i = 0; i < 10; i++) {
    techmv *h;
    alloc_begin();
    int rc = techmv_open(b->conn, NULL, &h);
    alloc_count c = alloc_end();
    if (rc != TECHMV_OK)
      die("techmv_open: %s", techmv_rc_string(rc));
    handle.bytes += c.bytes;
    handle.calls += c.calls;
    handle.held += c.held;
    techmv_close(h);
  }
  techmv_list_params p = page_params(TECHMV_ORDER_ASC);
  static const char *const args[2] = {"26", "50"};
  alloc_count list = {0, 0, 0}, raw = {0, 0, 0};
  for (int i = 0; i < n; i++) {
    techmv_page *pg;
    alloc_begin();
    int rc = techmv_list(b->h, &p, &pg);
    alloc_count c = alloc_end();
    if (rc != TECHMV_OK)
      die("techmv_list: %s: %s", techmv_rc_string(rc), techmv_errmsg(b->h));
    techmv_page_free(pg);
    list.bytes += c.bytes;
    list.calls += c.calls;
    list.held += c.held;

    alloc_begin();
    PGresult *res = PQexecPrepared(b->conn, RAW_STMT, 2, args, NULL, NULL, 0);
    c = alloc_end();
    check_tuples(b->conn, res, "PQexecPrepared");
    PQclear(res);
    raw.bytes += c.bytes;
    raw.calls += c.calls;
    raw.held += c.held;
  }
  b->r.bytes_per_handle = (double)handle.bytes / 10;
  b->r.bytes_per_list_call = (double)list.bytes / n;
  b->r.bytes_per_raw_call = (double)raw.bytes / n;
  report_value("allocated by techmv_open",
               "%.0f bytes in %.1f allocations, %.0f held",
               b->r.bytes_per_handle, (double)handle.calls / 10,
               (double)handle.held / 10);
  report_value("allocated by techmv_list (view page)",
               "%.0f bytes in %.1f allocations, %.0f held until freed",
               b->r.bytes_per_list_call, (double)list.calls / n,
               (double)list.held / n);
  report_value("allocated by PQexecPrepared, same SQL",
               "%.0f bytes in %.1f allocations, %.0f held until freed",
               b->r.bytes_per_raw_call, (double)raw.calls / n,
               (double)raw.held / n);
}

static void json_number(const char *key, double v, int last) {
  if (isnan(v) || isinf(v))
    printf("\"%s\":null%s", key, last ? "" : ",");
  else
    printf("\"%s\":%.6g%s", key, v, last ? "" : ",");
}

static void print_json(const results *r) {
  putchar('{');
  printf("\"companies\":%" PRId64 ",", r->companies);
  printf("\"distinct_values\":%" PRId64 ",", r->distinct_values);
  json_number("unfiltered_speedup", r->unfiltered_speedup, 0);
  json_number("overhead_vs_raw_prepared", r->overhead_vs_raw_prepared, 0);
  json_number("vs_unprepared", r->vs_unprepared, 0);
  json_number("calls_per_s_1conn", r->calls_per_s_1conn, 0);
  json_number("calls_per_s_2conn", r->calls_per_s_2conn, 0);
  json_number("pgbench_prepared_tps_1conn", r->pgbench_tps, 0);
  printf("\"first_call_round_trips\":%d,", r->first_call_round_trips);
  printf("\"warm_call_round_trips\":%d,", r->warm_call_round_trips);
  json_number("first_call_ms", r->first_call_ms, 0);
  json_number("warm_call_ms", r->warm_call_ms, 0);
  json_number("search_p95_ms", r->search_p95_ms, 0);
  json_number("search_max_ms", r->search_max_ms, 0);
  json_number("search_min_speedup", r->search_min_speedup, 0);
  json_number("cursor_deep_vs_first", r->cursor_deep_vs_first, 0);
  json_number("offset_deep_vs_first", r->offset_deep_vs_first, 0);
  printf("\"company_filter_ms\":{");
  json_number("1", r->company_ms[0], 0);
  json_number("100", r->company_ms[1], 0);
  json_number("10000", r->company_ms[2], 1);
  printf("},");
  json_number("refresh_vs_sql", r->refresh_vs_sql, 0);
  json_number("reader_p99_during_refresh_vs_idle", r->reader_p99_ratio, 0);
  printf("\"reader_errors_during_refresh\":%ld,", r->reader_errors);
  json_number("bytes_per_handle", r->bytes_per_handle, 0);
  json_number("bytes_per_list_call", r->bytes_per_list_call, 0);
  json_number("bytes_per_raw_call", r->bytes_per_raw_call, 0);
  printf("\"peak_rss_kb\":%ld}\n", r->peak_rss_kb);
}

static void usage(FILE *f) {
  fputs("usage: techmv-bench [--quick] CONNINFO\n"
        "  CONNINFO: a database holding sql/sample_data.sql's companies and\n"
        "  the installed, populated view (see bench/run.sh).\n"
        "  --quick: few iterations, a smoke test for a small sample.\n",
        f);
}

int main(int argc, char **argv) {
  bench b;
  memset(&b, 0, sizeof b);
  b.pl = FULL_PLAN;
  const char *conninfo = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      b.pl = QUICK_PLAN;
    } else if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (conninfo == NULL && argv[i][0] != '-') {
      conninfo = argv[i];
    } else {
      usage(stderr);
      return 1;
    }
  }
  if (conninfo == NULL) {
    usage(stderr);
    return 1;
  }
  b.conninfo = conninfo;
  b.conn = connect_or_die(conninfo);
  b.h = open_or_die(b.conn);

  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  int rc = techmv_status(b.h, &st);
  if (rc != TECHMV_OK)
    die("techmv_status: %s: %s", techmv_rc_string(rc), techmv_errmsg(b.h));
  if (!st.installed || !st.populated)
    die("the view is %s; run sql/install.sql first",
        st.installed ? "not populated" : "not installed");
  b.r.companies = query_int(b.conn, "SELECT count(*) FROM companies");
  b.r.distinct_values = st.rows;

  printf("libtechmv %s, server %d, %" PRId64 " companies, %" PRId64
         " distinct values%s\n",
         techmv_version(), PQserverVersion(b.conn), b.r.companies,
         b.r.distinct_values, b.pl.quick ? ", quick run" : "");
  table_header();

  bench_unfiltered(&b);
  bench_per_call(&b);
  bench_first_call(&b);
  bench_search(&b);
  bench_deep(&b);
  bench_company(&b);
  bench_memory(&b);
  /* Last, so that the refreshes' load on the server and on the view's pages
   * cannot sway the other measurements. */
  bench_refresh(&b);

  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  b.r.peak_rss_kb = ru.ru_maxrss;
  report_value("peak RSS", "%ld kB", b.r.peak_rss_kb);

  vals_free(&b.ref_asc);
  techmv_close(b.h);
  PQfinish(b.conn);
  print_json(&b.r);
  return 0;
}
