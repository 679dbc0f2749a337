/* SPDX-License-Identifier: PostgreSQL */
/* techmv refresh: refresh the view through its refresh function. Made for
 * cron: with --nowait, a refresh that is already running is the job done by
 * someone else, not a failure. With --every, it keeps a live set drained,
 * as a service. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

enum { OPT_NOWAIT = OPT_FIRST_PRIVATE, OPT_LOCK_TIMEOUT, OPT_EVERY };

/* Set by SIGTERM or SIGINT: finish the refresh under way, then exit 0. */
static volatile sig_atomic_t stopping;

static void stop(int sig) {
  (void)sig;
  stopping = 1;
}

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
          "      --every=MS         keep going: refresh again MS milliseconds "
          "after\n"
          "                         each one ends (1..86400000), until "
          "SIGTERM or\n"
          "                         SIGINT (exit 0); failures are reported "
          "on\n"
          "                         standard error and do not stop it; for "
          "a live\n"
          "                         set, each refresh applies what is "
          "pending\n"
          "  On success one line on standard output (none with --quiet).\n"
          "  Refresh on the primary: a standby refuses (exit 1).\n",
          INT_MAX);
  cli_help_connection(f);
  cli_help_common(f);
  cli_help_exit(f);
}

/* Refresh, wait, and again, until told to stop. A lost connection is
 * opened again; any other failure is said and waited out. */
static int refresh_every(const cli_common *c, PGconn *conn, techmv *h,
                         const techmv_refresh_options *o, int64_t every_ms) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = stop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  while (!stopping) {
    techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
    int rc = techmv_refresh(h, o, &info);
    if (rc == TECHMV_OK) {
      if (c->verbose)
        fprintf(stderr, "%s: refreshed: %lld values in %.1f ms\n", c->progname,
                (long long)info.rows, info.duration_ms);
    } else if (rc != TECHMV_EBUSY) {
      fprintf(stderr, "%s: could not refresh: %s\n", c->progname,
              techmv_errmsg(h));
      if (PQstatus(conn) == CONNECTION_BAD)
        PQreset(conn);
    }
    struct timespec t = {(time_t)(every_ms / 1000),
                         (long)(every_ms % 1000) * 1000000L};
    while (!stopping && nanosleep(&t, &t) != 0 && errno == EINTR)
      ;
  }
  return CLI_EXIT_OK;
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
      {"every", required_argument, NULL, OPT_EVERY},
      {NULL, 0, NULL, 0}};
  int64_t every_ms = 0;
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
    case OPT_EVERY:
      if ((status = cli_parse_int64(&c, "--every", optarg, 1, 86400000,
                                    &every_ms)) != 0)
        return status;
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
  if (every_ms > 0) {
    status = refresh_every(&c, conn, h, &o, every_ms);
    techmv_close(h);
    PQfinish(conn);
    return status;
  }
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
