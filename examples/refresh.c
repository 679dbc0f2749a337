/* techmv-refresh: refresh the view (concurrently once it is populated).
 *
 *   techmv-refresh [--nowait] [--lock-timeout MS] [--view NAME]
 *                  [--schema NAME] CONNINFO
 *
 * Exit status: 0 refreshed, 1 error, 2 usage, 3 busy (--nowait), 4 lock
 * timeout; so a cron job can tell "someone else is at it" from a failure. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <techmv.h>

int main(int argc, char **argv) {
  techmv_refresh_options o = TECHMV_REFRESH_OPTIONS_INIT;
  techmv_config cfg = TECHMV_CONFIG_INIT;
  static const struct option opts[] = {
      {"nowait", no_argument, NULL, 'n'},
      {"lock-timeout", required_argument, NULL, 't'},
      {"view", required_argument, NULL, 'v'},
      {"schema", required_argument, NULL, 'S'},
      {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'n':
      o.wait = 0;
      break;
    case 't':
      o.lock_timeout_ms = atoi(optarg);
      break;
    case 'v':
      cfg.view = optarg;
      break;
    case 'S':
      cfg.schema = optarg;
      break;
    default:
      fprintf(stderr, "usage: techmv-refresh [--nowait] [--lock-timeout MS] "
                      "[--view NAME] [--schema NAME] CONNINFO\n");
      return 2;
    }
  }
  if (optind != argc - 1) {
    fprintf(stderr, "usage: techmv-refresh [options] CONNINFO\n");
    return 2;
  }
  PGconn *conn = PQconnectdb(argv[optind]);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "techmv-refresh: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return 1;
  }
  techmv *h = NULL;
  int rc = techmv_open(conn, &cfg, &h);
  techmv_refresh_info info = TECHMV_REFRESH_INFO_INIT;
  if (rc == TECHMV_OK)
    rc = techmv_refresh(h, &o, &info);
  int status = 0;
  if (rc == TECHMV_OK) {
    printf("refreshed%s: %lld rows in %.1f ms\n",
           info.concurrently ? " concurrently" : "", (long long)info.rows,
           info.duration_ms);
  } else {
    fprintf(stderr, "techmv-refresh: %s: %s\n", techmv_rc_string(rc),
            techmv_errmsg(h));
    status = rc == TECHMV_EBUSY ? 3 : rc == TECHMV_ETIMEOUT ? 4 : 1;
  }
  techmv_close(h);
  PQfinish(conn);
  return status;
}
