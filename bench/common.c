#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- Failing ------------------------------------------------------------ */

void die(const char *fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs("techmv-bench: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL)
    die("out of memory");
  return p;
}

char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(xmalloc(n), s, n);
}

/* ---- Time and statistics ------------------------------------------------ */

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sleep_ms(double ms) {
  struct timespec ts = {(time_t)(ms / 1e3), (long)(fmod(ms, 1e3) * 1e6)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

void samples_add(samples *s, double ms) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 64;
    double *v = realloc(s->v, s->cap * sizeof *v);
    if (v == NULL)
      die("out of memory");
    s->v = v;
  }
  s->v[s->n++] = ms;
}

void samples_append(samples *to, const samples *from) {
  for (size_t i = 0; i < from->n; i++)
    samples_add(to, from->v[i]);
}

void samples_free(samples *s) {
  free(s->v);
  memset(s, 0, sizeof *s);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double quantile(const samples *s, double q) {
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

double median(const samples *s) {
  return quantile(s, 0.5);
}

double p95(const samples *s) {
  return quantile(s, 0.95);
}

double samples_max(const samples *s) {
  double m = s->n ? s->v[0] : NAN;
  for (size_t i = 1; i < s->n; i++)
    if (s->v[i] > m)
      m = s->v[i];
  return m;
}

/* ---- The table ---------------------------------------------------------- */

#define NAME_WIDTH 48

void pad_utf8(char *out, size_t cap, const char *s, int width) {
  int cols = 0;
  /* Characters from U+3000 to U+D7FF (CJK, Hangul: UTF-8 lead bytes E3..ED)
   * take two columns. */
  for (const unsigned char *c = (const unsigned char *)s; *c; c++)
    if ((*c & 0xC0) != 0x80)
      cols += (*c >= 0xE3 && *c <= 0xED) ? 2 : 1;
  snprintf(out, cap, "%s%*s", s, cols < width ? width - cols : 0, "");
}

/* printf pads bytes, not columns: a non-ASCII name would shift its row. */
static void print_name(const char *name) {
  char padded[256];
  pad_utf8(padded, sizeof padded, name, NAME_WIDTH);
  fputs(padded, stdout);
}

void table_header(const char *title) {
  printf("\n%s\n", title);
  printf("%-*s %6s %10s %10s %10s  %s\n", NAME_WIDTH, "measurement", "n",
         "median ms", "p95 ms", "max ms", "note");
  fflush(stdout);
}

void report(const char *name, const samples *s, const char *note, ...) {
  print_name(name);
  printf(" %6zu %10.3f %10.3f %10.3f", s->n, median(s), p95(s), samples_max(s));
  if (note != NULL) {
    va_list ap;
    fputs("  ", stdout);
    va_start(ap, note);
    vprintf(note, ap);
    va_end(ap);
  }
  putchar('\n');
  fflush(stdout);
}

void report_value(const char *name, const char *fmt, ...) {
  va_list ap;
  print_name(name);
  printf(" %6s %10s %10s %10s  ", "-", "-", "-", "-");
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
  fflush(stdout);
}

/* ---- The JSON line ------------------------------------------------------ */

/* Whether the current object or array already holds a member, per level. */
static int json_filled[16];
static int json_depth;

static void json_key(const char *key) {
  if (json_depth > 0 && json_filled[json_depth - 1])
    putchar(',');
  if (json_depth > 0)
    json_filled[json_depth - 1] = 1;
  if (key == NULL)
    return;
  /* Keys are fixed names and labels of our own: no escaping needed. */
  printf("\"%s\":", key);
}

static void json_push(const char *key, char open) {
  json_key(key);
  putchar(open);
  if (json_depth == (int)(sizeof json_filled / sizeof json_filled[0]))
    die("JSON nested too deep");
  json_filled[json_depth++] = 0;
}

void json_open(const char *key) {
  json_push(key, '{');
}

void json_open_array(const char *key) {
  json_push(key, '[');
}

void json_close(void) {
  json_depth--;
  putchar('}');
}

void json_close_array(void) {
  json_depth--;
  putchar(']');
}

void json_num(const char *key, double v) {
  json_key(key);
  if (isnan(v) || isinf(v))
    fputs("null", stdout);
  else
    printf("%.6g", v);
}

void json_int(const char *key, int64_t v) {
  json_key(key);
  printf("%" PRId64, v);
}

void json_str(const char *key, const char *v) {
  json_key(key);
  putchar('"');
  for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
    if (*c == '"' || *c == '\\')
      printf("\\%c", *c);
    else if (*c < 0x20)
      printf("\\u%04x", *c);
    else
      putchar(*c);
  }
  putchar('"');
}

void json_null(const char *key) {
  json_key(key);
  fputs("null", stdout);
}

void json_end_line(void) {
  putchar('\n');
  fflush(stdout);
}

/* ---- Pages as values ---------------------------------------------------- */

void vals_free(vals *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  memset(a, 0, sizeof *a);
}

vals vals_of_result(const PGresult *res, size_t limit) {
  vals a = {0, 0, NULL};
  size_t rows = (size_t)PQntuples(res);
  a.has_more = rows > limit;
  a.n = a.has_more ? limit : rows;
  a.v = xmalloc(a.n * sizeof *a.v);
  for (size_t i = 0; i < a.n; i++)
    a.v[i] = xstrdup(PQgetvalue(res, (int)i, 0));
  return a;
}

vals vals_of_page(const techmv_page *pg) {
  vals a = {0, 0, NULL};
  a.n = techmv_page_count(pg);
  a.has_more = techmv_page_has_more(pg);
  a.v = xmalloc(a.n * sizeof *a.v);
  for (size_t i = 0; i < a.n; i++)
    a.v[i] = xstrdup(techmv_page_value(pg, i));
  return a;
}

int vals_equal(const vals *a, const vals *b) {
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

void expect_same(const char *what, const char *aside, const vals *a,
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

/* ---- Calls -------------------------------------------------------------- */

PGconn *connect_or_die(const char *conninfo) {
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK)
    die("cannot connect: %s", PQerrorMessage(c));
  return c;
}

techmv *open_or_die(PGconn *c) {
  techmv *h;
  int rc = techmv_open(c, NULL, &h);
  if (rc != TECHMV_OK)
    die("techmv_open: %s: %s", techmv_rc_string(rc), techmv_errmsg(h));
  return h;
}

techmv_page *list_timed(techmv *h, const techmv_list_params *p,
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

vals list_vals(techmv *h, const techmv_list_params *p, techmv_path path,
               samples *s, const char *what) {
  techmv_page *pg = list_timed(h, p, path, s, what);
  vals a = vals_of_page(pg);
  techmv_page_free(pg);
  return a;
}

techmv_list_params page_params(techmv_order order, int64_t offset) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = PAGE_LIMIT;
  p.offset = offset;
  p.order = order;
  return p;
}

PGresult *check_tuples(PGconn *c, PGresult *res, const char *what) {
  if (PQresultStatus(res) != PGRES_TUPLES_OK)
    die("%s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(c));
  return res;
}

void exec_command(PGconn *c, const char *sql, const char *what) {
  PGresult *res = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(res);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
    die("%s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(c));
  PQclear(res);
}

int64_t query_int(PGconn *c, const char *sql) {
  PGresult *res = check_tuples(c, PQexec(c, sql), sql);
  int64_t v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  return v;
}

vals params_vals(PGconn *c, const char *sql, int n, const char *const *values,
                 size_t limit, samples *s, const char *what) {
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

vals prepared_vals(PGconn *c, const char *name, int n,
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
