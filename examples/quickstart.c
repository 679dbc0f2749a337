/* The smallest useful program: print the first page of technologies.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs techmv libpq)
 *   ./a.out "dbname=mydb"
 */
#include <stdio.h>

#include <techmv.h>

int main(int argc, char **argv) {
  PGconn *conn = PQconnectdb(argc > 1 ? argv[1] : "");
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "%s", PQerrorMessage(conn));
    return 1;
  }
  techmv *tm;
  if (techmv_open(conn, NULL, &tm) != TECHMV_OK)
    return 1;

  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.limit = 10;
  p.search = "sql"; /* case-insensitive, taken literally */
  techmv_page *page;
  int rc = techmv_list(tm, &p, &page);
  if (rc != TECHMV_OK) {
    fprintf(stderr, "%s: %s\n", techmv_rc_string(rc), techmv_errmsg(tm));
  } else {
    for (size_t i = 0; i < techmv_page_count(page); i++)
      printf("%s\n", techmv_page_value(page, i));
    printf("(from the %s; more: %s)\n",
           techmv_path_string(techmv_page_path(page)),
           techmv_page_has_more(page) ? "yes" : "no");
    techmv_page_free(page);
  }
  techmv_close(tm);
  PQfinish(conn);
  return rc == TECHMV_OK ? 0 : 1;
}
