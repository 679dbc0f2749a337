/*
 * The answers every compared page must equal, from plain SQL written here
 * and nowhere else: no LIKE pattern, no escaping, nothing shared with the
 * library, so that a bug there cannot hide in both sides.
 */
#ifndef BENCH_TRUTH_H
#define BENCH_TRUTH_H

#include "common.h"

/* The naive queries straight over companies: what an application would
 * write without the library, timed as the baseline. Each asks for limit+1
 * rows (26), like the library, so has_more compares too. */
extern const char NAIVE_PAGE_ASC[];  /* page_params(ASC), no parameters */
extern const char NAIVE_PAGE_DESC[]; /* page_params(DESC) */
extern const char NAIVE_SEARCH[];    /* $1: the term, first page */
extern const char NAIVE_COMPANY[];   /* $1: bigint[] of company ids */

/* Builds the bench's own table of the distinct values from companies, on
 * s->conn (a temporary table: gone with the session), and returns its row
 * count, the distinct count measured by SQL. */
int64_t truth_init(scale *s);
/* Pages of that table: cheaper than the naive query when only the answer
 * is wanted, not its time. */
vals truth_page(scale *s, techmv_order order, int64_t offset, int64_t limit);
vals truth_search(scale *s, const char *term, int64_t limit);

#endif /* BENCH_TRUTH_H */
