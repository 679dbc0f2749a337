/* SPDX-License-Identifier: PostgreSQL */
/* techmv, the operator's command: shared declarations of its subcommands. */
#ifndef TECHMV_CLI_H
#define TECHMV_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <techmv.h>

/* Exit codes, in the manner of pg_isready. */
enum {
  CLI_EXIT_OK = 0, /* done; healthy */
  CLI_EXIT_REFUSED =
      1,               /* unhealthy, or the server refused or failed the work */
  CLI_EXIT_NOCONN = 2, /* no connection could be made (or it was lost) */
  CLI_EXIT_USAGE = 3   /* bad invocation: nothing was sent to the server */
};

/* What every subcommand accepts: where to connect and which objects to use.
 * The strings point into argv. */
typedef struct cli_common {
  const char *progname; /* "techmv list" and so on, for messages */
  const char *dbname;   /* database name, conninfo string or URI */
  const char *host;
  const char *port;
  const char *username;
  techmv_config config;
  int verbose;
  int quiet;
  int utf8; /* ask the server for UTF-8 (JSON, Prometheus) */
} cli_common;

/* Long option codes shared by every subcommand, above the range of short
 * option characters. */
enum {
  OPT_HELP = 1000,
  OPT_SCHEMA,
  OPT_VIEW,
  OPT_SOURCE_TABLE,
  OPT_SOURCE_COLUMN,
  OPT_ID_COLUMN,
  OPT_STATEMENTS,
  OPT_FIRST_PRIVATE /* subcommands number their own options from here */
};

/* The getopt_long entries and short letters every subcommand shares. */
#define CLI_COMMON_SHORTOPTS "d:h:p:U:vqV"
#define CLI_COMMON_LONGOPTS                                                    \
  {"dbname", required_argument, NULL, 'd'},                                    \
      {"host", required_argument, NULL, 'h'},                                  \
      {"port", required_argument, NULL, 'p'},                                  \
      {"username", required_argument, NULL, 'U'},                              \
      {"verbose", no_argument, NULL, 'v'}, {"quiet", no_argument, NULL, 'q'},  \
      {"help", no_argument, NULL, OPT_HELP},                                   \
      {"version", no_argument, NULL, 'V'},                                     \
      {"schema", required_argument, NULL, OPT_SCHEMA},                         \
      {"view", required_argument, NULL, OPT_VIEW},                             \
      {"source-table", required_argument, NULL, OPT_SOURCE_TABLE},             \
      {"source-column", required_argument, NULL, OPT_SOURCE_COLUMN},           \
      {"id-column", required_argument, NULL, OPT_ID_COLUMN}, {                 \
    "statements", required_argument, NULL, OPT_STATEMENTS                      \
  }

/* Result of cli_common_option(). */
enum { CLI_OPT_TAKEN, CLI_OPT_NOT_MINE, CLI_OPT_EXIT };

/* Handle an option every subcommand shares. On CLI_OPT_EXIT, *status is the
 * exit code (after --help, --version or a bad value). `help` prints the
 * subcommand's help to the given stream. */
int cli_common_option(cli_common *c, int opt, const char *arg,
                      void (*help)(FILE *), int *status);

/* "-?" as the first argument asks for help, as in PostgreSQL's programs
 * (anywhere else getopt would not tell it from an unknown option). Returns
 * nonzero when the help was printed. */
int cli_help_first(int argc, char **argv, void (*help)(FILE *));

/* The one positional argument, DBNAME; returns CLI_EXIT_OK or CLI_EXIT_USAGE
 * after saying why. */
int cli_positional(cli_common *c, int argc, char **argv, int optind_);

/* Complain about a bad invocation the way PostgreSQL's programs do and
 * return CLI_EXIT_USAGE. */
int cli_usage_error(const cli_common *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Strict integer parsing: the whole string, in [min, max]; else a message
 * naming the option and CLI_EXIT_USAGE. */
int cli_parse_int64(const cli_common *c, const char *option, const char *arg,
                    int64_t min, int64_t max, int64_t *out);

/* Connect and open a handle. Returns CLI_EXIT_OK, or the exit code after
 * saying why (CLI_EXIT_NOCONN when the server could not be reached). When
 * `db` is not NULL it receives the name of the database connected to, or
 * meant, even when the connection failed. */
int cli_connect(const cli_common *c, PGconn **conn, techmv **h, char *db,
                size_t dbsize);

/* Map a library result to an exit code and say what went wrong. */
int cli_fail(const cli_common *c, techmv *h, int rc, const char *what);

/* The common part of every subcommand's --help. */
void cli_help_common(FILE *f);
void cli_help_connection(FILE *f);
void cli_help_exit(FILE *f);

int cmd_list(int argc, char **argv);
int cmd_refresh(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* ---- Output (format.c) ---------------------------------------------------
 * Every writer takes the bytes as the server sent them: nothing is assumed
 * about their validity. */

/* COPY TO's text format: backslash, newline, carriage return, tab,
 * backspace, form feed and vertical tab become \\, \n, \r, \t, \b, \f and
 * \v; every other byte as is. */
void out_text_value(FILE *f, const char *s, size_t len);
/* A JSON string, quotes included. Control characters are escaped; bytes
 * that are not valid UTF-8 become U+FFFD, so the output is always valid
 * JSON in UTF-8. */
void out_json_string(FILE *f, const char *s, size_t len);
/* A Prometheus label value, quotes included: \\, \" and \n, and U+FFFD for
 * bytes that are not valid UTF-8. */
void out_label_value(FILE *f, const char *s);
/* A JSON number, or null when !known. Integral doubles print without a
 * fraction; never NaN or infinity. */
void out_json_double(FILE *f, double v, int known);
/* Unix time (seconds, fractional) as RFC 3339 UTC with milliseconds:
 * 2026-11-24T10:04:58.123Z. */
void out_rfc3339(FILE *f, double unix_seconds);

#endif /* TECHMV_CLI_H */
