/* SPDX-License-Identifier: PostgreSQL */
/* techmv refresh: refresh the view through its refresh function. Made for
 * cron: with --nowait, a refresh that is already running is the job done by
 * someone else, not a failure. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { OPT_NOWAIT = OPT_FIRST_PRIVATE, OPT_LOCK_TIMEOUT };

static void help(FILE *f) {
  fprintf(f,
          "techmv refresh refreshes the view: concurrently once it is "
          "populated,\n"
          "so readers are never blocked; one refresh at a time; logged.\n"
          "\n"
          "Usage:\n"
          "  techmv refresh [OPTION]... [DBNAME]\n"
          "\n"
          "Refresh options:\n"
          "      --nowait           if another refresh (or any lock) is in "
          "the way,\n"
          "                         do nothing and exit 0 (a message on "
          "standard\n"
          "                         error with --verbose)\n"
          "      --lock-timeout=MS  give up (exit 1) after waiting this many\n"
          "                         milliseconds for the lock, 0..%d "
          "(default: 0,\n"
          "                         no limit)\n"
          "  On success one line on standard output (none with --quiet).\n"
          "  Refresh on the primary: a standby refuses (exit 1).\n",
          INT_MAX);
  cli_help_connection(f);
  cli_help_common(f);
  cli_help_exit(f);
}

int cmd_refresh(int argc, char **argv) {
  cli_common c = {.progname = "techmv refresh"};
  techmv_config init = TECHMV_CONFIG_INIT;
  c.config = init;
  techmv_refresh_options o = TECHMV_REFRESH_OPTIONS_INIT;
  int status = CLI_EXIT_OK;
  static const struct option opts[] = {
      CLI_COMMON_LONGOPTS,
      {"nowait", no_argument, NULL, OPT_NOWAIT},
      {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
      {NULL, 0, NULL, 0}};
  if (cli_help_first(argc, argv, help))
    return CLI_EXIT_OK;
  argv[0] = (char *)c.progname;
  int opt;
  while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS, opts, NULL)) !=
         -1) {
    int64_t n;
    switch (cli_common_option(&c, opt, optarg, help, &status)) {
    case CLI_OPT_TAKEN:
      continue;
    case CLI_OPT_EXIT:
      return status;
    default:
      break;
    }
    switch (opt) {
    case OPT_NOWAIT:
      o.wait = 0;
      break;
    case OPT_LOCK_TIMEOUT:
      if ((status = cli_parse_int64(&c, "--lock-timeout", optarg, 0, INT_MAX,
                                    &n)) != 0)
        return status;
      o.lock_timeout_ms = (int)n;
      break;
    default:
      return cli_usage_error(&c, "invalid option");
    }
  }
  if ((status = cli_positional(&c, argc, argv, optind)) != 0)
    return status;

  PGconn *conn;
  techmv *h;
  if ((status = cli_connect(&c, &conn, &h, NULL, 0)) != 0)
    return status;
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  int rc = techmv_refresh(h, &o, &info);
  if (rc == TECHMV_OK) {
    if (!c.quiet)
      printf("refreshed%s: %lld values in %.1f ms\n",
             info.concurrently ? " concurrently" : "", (long long)info.rows,
             info.duration_ms);
    if (c.verbose && info.long_values > 0)
      fprintf(stderr, "%s: %lld values longer than %d bytes were left out\n",
              c.progname, (long long)info.long_values, TECHMV_VALUE_MAX);
  } else if (rc == TECHMV_EBUSY && !o.wait) {
    if (c.verbose)
      fprintf(stderr, "%s: skipped: another refresh is running (%s)\n",
              c.progname, techmv_errmsg(h));
  } else {
    status = cli_fail(&c, h, rc, "could not refresh");
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: error: could not write the output\n", c.progname);
    status = CLI_EXIT_REFUSED;
  }
  techmv_close(h);
  PQfinish(conn);
  return status;
}
