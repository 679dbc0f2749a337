/* SPDX-License-Identifier: PostgreSQL */
/* techmv: list, refresh and check libtechmv's materialized view, in the
 * manner of PostgreSQL's own client programs (connection options, PG*
 * environment, --help/--version, pg_isready's exit codes). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help_main(FILE *f) {
  fprintf(f,
          "techmv lists, refreshes and checks the materialized view of\n"
          "distinct technologies served by libtechmv.\n"
          "\n"
          "Usage:\n"
          "  techmv COMMAND [OPTION]... [DBNAME]\n"
          "\n"
          "Commands:\n"
          "  list      print one page of values\n"
          "  refresh   refresh the view (concurrently once it is populated)\n"
          "  status    report the view's state; exit 1 when it is unhealthy\n"
          "\n"
          "Options:\n"
          "  -V, --version  output version information, then exit\n"
          "  -?, --help     show this help, then exit\n"
          "\n"
          "Run \"techmv COMMAND --help\" for the options of a command; see "
          "techmv(1).\n");
  cli_help_exit(f);
}

void cli_help_connection(FILE *f) {
  fprintf(f,
          "\nConnection options:\n"
          "  -d, --dbname=DBNAME      database name, connection string or "
          "URI\n"
          "  -h, --host=HOSTNAME      database server host or socket "
          "directory\n"
          "  -p, --port=PORT          database server port\n"
          "  -U, --username=USERNAME  database user name\n"
          "  DBNAME may also be given as the last argument. The PG* "
          "environment\n"
          "  variables and ~/.pgpass apply; techmv never prompts for a "
          "password.\n"
          "\nView options:\n"
          "      --schema=NAME         schema of the view and source table\n"
          "                            (default: the search_path)\n"
          "      --view=NAME           materialized view "
          "(default: mv_distinct_technologies)\n"
          "      --source-table=NAME   source table (default: companies)\n"
          "      --source-column=NAME  its text[] column "
          "(default: technologies)\n"
          "      --id-column=NAME      its id column (default: id)\n"
          "      --statements=MODE     auto, named or unnamed (unnamed behind "
          "a\n"
          "                            transaction pooler; default: auto)\n");
}

void cli_help_common(FILE *f) {
  fprintf(f, "\nOther options:\n"
             "  -v, --verbose  say more on standard error\n"
             "  -q, --quiet    refresh, status: print nothing; the exit status "
             "tells\n"
             "  -V, --version  output version information, then exit\n"
             "  -?, --help     show this help, then exit\n");
}

void cli_help_exit(FILE *f) {
  fprintf(f, "\nExit status:\n"
             "  0  done (status: healthy; refresh --nowait: also when "
             "another\n"
             "     refresh was running and nothing was done)\n"
             "  1  unhealthy (status), or the server refused or failed the "
             "work\n"
             "  2  no connection to the server\n"
             "  3  bad invocation; nothing was sent\n");
}

static void print_version(void) {
  printf("techmv (libtechmv) %s\n", techmv_version());
}

int cli_usage_error(const cli_common *c, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: error: ", c->progname);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry \"%s --help\" for more information.\n", c->progname);
  return CLI_EXIT_USAGE;
}

int cli_parse_int64(const cli_common *c, const char *option, const char *arg,
                    int64_t min, int64_t max, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(arg, &end, 10);
  /* strtoll skips leading blanks and takes a sign; an option value is the
   * number alone. */
  if (end == arg || *end != '\0' || isspace((unsigned char)arg[0]) ||
      arg[0] == '+')
    return cli_usage_error(c, "invalid value \"%s\" for option %s", arg,
                           option);
  if (errno == ERANGE || v < min || v > max)
    return cli_usage_error(c, "%s must be in range %lld..%lld", option,
                           (long long)min, (long long)max);
  *out = v;
  return CLI_EXIT_OK;
}

int cli_common_option(cli_common *c, int opt, const char *arg,
                      void (*help)(FILE *), int *status) {
  switch (opt) {
  case 'd':
    c->dbname = arg;
    break;
  case 'h':
    c->host = arg;
    break;
  case 'p':
    c->port = arg;
    break;
  case 'U':
    c->username = arg;
    break;
  case 'v':
    c->verbose = 1;
    break;
  case 'q':
    c->quiet = 1;
    break;
  case 'V':
    print_version();
    *status = CLI_EXIT_OK;
    return CLI_OPT_EXIT;
  case '?': /* getopt has said what was wrong */
    fprintf(stderr, "Try \"%s --help\" for more information.\n", c->progname);
    *status = CLI_EXIT_USAGE;
    return CLI_OPT_EXIT;
  case OPT_HELP:
    help(stdout);
    *status = CLI_EXIT_OK;
    return CLI_OPT_EXIT;
  case OPT_SCHEMA:
    c->config.schema = arg;
    break;
  case OPT_VIEW:
    c->config.view = arg;
    break;
  case OPT_SOURCE_TABLE:
    c->config.source_table = arg;
    break;
  case OPT_SOURCE_COLUMN:
    c->config.source_column = arg;
    break;
  case OPT_ID_COLUMN:
    c->config.id_column = arg;
    break;
  case OPT_STATEMENTS:
    if (strcmp(arg, "auto") == 0)
      c->config.statements = TECHMV_STATEMENTS_AUTO;
    else if (strcmp(arg, "named") == 0)
      c->config.statements = TECHMV_STATEMENTS_NAMED;
    else if (strcmp(arg, "unnamed") == 0)
      c->config.statements = TECHMV_STATEMENTS_UNNAMED;
    else {
      *status = cli_usage_error(c,
                                "invalid value \"%s\" for option --statements "
                                "(auto, named or unnamed)",
                                arg);
      return CLI_OPT_EXIT;
    }
    break;
  default:
    return CLI_OPT_NOT_MINE;
  }
  return CLI_OPT_TAKEN;
}

int cli_help_first(int argc, char **argv, void (*help)(FILE *)) {
  if (argc > 1 && strcmp(argv[1], "-?") == 0) {
    help(stdout);
    return 1;
  }
  return 0;
}

int cli_positional(cli_common *c, int argc, char **argv, int optind_) {
  if (optind_ < argc) {
    if (c->dbname != NULL)
      return cli_usage_error(c, "database given twice (\"%s\" and \"%s\")",
                             c->dbname, argv[optind_]);
    c->dbname = argv[optind_++];
  }
  if (optind_ < argc)
    return cli_usage_error(c,
                           "too many command-line arguments (first is "
                           "\"%s\")",
                           argv[optind_]);
  return CLI_EXIT_OK;
}

static int looks_like_conninfo(const char *s) {
  return strchr(s, '=') != NULL || strncmp(s, "postgresql://", 13) == 0 ||
         strncmp(s, "postgres://", 11) == 0;
}

int cli_connect(const cli_common *c, PGconn **conn, techmv **h, char *db,
                size_t dbsize) {
  *conn = NULL;
  *h = NULL;
  /* A malformed connection string is a bad invocation, as pg_isready has
   * it, not a server that cannot be reached. */
  if (c->dbname != NULL && looks_like_conninfo(c->dbname)) {
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(c->dbname, &err);
    if (opts == NULL) {
      size_t len = err ? strlen(err) : 0;
      while (len > 0 && err[len - 1] == '\n')
        err[--len] = '\0';
      int st = cli_usage_error(c, "invalid connection string: %s",
                               err ? err : "out of memory");
      PQfreemem(err);
      return st;
    }
    PQconninfoFree(opts);
  }
  /* psql's order: what the connection string says overrides -h, -p and -U;
   * the client encoding comes last so JSON and Prometheus output get UTF-8
   * whatever the string asks for. Text output follows the locale, as psql
   * does, unless PGCLIENTENCODING says otherwise. */
  const char *keys[8];
  const char *vals[8];
  int n = 0;
  keys[n] = "host";
  vals[n++] = c->host;
  keys[n] = "port";
  vals[n++] = c->port;
  keys[n] = "user";
  vals[n++] = c->username;
  keys[n] = "dbname";
  vals[n++] = c->dbname;
  keys[n] = "fallback_application_name";
  vals[n++] = "techmv";
  keys[n] = "client_encoding";
  vals[n++] = c->utf8 ? "UTF8" : getenv("PGCLIENTENCODING") ? NULL : "auto";
  keys[n] = NULL;
  vals[n] = NULL;
  *conn = PQconnectdbParams(keys, vals, 1);
  if (*conn == NULL) {
    fprintf(stderr, "%s: error: out of memory\n", c->progname);
    return CLI_EXIT_REFUSED;
  }
  if (db != NULL && dbsize > 0)
    snprintf(db, dbsize, "%s", PQdb(*conn) ? PQdb(*conn) : "");
  if (PQstatus(*conn) != CONNECTION_OK) {
    fprintf(stderr, "%s: error: %s", c->progname, PQerrorMessage(*conn));
    PQfinish(*conn);
    *conn = NULL;
    return CLI_EXIT_NOCONN;
  }
  /* A SQL_ASCII database holds bytes, not text: the server refuses to send
   * them in any other client encoding unless they happen to be valid in
   * it. Take them as they are; the JSON and Prometheus writers make them
   * valid UTF-8. */
  const char *server_enc = PQparameterStatus(*conn, "server_encoding");
  if (server_enc != NULL && strcmp(server_enc, "SQL_ASCII") == 0 &&
      PQsetClientEncoding(*conn, "SQL_ASCII") != 0) {
    fprintf(stderr, "%s: error: %s", c->progname, PQerrorMessage(*conn));
    PQfinish(*conn);
    *conn = NULL;
    return CLI_EXIT_NOCONN;
  }
  if (c->verbose)
    fprintf(stderr, "%s: connected to database \"%s\" on %s port %s\n",
            c->progname, PQdb(*conn), PQhost(*conn), PQport(*conn));
  int rc = techmv_open(*conn, &c->config, h);
  if (rc != TECHMV_OK) {
    int st = cli_fail(c, *h, rc, "invalid view options");
    techmv_close(*h);
    *h = NULL;
    PQfinish(*conn);
    *conn = NULL;
    return st;
  }
  return CLI_EXIT_OK;
}

int cli_fail(const cli_common *c, techmv *h, int rc, const char *what) {
  const char *msg = techmv_errmsg(h);
  const char *state = techmv_sqlstate(h);
  fprintf(stderr, "%s: error: %s: %s", c->progname, what,
          msg[0] ? msg : techmv_rc_string(rc));
  if (state[0])
    fprintf(stderr, " (SQLSTATE %s)", state);
  fputc('\n', stderr);
  switch (rc) {
  case TECHMV_EINVAL:
    fprintf(stderr, "Try \"%s --help\" for more information.\n", c->progname);
    return CLI_EXIT_USAGE;
  case TECHMV_ECONN:
    return CLI_EXIT_NOCONN;
  default:
    return CLI_EXIT_REFUSED;
  }
}

int main(int argc, char **argv) {
  cli_common top = {.progname = "techmv"};
  if (argc < 2)
    return cli_usage_error(&top, "no command given");
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-?") == 0) {
    help_main(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    print_version();
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "list") == 0)
    return cmd_list(argc - 1, argv + 1);
  if (strcmp(cmd, "refresh") == 0)
    return cmd_refresh(argc - 1, argv + 1);
  if (strcmp(cmd, "status") == 0)
    return cmd_status(argc - 1, argv + 1);
  if (cmd[0] == '-')
    return cli_usage_error(&top,
                           "a command must come first (list, refresh "
                           "or status), not \"%s\"",
                           cmd);
  return cli_usage_error(&top, "unknown command \"%s\"", cmd);
}
