/* SPDX-License-Identifier: PostgreSQL */
/* techmv status: the view's state as "key: value" lines, one JSON object
 * or Prometheus text exposition, and an exit code a monitor can act on. */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { OPT_FORMAT = OPT_FIRST_PRIVATE, OPT_MAX_AGE };
enum { FMT_TEXT, FMT_JSON, FMT_PROM };

static void help(FILE *f) {
  fprintf(f,
          "techmv status reports the state of the view and exits 1 when it "
          "is\n"
          "unhealthy: not installed, not populated, of an older schema "
          "version,\n"
          "its last refresh attempt failed after the last successful one, "
          "or\n"
          "(with --max-age) the last successful refresh ended too long "
          "ago.\n"
          "\n"
          "Usage:\n"
          "  techmv status [OPTION]... [DBNAME]\n"
          "\n"
          "Status options:\n"
          "      --format=FORMAT   text (default), json or prometheus\n"
          "      --max-age=SECONDS unhealthy when the last successful "
          "refresh\n"
          "                        ended SECONDS or more ago (or never)\n"
          "  JSON: one object, snake_case keys, numbers as numbers, RFC 3339 "
          "UTC\n"
          "  timestamps, null when unknown. Prometheus: gauges named "
          "techmv_*,\n"
          "  labelled with the view and the database; techmv_up 0 (and "
          "exit 2)\n"
          "  when the server cannot be reached.\n");
  cli_help_connection(f);
  cli_help_common(f);
  cli_help_exit(f);
}

/* One reported value, shared by the text and JSON writers. */
enum { V_BOOL, V_INT, V_DOUBLE, V_TIME, V_STRING };
typedef struct field {
  const char *key;
  int type;
  int known;
  int64_t i;
  double d;
  const char *s;
} field;

#define MAX_PROBLEMS 6
typedef struct report {
  const char *view;
  const char *database;
  const char *problems[MAX_PROBLEMS];
  int nproblems;
  char problem_buf[MAX_PROBLEMS][160];
  const techmv_status_info *st;
} report;

__attribute__((format(printf, 2, 3))) static void
add_problem(report *r, const char *fmt, ...) {
  if (r->nproblems == MAX_PROBLEMS)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->problem_buf[r->nproblems], sizeof r->problem_buf[0], fmt, ap);
  va_end(ap);
  r->problems[r->nproblems] = r->problem_buf[r->nproblems];
  r->nproblems++;
}

/* The health rules, in the order an operator would fix them. */
static void judge(report *r, int64_t max_age) {
  const techmv_status_info *st = r->st;
  if (!st->installed) {
    add_problem(r, "not installed");
    return;
  }
  if (!st->populated)
    add_problem(r, "not populated");
  /* 0 means "not made by install.sql" or a library that does not say:
   * only a known older version is a problem (the library refuses it). */
  if (st->schema_installed > 0 && st->schema_installed < st->schema_expected)
    add_problem(r, "schema version %d installed, %d needed",
                st->schema_installed, st->schema_expected);
  if (st->needs_rebuild)
    add_problem(r, "the set needs a rebuild (the source was truncated)");
  if (st->failures_since_last_refresh > 0 ||
      (st->has_last_failure &&
       (!st->has_last_refresh || st->last_failure_at > st->last_refresh_at)))
    add_problem(r, "the last refresh attempt failed");
  if (max_age >= 0) {
    if (!st->has_last_refresh)
      add_problem(r, "no successful refresh is logged");
    else if (st->last_refresh_age_s >= (double)max_age)
      add_problem(r,
                  "the last refresh ended %.0f s ago (--max-age %" PRId64 ")",
                  st->last_refresh_age_s, max_age);
  }
}

static size_t collect(const report *r, field *f) {
  const techmv_status_info *st = r->st;
  size_t n = 0;
#define B(k, v)                                                                \
  f[n++] = (field) {                                                           \
    k, V_BOOL, 1, (v) != 0, 0, NULL                                            \
  }
#define I(k, v, ok)                                                            \
  f[n++] = (field) {                                                           \
    k, V_INT, (ok), (v), 0, NULL                                               \
  }
#define D(k, v, ok)                                                            \
  f[n++] = (field) {                                                           \
    k, V_DOUBLE, (ok), 0, (v), NULL                                            \
  }
#define T(k, v, ok)                                                            \
  f[n++] = (field) {                                                           \
    k, V_TIME, (ok), 0, (v), NULL                                              \
  }
#define S(k, v, ok)                                                            \
  f[n++] = (field) {                                                           \
    k, V_STRING, (ok), 0, 0, (v)                                               \
  }
  int lr = st->has_last_refresh;
  int lf = st->has_last_failure;
  S("view", r->view, 1);
  S("database", r->database, 1);
  B("healthy", r->nproblems == 0);
  B("installed", st->installed);
  B("populated", st->populated);
  I("rows", st->rows, st->rows >= 0);
  I("total_bytes", st->total_bytes, st->total_bytes >= 0);
  I("table_bytes", st->table_bytes, st->table_bytes >= 0);
  I("index_bytes", st->index_bytes, st->index_bytes >= 0);
  T("last_refresh_at", st->last_refresh_at, lr);
  D("last_refresh_duration_ms", st->last_refresh_duration_ms, lr);
  D("last_refresh_age_s", st->last_refresh_age_s, lr);
  f[n++] = (field){"last_refresh_concurrently",        V_BOOL, lr,
                   st->last_refresh_concurrently != 0, 0,      NULL};
  B("refresh_running", st->refresh_running);
  I("refresh_running_pid", st->refresh_running_pid,
    st->refresh_running_pid != 0);
  B("is_standby", st->is_standby);
  D("replay_lag_s", st->replay_lag_s, st->replay_lag_s >= 0);
  I("replay_lag_bytes", st->replay_lag_bytes, st->replay_lag_bytes >= 0);
  B("named_statements", st->named_statements);
  I("schema_installed", st->schema_installed, st->schema_installed > 0);
  I("schema_expected", st->schema_expected, 1);
  I("long_values", st->long_values, st->long_values >= 0);
  T("last_failure_at", st->last_failure_at, lf);
  D("last_failure_age_s", st->last_failure_age_s, lf);
  S("last_failure_sqlstate", st->last_failure_sqlstate,
    lf && st->last_failure_sqlstate[0]);
  S("last_failure_message",
    st->last_failure_message ? st->last_failure_message : "",
    lf && st->last_failure_message != NULL);
  I("failures_since_last_refresh", st->failures_since_last_refresh, 1);
  S("mode", st->mode == TECHMV_MODE_LIVE ? "live" : "view", 1);
  B("needs_rebuild", st->needs_rebuild);
  I("pending_changes", st->pending_changes, st->pending_changes >= 0);
  D("oldest_pending_age_s", st->oldest_pending_age_s,
    st->oldest_pending_age_s >= 0);
#undef B
#undef I
#undef D
#undef T
#undef S
  return n;
}

static void print_text(FILE *out, const report *r) {
  field f[40];
  size_t n = collect(r, f);
  for (size_t k = 0; k < n; k++) {
    fprintf(out, "%s: ", f[k].key);
    if (!f[k].known) {
      fputs("-", out);
    } else {
      switch (f[k].type) {
      case V_BOOL:
        fputs(f[k].i ? "yes" : "no", out);
        break;
      case V_INT:
        fprintf(out, "%" PRId64, f[k].i);
        break;
      case V_DOUBLE:
        fprintf(out, "%.3f", f[k].d);
        break;
      case V_TIME:
        out_rfc3339(out, f[k].d);
        break;
      default:
        out_text_value(out, f[k].s, strlen(f[k].s));
      }
    }
    putc('\n', out);
    if (strcmp(f[k].key, "healthy") == 0)
      for (int p = 0; p < r->nproblems; p++)
        fprintf(out, "problem: %s\n", r->problems[p]);
  }
}

static void print_json(FILE *out, const report *r) {
  field f[40];
  size_t n = collect(r, f);
  putc('{', out);
  for (size_t k = 0; k < n; k++) {
    fprintf(out, "%s\"%s\":", k ? "," : "", f[k].key);
    if (!f[k].known) {
      fputs("null", out);
    } else {
      switch (f[k].type) {
      case V_BOOL:
        fputs(f[k].i ? "true" : "false", out);
        break;
      case V_INT:
        fprintf(out, "%" PRId64, f[k].i);
        break;
      case V_DOUBLE:
        out_json_double(out, f[k].d, 1);
        break;
      case V_TIME:
        putc('"', out);
        out_rfc3339(out, f[k].d);
        putc('"', out);
        break;
      default:
        out_json_string(out, f[k].s, strlen(f[k].s));
      }
    }
    if (strcmp(f[k].key, "healthy") == 0) {
      fputs(",\"problems\":[", out);
      for (int p = 0; p < r->nproblems; p++) {
        if (p)
          putc(',', out);
        out_json_string(out, r->problems[p], strlen(r->problems[p]));
      }
      putc(']', out);
    }
  }
  fputs("}\n", out);
}

/* ---- Prometheus text exposition ----------------------------------------- */

static void prom_family(FILE *out, const char *name, const char *helptext) {
  fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, helptext, name);
}

static void prom_labels(FILE *out, const char *name, const report *r) {
  fprintf(out, "%s{view=", name);
  out_label_value(out, r->view);
  fputs(",database=", out);
  out_label_value(out, r->database);
  putc('}', out);
}

static void prom_int(FILE *out, const char *name, const char *helptext,
                     const report *r, int64_t v, int known) {
  prom_family(out, name, helptext);
  if (!known)
    return;
  prom_labels(out, name, r);
  fprintf(out, " %" PRId64 "\n", v);
}

/* Unix timestamps print to the microsecond the server keeps; other values
 * with 15 significant digits, which a double holds exactly. */
static void prom_double(FILE *out, const char *name, const char *helptext,
                        const report *r, double v, int known) {
  prom_family(out, name, helptext);
  if (!known)
    return;
  prom_labels(out, name, r);
  if (strstr(name, "_timestamp_seconds") != NULL)
    fprintf(out, " %.6f\n", v);
  else
    fprintf(out, " %.15g\n", v);
}

static void print_prom_down(FILE *out, const report *r) {
  prom_int(out, "techmv_up", "Whether the view's status could be read.", r, 0,
           1);
}

static void print_prom(FILE *out, const report *r) {
  const techmv_status_info *st = r->st;
  int lr = st->has_last_refresh;
  prom_int(out, "techmv_up", "Whether the view's status could be read.", r, 1,
           1);
  prom_int(out, "techmv_healthy",
           "Whether techmv status finds the view healthy (exit status 0).", r,
           r->nproblems == 0, 1);
  prom_int(out, "techmv_installed", "Whether the view exists.", r,
           st->installed, 1);
  prom_int(out, "techmv_populated", "Whether the view has been refreshed.", r,
           st->populated, 1);
  prom_int(out, "techmv_rows", "Distinct values the view serves.", r, st->rows,
           st->rows >= 0);
  prom_int(out, "techmv_total_size_bytes",
           "Size of the view, its indexes and TOAST.", r, st->total_bytes,
           st->total_bytes >= 0);
  prom_int(out, "techmv_table_size_bytes", "Size of the view's table.", r,
           st->table_bytes, st->table_bytes >= 0);
  prom_int(out, "techmv_index_size_bytes", "Size of the view's indexes.", r,
           st->index_bytes, st->index_bytes >= 0);
  prom_double(out, "techmv_last_refresh_timestamp_seconds",
              "When the last successful refresh started, Unix time.", r,
              st->last_refresh_at, lr);
  prom_double(out, "techmv_last_refresh_duration_seconds",
              "How long the last successful refresh took.", r,
              st->last_refresh_duration_ms / 1000.0, lr);
  prom_int(out, "techmv_last_refresh_concurrently",
           "Whether the last successful refresh ran concurrently.", r,
           st->last_refresh_concurrently, lr);
  prom_int(out, "techmv_refresh_running", "Whether a refresh is running now.",
           r, st->refresh_running, 1);
  prom_int(out, "techmv_standby", "Whether the server is a hot standby.", r,
           st->is_standby, 1);
  prom_double(out, "techmv_replay_lag_seconds",
              "Standby: time since the last replayed transaction committed "
              "on the primary.",
              r, st->replay_lag_s, st->replay_lag_s >= 0);
  prom_int(out, "techmv_replay_lag_bytes",
           "Standby: WAL received but not yet replayed.", r,
           st->replay_lag_bytes, st->replay_lag_bytes >= 0);
  prom_int(out, "techmv_named_statements",
           "Whether the connection uses named prepared statements.", r,
           st->named_statements, 1);
  prom_int(out, "techmv_schema_version_installed",
           "Schema version of the installed database objects.", r,
           st->schema_installed, st->schema_installed > 0);
  prom_int(out, "techmv_schema_version_expected",
           "Schema version the library needs.", r, st->schema_expected, 1);
  prom_int(out, "techmv_long_values",
           "Distinct values left out at the last refresh for their length.", r,
           st->long_values, st->long_values >= 0);
  prom_family(out, "techmv_last_failure_timestamp_seconds",
              "When the last failed refresh attempt started, Unix time; "
              "sqlstate says why.");
  if (st->has_last_failure) {
    fputs("techmv_last_failure_timestamp_seconds{view=", out);
    out_label_value(out, r->view);
    fputs(",database=", out);
    out_label_value(out, r->database);
    fputs(",sqlstate=", out);
    out_label_value(out, st->last_failure_sqlstate);
    fprintf(out, "} %.6f\n", st->last_failure_at);
  }
  prom_int(out, "techmv_failures_since_last_refresh",
           "Failed refresh attempts since the last successful refresh.", r,
           st->failures_since_last_refresh, 1);
  prom_int(out, "techmv_live",
           "Whether the set is kept live (1) or as a materialized view (0).", r,
           st->mode == TECHMV_MODE_LIVE, 1);
  prom_int(out, "techmv_needs_rebuild",
           "Live mode: whether the next refresh rebuilds the set.", r,
           st->needs_rebuild, 1);
  prom_int(out, "techmv_pending_changes",
           "Live mode: committed changes not yet applied to the set.", r,
           st->pending_changes, st->pending_changes >= 0);
  prom_double(out, "techmv_oldest_pending_age_seconds",
              "Live mode: age of the oldest change not yet applied.", r,
              st->oldest_pending_age_s, st->oldest_pending_age_s >= 0);
}

int cmd_status(int argc, char **argv) {
  cli_common c = {.progname = "techmv status"};
  techmv_config init = TECHMV_CONFIG_INIT;
  c.config = init;
  int format = FMT_TEXT;
  int64_t max_age = -1;
  int status = CLI_EXIT_OK;
  static const struct option opts[] = {
      CLI_COMMON_LONGOPTS,
      {"format", required_argument, NULL, OPT_FORMAT},
      {"max-age", required_argument, NULL, OPT_MAX_AGE},
      {NULL, 0, NULL, 0}};
  if (cli_help_first(argc, argv, help))
    return CLI_EXIT_OK;
  argv[0] = (char *)c.progname;
  int opt;
  while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts, NULL)) !=
         -1) {
    switch (cli_common_option(&c, opt, optarg, help, &status)) {
    case CLI_OPT_TAKEN:
      continue;
    case CLI_OPT_EXIT:
      return status;
    default:
      break;
    }
    switch (opt) {
    case OPT_FORMAT:
      if (strcmp(optarg, "text") == 0)
        format = FMT_TEXT;
      else if (strcmp(optarg, "json") == 0)
        format = FMT_JSON;
      else if (strcmp(optarg, "prometheus") == 0)
        format = FMT_PROM;
      else
        return cli_usage_error(&c,
                               "invalid value \"%s\" for option --format "
                               "(text, json or prometheus)",
                               optarg);
      break;
    case OPT_MAX_AGE:
      /* A century in seconds is plenty and keeps the comparison exact. */
      if ((status = cli_parse_int64(&c, "--max-age", optarg, 0,
                                    INT64_C(3153600000), &max_age)) != 0)
        return status;
      break;
    default:
      return cli_usage_error(&c, "invalid option");
    }
  }
  if ((status = cli_positional(&c, argc, argv, optind)) != 0)
    return status;
  c.utf8 = format != FMT_TEXT;

  /* The view label names what was asked for, so a series keeps its labels
   * whether the server answers or not. */
  char view[2 * 256 + 2];
  const char *vname =
      c.config.view ? c.config.view : "mv_distinct_technologies";
  if (c.config.schema)
    snprintf(view, sizeof view, "%s.%s", c.config.schema, vname);
  else
    snprintf(view, sizeof view, "%s", vname);
  char database[256] = "";
  report r = {.view = view, .database = database};

  PGconn *conn;
  techmv *h;
  status = cli_connect(&c, &conn, &h, database, sizeof database);
  if (status != CLI_EXIT_OK) {
    if (format == FMT_PROM && status == CLI_EXIT_NOCONN)
      print_prom_down(stdout, &r);
    return status;
  }
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  int rc = techmv_status(h, &st);
  if (rc != TECHMV_OK) {
    status = cli_fail(&c, h, rc, "could not read the status");
    if (format == FMT_PROM)
      print_prom_down(stdout, &r);
  } else {
    r.st = &st;
    judge(&r, max_age);
    if (c.quiet)
      ; /* as pg_isready -q: the exit status is the answer */
    else if (format == FMT_JSON)
      print_json(stdout, &r);
    else if (format == FMT_PROM)
      print_prom(stdout, &r);
    else
      print_text(stdout, &r);
    status = r.nproblems ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
    if (c.verbose)
      for (int p = 0; p < r.nproblems; p++)
        fprintf(stderr, "%s: %s\n", c.progname, r.problems[p]);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: error: could not write the output\n", c.progname);
    status = CLI_EXIT_REFUSED;
  }
  techmv_close(h);
  PQfinish(conn);
  return status;
}
