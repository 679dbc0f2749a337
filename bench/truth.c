#include "truth.h"

#include <inttypes.h>
#include <stdio.h>

/* The value's own collation orders both the naive query and the view, so
 * ORDER BY needs no COLLATE to agree with the library. */
#define NAIVE_FROM                                                             \
  "SELECT DISTINCT t.value FROM companies AS c CROSS JOIN LATERAL "            \
  "unnest(c.technologies) AS t(value) WHERE t.value IS NOT NULL"

const char NAIVE_PAGE_ASC[] = NAIVE_FROM " ORDER BY 1 LIMIT 26 OFFSET 50";
const char NAIVE_PAGE_DESC[] = NAIVE_FROM " ORDER BY 1 DESC LIMIT 26 OFFSET 50";
/* Case-insensitive substring as the header defines it (lower(value)
 * contains lower(search)), with strpos: the term is data, never a pattern,
 * so '%', '_' and '\' need no escaping to be taken literally. */
const char NAIVE_SEARCH[] =
    NAIVE_FROM " AND strpos(lower(t.value), lower($1)) > 0 ORDER BY 1 LIMIT 26";
const char NAIVE_COMPANY[] =
    NAIVE_FROM " AND c.id = ANY ($1::bigint[]) ORDER BY 1 LIMIT 26";

int64_t truth_init(scale *s) {
  /* A million values would not fit the default 8 MB of local buffers; the
   * setting only counts before the session's first temporary table. */
  exec_command(s->conn, "SET temp_buffers = '256MB'", "SET temp_buffers");
  exec_command(s->conn, "CREATE TEMPORARY TABLE bench_truth AS " NAIVE_FROM,
               "creating the truth table");
  exec_command(s->conn, "ANALYZE pg_temp.bench_truth",
               "analyzing the truth table");
  return query_int(s->conn, "SELECT count(*) FROM pg_temp.bench_truth");
}

vals truth_page(scale *s, techmv_order order, int64_t offset, int64_t limit) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT value FROM pg_temp.bench_truth ORDER BY value %s "
           "LIMIT %" PRId64 " OFFSET %" PRId64,
           order == TECHMV_ORDER_DESC ? "DESC" : "ASC", limit + 1, offset);
  return params_vals(s->conn, sql, 0, NULL, (size_t)limit, NULL, "truth page");
}

vals truth_search(scale *s, const char *term, int64_t limit) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "SELECT value FROM pg_temp.bench_truth WHERE "
           "strpos(lower(value), lower($1)) > 0 ORDER BY value LIMIT %" PRId64,
           limit + 1);
  const char *args[1] = {term};
  return params_vals(s->conn, sql, 1, args, (size_t)limit, NULL,
                     "truth search");
}
