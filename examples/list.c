/* techmv-list: print one page of distinct technologies.
 *
 *   techmv-list [options] CONNINFO
 *
 * The values go to standard output, one per line, then a summary line
 * starting with '#': the path that served the page, has_more, the cursor for
 * the next page and the time the call took. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <techmv.h>

static void usage(FILE *f) {
  fprintf(f, "usage: techmv-list [options] CONNINFO\n"
             "  --limit N        page size (default 25)\n"
             "  --offset N       rows to skip (default 0)\n"
             "  --after VALUE    keyset cursor: values after VALUE\n"
             "  --search TEXT    case-insensitive substring, taken literally\n"
             "  --company ID     only these companies (repeatable)\n"
             "  --desc           descending order\n"
             "  --all            every occurrence, not distinct values\n"
             "  --base           read the source table, not the view\n"
             "  --view NAME      view name (default mv_distinct_technologies)\n"
             "  --schema NAME    schema of the view and the source table\n"
             "  --repeat N       run the call N times, report the fastest\n");
}

static int parse_int64(const char *s, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  techmv_config cfg = TECHMV_CONFIG_INIT;
  int64_t *ids = NULL;
  size_t nids = 0;
  int64_t repeat = 1;
  static const struct option opts[] = {
      {"limit", required_argument, NULL, 'l'},
      {"offset", required_argument, NULL, 'o'},
      {"after", required_argument, NULL, 'a'},
      {"search", required_argument, NULL, 's'},
      {"company", required_argument, NULL, 'c'},
      {"desc", no_argument, NULL, 'D'},
      {"all", no_argument, NULL, 'A'},
      {"base", no_argument, NULL, 'B'},
      {"view", required_argument, NULL, 'v'},
      {"schema", required_argument, NULL, 'S'},
      {"repeat", required_argument, NULL, 'r'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    int64_t n;
    switch (c) {
    case 'l':
    case 'o':
    case 'r':
    case 'c':
      if (parse_int64(optarg, &n) != 0) {
        fprintf(stderr, "techmv-list: '%s' is not an integer\n", optarg);
        return 2;
      }
      if (c == 'l')
        p.limit = n;
      else if (c == 'o')
        p.offset = n;
      else if (c == 'r')
        repeat = n < 1 ? 1 : n;
      else {
        int64_t *grown = realloc(ids, (nids + 1) * sizeof *ids);
        if (grown == NULL)
          return 1;
        ids = grown;
        ids[nids++] = n;
      }
      break;
    case 'a':
      p.after = optarg;
      break;
    case 's':
      p.search = optarg;
      break;
    case 'D':
      p.order = TECHMV_ORDER_DESC;
      break;
    case 'A':
      p.distinct = 0;
      break;
    case 'B':
      p.source = TECHMV_SOURCE_BASE;
      break;
    case 'v':
      cfg.view = optarg;
      break;
    case 'S':
      cfg.schema = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind != argc - 1) {
    usage(stderr);
    return 2;
  }
  p.company_ids = ids;
  p.company_count = nids;

  PGconn *conn = PQconnectdb(argv[optind]);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "techmv-list: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return 1;
  }
  techmv *h = NULL;
  int rc = techmv_open(conn, &cfg, &h);
  if (rc != TECHMV_OK) {
    fprintf(stderr, "techmv-list: %s: %s\n", techmv_rc_string(rc),
            techmv_errmsg(h));
    techmv_close(h);
    PQfinish(conn);
    return 1;
  }

  techmv_page *page = NULL;
  double best = 0;
  for (int64_t i = 0; i < repeat; i++) {
    techmv_page_free(page);
    double t0 = now_ms();
    rc = techmv_list(h, &p, &page);
    double t = now_ms() - t0;
    if (rc != TECHMV_OK)
      break;
    if (i == 0 || t < best)
      best = t;
  }
  int status = 0;
  if (rc != TECHMV_OK) {
    fprintf(stderr, "techmv-list: %s: %s\n", techmv_rc_string(rc),
            techmv_errmsg(h));
    status = 1;
  } else {
    for (size_t i = 0; i < techmv_page_count(page); i++)
      puts(techmv_page_value(page, i));
    const char *next = techmv_page_cursor(page);
    printf("# path=%s count=%zu has_more=%d next_after=%s%s%s time_ms=%.3f\n",
           techmv_path_string(techmv_page_path(page)), techmv_page_count(page),
           techmv_page_has_more(page), next ? "'" : "", next ? next : "-",
           next ? "'" : "", best);
  }
  techmv_page_free(page);
  techmv_close(h);
  PQfinish(conn);
  free(ids);
  return status;
}
