/* Pages at depth: OFFSET reads and drops every row before the page, the
 * keyset cursor seeks to it. At depth 0 both are the same call (no offset,
 * no cursor), so the first page is one row. The index seeks (the first page
 * and the cursors) take their turns within one loop, the order rotating from
 * one iteration to the next, so that drift hits each alike; the offset pages
 * take theirs in a loop of their own. A deep OFFSET is tens of milliseconds
 * of reading at a million values, which evicts the CPU's caches: a seek
 * timed right after one would pay for it, more at the larger scale, and the
 * growth between scales would measure the offset, not the seek. */
#include "scenarios.h"
#include "truth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum { DEPTHS = 3, WAYS = 2 * DEPTHS - 1 };

typedef struct way {
  char name[64];
  techmv_list_params p;
  vals truth;
  samples lat;
} way;

void scenario_pages(bench *b, scale *s) {
  int64_t deepest = s->distinct_values - PAGE_LIMIT - 1;
  int64_t depths[DEPTHS] = {0, 10000, s->distinct_values / 2};
  char *after[DEPTHS] = {NULL};
  way w[WAYS];
  for (int d = 0; d < DEPTHS; d++) {
    if (depths[d] > deepest)
      depths[d] = deepest > 0 ? deepest : 0;
    if (d > 0) {
      /* The cursor is the value just before the page, from the truth. */
      vals one = truth_page(s, TECHMV_ORDER_ASC, depths[d] - 1, 1);
      after[d] = xstrdup(one.v[0]);
      vals_free(&one);
    }
  }
  /* w[0]: the first page; then offset and cursor for each deeper page. */
  for (int k = 0; k < WAYS; k++) {
    int d = (k + 1) / 2;
    way *x = &w[k];
    x->p = page_params(TECHMV_ORDER_ASC, 0);
    x->lat = (samples){0};
    if (k == 0) {
      snprintf(x->name, sizeof x->name, "first page (depth 0)");
    } else if (k % 2 == 1) {
      x->p.offset = depths[d];
      snprintf(x->name, sizeof x->name, "page at depth %" PRId64 ": offset",
               depths[d]);
    } else {
      x->p.after = after[d];
      snprintf(x->name, sizeof x->name, "page at depth %" PRId64 ": cursor",
               depths[d]);
    }
    x->truth = truth_page(s, TECHMV_ORDER_ASC, depths[d], PAGE_LIMIT);
    for (int i = 0; i < 5; i++) { /* warm */
      vals a = list_vals(s->h, &x->p, TECHMV_PATH_VIEW, NULL, x->name);
      expect_same(x->name, "truth", &x->truth, "techmv_list", &a);
      vals_free(&a);
    }
  }
  /* Even ways are the seeks, odd ones the offsets. */
  for (int kind = 0; kind < 2; kind++) {
    int n = kind == 0 ? DEPTHS : DEPTHS - 1;
    for (int i = 0; i < b->pl.page_calls; i++)
      for (int j = 0; j < n; j++) {
        way *x = &w[2 * ((i + j) % n) + kind];
        vals a = list_vals(s->h, &x->p, TECHMV_PATH_VIEW, &x->lat, x->name);
        expect_same(x->name, "truth", &x->truth, "techmv_list", &a);
        vals_free(&a);
      }
  }
  for (int k = 0; k < WAYS; k++) {
    if (k > 0 && k % 2 == 0)
      report(w[k].name, &w[k].lat, "%.2fx faster than offset",
             median(&w[k - 1].lat) / median(&w[k].lat));
    else
      report(w[k].name, &w[k].lat, NULL);
  }
  way *first = &w[0], *off_mid = &w[WAYS - 2], *cur_mid = &w[WAYS - 1];
  s->first_page_median_ms = median(&first->lat);
  s->first_page_p95_ms = p95(&first->lat);
  s->cursor_mid_median_ms = median(&cur_mid->lat);
  s->cursor_mid_p95_ms = p95(&cur_mid->lat);
  s->cursor_deep_vs_first = median(&cur_mid->lat) / median(&first->lat);
  s->offset_deep_vs_first = median(&off_mid->lat) / median(&first->lat);
  report_value("deepest page (50%) / first page", "cursor %.2f, offset %.2f",
               s->cursor_deep_vs_first, s->offset_deep_vs_first);
  for (int k = 0; k < WAYS; k++) {
    samples_free(&w[k].lat);
    vals_free(&w[k].truth);
  }
  for (int d = 0; d < DEPTHS; d++)
    free(after[d]);
}
