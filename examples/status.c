/* techmv-status: what an operator needs to know about the view, as
 * "key: value" lines.
 *
 *   techmv-status [--view NAME] [--schema NAME] CONNINFO */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <techmv.h>

int main(int argc, char **argv) {
  techmv_config cfg = TECHMV_CONFIG_INIT;
  static const struct option opts[] = {{"view", required_argument, NULL, 'v'},
                                       {"schema", required_argument, NULL, 'S'},
                                       {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'v')
      cfg.view = optarg;
    else if (c == 'S')
      cfg.schema = optarg;
    else
      return 2;
  }
  if (optind != argc - 1) {
    fprintf(stderr, "usage: techmv-status [--view NAME] [--schema NAME] "
                    "CONNINFO\n");
    return 2;
  }
  PGconn *conn = PQconnectdb(argv[optind]);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "techmv-status: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return 1;
  }
  techmv *h = NULL;
  techmv_status_info st = TECHMV_STATUS_INFO_INIT;
  int rc = techmv_open(conn, &cfg, &h);
  if (rc == TECHMV_OK)
    rc = techmv_status(h, &st);
  if (rc != TECHMV_OK) {
    fprintf(stderr, "techmv-status: %s: %s\n", techmv_rc_string(rc),
            techmv_errmsg(h));
    techmv_close(h);
    PQfinish(conn);
    return 1;
  }
  printf("installed: %s\n", st.installed ? "yes" : "no");
  printf("populated: %s\n", st.populated ? "yes" : "no");
  printf("rows: %lld\n", (long long)st.rows);
  printf("total_bytes: %lld\n", (long long)st.total_bytes);
  printf("table_bytes: %lld\n", (long long)st.table_bytes);
  printf("index_bytes: %lld\n", (long long)st.index_bytes);
  if (st.has_last_refresh) {
    char when[64];
    time_t t = (time_t)st.last_refresh_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    printf("last_refresh: %s\n", when);
    printf("last_refresh_duration_ms: %.1f\n", st.last_refresh_duration_ms);
    printf("last_refresh_age_s: %.1f\n", st.last_refresh_age_s);
    printf("last_refresh_concurrently: %s\n",
           st.last_refresh_concurrently ? "yes" : "no");
  } else {
    printf("last_refresh: never\n");
  }
  printf("refresh_running: %s\n", st.refresh_running ? "yes" : "no");
  if (st.refresh_running)
    printf("refresh_running_pid: %d\n", st.refresh_running_pid);
  techmv_close(h);
  PQfinish(conn);
  return 0;
}
