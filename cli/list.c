/* SPDX-License-Identifier: PostgreSQL */
/* techmv list: one page of values, as text (COPY's escaping), NUL-separated
 * or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum {
  OPT_SEARCH = OPT_FIRST_PRIVATE,
  OPT_AFTER,
  OPT_OFFSET,
  OPT_LIMIT,
  OPT_DESC,
  OPT_COMPANY,
  OPT_ALL,
  OPT_BASE,
  OPT_FORMAT
};

enum { FMT_TEXT, FMT_NUL, FMT_JSON };

static void help(FILE *f) {
  fprintf(f,
          "techmv list prints one page of the distinct technologies.\n"
          "\n"
          "Usage:\n"
          "  techmv list [OPTION]... [DBNAME]\n"
          "\n"
          "Page options:\n"
          "      --search=TEXT    case-insensitive substring, taken "
          "literally\n"
          "      --after=VALUE    keyset cursor: only values after VALUE "
          "(the\n"
          "                       \"cursor\" of the previous page)\n"
          "      --offset=N       values to skip, 0..%d (default: 0)\n"
          "      --limit=N        page size, 1..%d (default: 25)\n"
          "      --desc           descending order\n"
          "      --company=ID     only the technologies of this company "
          "(repeatable)\n"
          "      --all            one row per company and technology, not "
          "distinct\n"
          "      --base           read the source table, not the view\n"
          "\n"
          "Output options:\n"
          "      --format=FORMAT  text (default) or json\n"
          "  -0, --print0         each value raw and followed by a NUL byte\n"
          "  Text output is one value per line with COPY's text escaping: "
          "\\\\, \\n,\n"
          "  \\r, \\t, \\b, \\f and \\v stand for a backslash, newline, "
          "carriage return,\n"
          "  tab, backspace, form feed and vertical tab.\n"
          "  JSON: {\"values\":[...],\"has_more\":BOOL,\"path\":"
          "\"view|base|fallback\",\n"
          "  \"cursor\":VALUE|null}. With --verbose, text output is followed "
          "on\n"
          "  standard error by the path, has_more and the cursor.\n",
          TECHMV_OFFSET_MAX, TECHMV_LIMIT_MAX);
  cli_help_connection(f);
  cli_help_common(f);
  cli_help_exit(f);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_json(FILE *f, const techmv_page *page) {
  fputs("{\"values\":[", f);
  for (size_t i = 0; i < techmv_page_count(page); i++) {
    if (i > 0)
      putc(',', f);
    out_json_string(f, techmv_page_value(page, i),
                    techmv_page_value_length(page, i));
  }
  fprintf(f, "],\"has_more\":%s,\"path\":\"%s\",\"cursor\":",
          techmv_page_has_more(page) ? "true" : "false",
          techmv_path_string(techmv_page_path(page)));
  const char *cursor = techmv_page_cursor(page);
  if (cursor == NULL)
    fputs("null", f);
  else
    out_json_string(f, cursor, strlen(cursor));
  fputs("}\n", f);
}

int cmd_list(int argc, char **argv) {
  cli_common c = {.progname = "techmv list"};
  techmv_config init = TECHMV_CONFIG_INIT;
  c.config = init;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  int64_t *ids = NULL;
  size_t nids = 0;
  int format = FMT_TEXT;
  int status = CLI_EXIT_OK;
  static const struct option opts[] = {
      CLI_COMMON_LONGOPTS,
      {"search", required_argument, NULL, OPT_SEARCH},
      {"after", required_argument, NULL, OPT_AFTER},
      {"offset", required_argument, NULL, OPT_OFFSET},
      {"limit", required_argument, NULL, OPT_LIMIT},
      {"desc", no_argument, NULL, OPT_DESC},
      {"company", required_argument, NULL, OPT_COMPANY},
      {"all", no_argument, NULL, OPT_ALL},
      {"base", no_argument, NULL, OPT_BASE},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"print0", no_argument, NULL, '0'},
      {NULL, 0, NULL, 0}};
  if (cli_help_first(argc, argv, help))
    return CLI_EXIT_OK;
  argv[0] = (char *)c.progname; /* getopt's own messages name it */
  int opt;
  while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "0", opts,
                            NULL)) != -1) {
    int64_t n;
    switch (cli_common_option(&c, opt, optarg, help, &status)) {
    case CLI_OPT_TAKEN:
      continue;
    case CLI_OPT_EXIT:
      goto out;
    default:
      break;
    }
    switch (opt) {
    case OPT_SEARCH:
      p.search = optarg;
      break;
    case OPT_AFTER:
      p.after = optarg;
      break;
    case OPT_OFFSET:
      if ((status = cli_parse_int64(&c, "--offset", optarg, 0,
                                    TECHMV_OFFSET_MAX, &n)) != 0)
        goto out;
      p.offset = n;
      break;
    case OPT_LIMIT:
      if ((status = cli_parse_int64(&c, "--limit", optarg, 1, TECHMV_LIMIT_MAX,
                                    &n)) != 0)
        goto out;
      p.limit = n;
      break;
    case OPT_DESC:
      p.order = TECHMV_ORDER_DESC;
      break;
    case OPT_COMPANY: {
      if ((status = cli_parse_int64(&c, "--company", optarg, INT64_MIN,
                                    INT64_MAX, &n)) != 0)
        goto out;
      if (nids == TECHMV_COMPANIES_MAX) {
        status = cli_usage_error(&c, "at most %d --company options",
                                 TECHMV_COMPANIES_MAX);
        goto out;
      }
      int64_t *grown = realloc(ids, (nids + 1) * sizeof *ids);
      if (grown == NULL) {
        fprintf(stderr, "%s: error: out of memory\n", c.progname);
        status = CLI_EXIT_REFUSED;
        goto out;
      }
      ids = grown;
      ids[nids++] = n;
      break;
    }
    case OPT_ALL:
      p.distinct = 0;
      break;
    case OPT_BASE:
      p.source = TECHMV_SOURCE_BASE;
      break;
    case OPT_FORMAT:
      if (strcmp(optarg, "text") == 0)
        format = format == FMT_NUL ? FMT_NUL : FMT_TEXT;
      else if (strcmp(optarg, "json") == 0)
        format = FMT_JSON;
      else {
        status = cli_usage_error(&c,
                                 "invalid value \"%s\" for option --format "
                                 "(text or json)",
                                 optarg);
        goto out;
      }
      break;
    case '0':
      format = FMT_NUL;
      break;
    default:
      status = cli_usage_error(&c, "invalid option");
      goto out;
    }
  }
  if ((status = cli_positional(&c, argc, argv, optind)) != 0)
    goto out;
  if (c.quiet) {
    status = cli_usage_error(&c, "--quiet does not apply to list");
    goto out;
  }
  if (p.after != NULL && !p.distinct) {
    status = cli_usage_error(&c, "--after needs distinct values (not --all)");
    goto out;
  }
  p.company_ids = ids;
  p.company_count = nids;
  c.utf8 = format == FMT_JSON;

  PGconn *conn;
  techmv *h;
  if ((status = cli_connect(&c, &conn, &h, NULL, 0)) != 0)
    goto out;
  techmv_page *page = NULL;
  double t0 = now_ms();
  int rc = techmv_list(h, &p, &page);
  double took = now_ms() - t0;
  if (rc != TECHMV_OK) {
    status = cli_fail(&c, h, rc, "could not list");
  } else {
    size_t count = techmv_page_count(page);
    if (format == FMT_JSON) {
      print_json(stdout, page);
    } else {
      for (size_t i = 0; i < count; i++) {
        const char *v = techmv_page_value(page, i);
        size_t len = techmv_page_value_length(page, i);
        if (format == FMT_NUL) {
          fwrite(v, 1, len, stdout);
          putchar('\0');
        } else {
          out_text_value(stdout, v, len);
          putchar('\n');
        }
      }
    }
    if (c.verbose) {
      const char *cursor = techmv_page_cursor(page);
      fprintf(stderr,
              "%s: %zu values from the %s path in %.3f ms, "
              "has_more=%s, cursor=",
              c.progname, count, techmv_path_string(techmv_page_path(page)),
              took, techmv_page_has_more(page) ? "true" : "false");
      if (cursor == NULL)
        fputs("null", stderr);
      else
        out_json_string(stderr, cursor, strlen(cursor));
      fputc('\n', stderr);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
      fprintf(stderr, "%s: error: could not write the output\n", c.progname);
      status = CLI_EXIT_REFUSED;
    }
  }
  techmv_page_free(page);
  techmv_close(h);
  PQfinish(conn);
out:
  free(ids);
  return status;
}
