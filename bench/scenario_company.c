/* Company filter: always the source table, so the library should cost what
 * the bare SQL costs. Ids are spread evenly over 1..companies (repeating
 * when there are fewer companies than ids). */
#include "scenarios.h"
#include "truth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scenario_company(bench *b, scale *s) {
  static const size_t sizes[3] = {1, 100, 10000};
  for (int k = 0; k < 3; k++) {
    size_t n = sizes[k];
    int64_t *ids = xmalloc(n * sizeof *ids);
    char *lit = xmalloc(n * 22 + 3), *o = lit;
    *o++ = '{';
    for (size_t i = 0; i < n; i++) {
      ids[i] = 1 + (int64_t)((uint64_t)i * (uint64_t)s->companies / n);
      o += sprintf(o, "%s%" PRId64, i ? "," : "", ids[i]);
    }
    strcpy(o, "}");
    const char *args[1] = {lit};
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    p.company_ids = ids;
    p.company_count = n;
    char what[64];
    snprintf(what, sizeof what, "company filter, %zu ids", n);
    for (int i = 0; i < 6; i++) {
      vals a = list_vals(s->h, &p, TECHMV_PATH_BASE, NULL, what);
      vals_free(&a);
    }
    samples bare = {0}, fast = {0};
    for (int i = 0; i < b->pl.company_calls[k]; i++) {
      vals slow =
          params_vals(s->conn, NAIVE_COMPANY, 1, args, PAGE_LIMIT, &bare, what);
      vals got = list_vals(s->h, &p, TECHMV_PATH_BASE, &fast, what);
      expect_same(what, "bare SQL", &slow, "techmv_list", &got);
      vals_free(&slow);
      vals_free(&got);
    }
    char name[96];
    snprintf(name, sizeof name, "company filter %zu ids: bare SQL", n);
    report(name, &bare, NULL);
    snprintf(name, sizeof name, "company filter %zu ids: techmv_list", n);
    report(name, &fast, "techmv/bare SQL %.3f", median(&fast) / median(&bare));
    b->r.company_ms[k] = median(&fast);
    samples_free(&bare);
    samples_free(&fast);
    free(ids);
    free(lit);
  }
}
