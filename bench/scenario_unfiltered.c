/* One page of the whole list, both directions: the naive query reads every
 * company's array, the library walks the view's unique index. */
#include "scenarios.h"
#include "truth.h"

#include <stdio.h>

void scenario_unfiltered(bench *b, scale *s) {
  static const struct {
    const char *name;
    const char *sql;
    techmv_order order;
  } dirs[] = {{"asc", NAIVE_PAGE_ASC, TECHMV_ORDER_ASC},
              {"desc", NAIVE_PAGE_DESC, TECHMV_ORDER_DESC}};
  for (size_t d = 0; d < 2; d++) {
    samples naive = {0}, fast = {0};
    techmv_list_params p = page_params(dirs[d].order, PAGE_OFFSET);
    char what[64];
    snprintf(what, sizeof what, "unfiltered %s", dirs[d].name);
    vals a = list_vals(s->h, &p, TECHMV_PATH_VIEW, NULL, what); /* prepare */
    vals_free(&a);
    /* One naive query, then a run of library calls, in one loop: the naive
     * query takes thousands of times longer, so alternating one for one
     * would leave the library with few samples. */
    for (int r = 0; r < b->pl.naive_rounds; r++) {
      vals slow =
          params_vals(s->conn, dirs[d].sql, 0, NULL, PAGE_LIMIT, &naive, what);
      for (int k = 0; k < b->pl.fast_per_naive; k++) {
        vals got = list_vals(s->h, &p, TECHMV_PATH_VIEW, &fast, what);
        expect_same(what, "naive SQL", &slow, "techmv_list", &got);
        vals_free(&got);
      }
      vals_free(&slow);
    }
    double ratio = median(&naive) / median(&fast);
    char name[96];
    snprintf(name, sizeof name, "unfiltered %s page 3: naive SQL",
             dirs[d].name);
    report(name, &naive, NULL);
    snprintf(name, sizeof name, "unfiltered %s page 3: techmv_list",
             dirs[d].name);
    report(name, &fast, "%.0fx faster than naive", ratio);
    if (d == 0)
      b->r.unfiltered_speedup = ratio;
    samples_free(&naive);
    samples_free(&fast);
  }
}
