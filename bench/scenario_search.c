/* Search: a fixed mix of terms, of every kind the search function's cases
 * (a gram's postings for 1 and 2 characters; the rarest pair's postings,
 * filtered, or the trigram index for longer terms; nothing for an absent
 * gram) and the literal matching can meet. Each term's page is checked against
 * the truth; on the first scale the naive query over companies is timed
 * too. The names are sql/sample_data.sql's: its fixed names, then generated
 * ones such as "tech-00123", "PY_00007", "Node00015", "cloud_00020". */
#include "scenarios.h"
#include "truth.h"

#include <math.h>
#include <stdio.h>

enum term_class {
  C_1CHAR,
  C_2COMMON,
  C_2RARE,
  C_2ABSENT,
  C_3COMMON,
  C_3RARE,
  C_3ABSENT,
  C_NONASCII,
  C_WILDCARD,
  C_MIXEDCASE,
  C_COUNT
};

static const char *const class_key[C_COUNT] = {
    "1_char",       "2_chars_common", "2_chars_rare", "2_chars_absent",
    "3plus_common", "3plus_rare",     "3plus_absent", "non_ascii",
    "wildcard",     "mixed_case"};

static const struct {
  const char *term;
  enum term_class cls;
} terms[] = {
    {"o", C_1CHAR},
    {"-", C_1CHAR},
    {"k", C_1CHAR},
    {"q", C_1CHAR},
    {"z", C_1CHAR},
    {"py", C_2COMMON},
    {"js", C_2COMMON},
    {"ch", C_2COMMON},
    {"00", C_2COMMON},
    {"sq", C_2RARE},
    {"ka", C_2RARE},
    {"ub", C_2RARE},
    {"qz", C_2ABSENT},
    {"jj", C_2ABSENT},
    {"xq", C_2ABSENT},
    {"tech", C_3COMMON},
    {"lib", C_3COMMON},
    {"node", C_3COMMON},
    {"cloud", C_3COMMON},
    {"open", C_3COMMON},
    {"sql", C_3RARE},
    {"script", C_3RARE},
    {"kubernetes", C_3RARE},
    {"lib12345", C_3RARE},
    {"rails", C_3RARE},
    {"no-such-tech", C_3ABSENT},
    {"zzz", C_3ABSENT},
    {"xyzzy", C_3ABSENT},
    {"\xC3\xA9", C_NONASCII},                             /* é */
    {"\xC3\xBC", C_NONASCII},                             /* ü */
    {"\xE6\x97\xA5\xE6\x9C\xAC", C_NONASCII},             /* 日本 */
    {"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", C_NONASCII}, /* 日本語 */
    {"\xCF\x89", C_NONASCII},                             /* ω */
    {"caf\xC3\xA9", C_NONASCII},                          /* café */
    {"%", C_WILDCARD},
    {"_", C_WILDCARD},
    {"\\", C_WILDCARD},
    {"50%", C_WILDCARD},
    {"e_c", C_WILDCARD},
    {"\\t", C_WILDCARD}, /* C:\Tools */
    {"py_", C_WILDCARD}, /* PY_00007, never py-00007 */
    {"PostgreSQL", C_MIXEDCASE},
    {"TeCh", C_MIXEDCASE},
    {"PY", C_MIXEDCASE},
    {"NODE.JS", C_MIXEDCASE},
    {"\xC3\x89MACS", C_MIXEDCASE}, /* ÉMACS */
};

#define NTERMS (sizeof terms / sizeof terms[0])

/* Speedups kept per class, for the least of each. */
typedef struct class_figures {
  samples lat;
  double min_speedup;
} class_figures;

/* Each term's reference page first: on the first scale the naive query
 * over companies, timed; on the others the truth. They run before any call
 * is timed, because a naive query reads the whole table for seconds and
 * evicts the CPU's caches: a call timed right after one would pay for it. */
static void reference_pages(bench *b, scale *s, vals *truth, samples *naive) {
  for (size_t t = 0; t < NTERMS; t++) {
    const char *args[1] = {terms[t].term};
    char what[128];
    snprintf(what, sizeof what, "search '%s'", terms[t].term);
    for (int r = 0; r < (s->primary ? b->pl.search_naive_rounds : 1); r++) {
      vals v = s->primary ? params_vals(s->conn, NAIVE_SEARCH, 1, args,
                                        PAGE_LIMIT, &naive[t], what)
                          : truth_search(s, terms[t].term, PAGE_LIMIT);
      if (r == 0)
        truth[t] = v;
      else
        vals_free(&v);
    }
  }
}

/* Rounds of warm-up: past the prepare and the plan cache's first custom
 * plans. */
enum { WARM_ROUNDS = 6 };

/* Every term's calls, the terms in turn, each page checked against its
 * reference, after the warm-up rounds. */
static void timed_calls(bench *b, scale *s, const vals *truth, samples *fast) {
  for (int round = 0; round < WARM_ROUNDS + b->pl.search_calls; round++)
    for (size_t t = 0; t < NTERMS; t++) {
      techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
      p.search = terms[t].term;
      char what[128];
      snprintf(what, sizeof what, "search '%s'", terms[t].term);
      vals got = list_vals(s->h, &p, TECHMV_PATH_VIEW,
                           round < WARM_ROUNDS ? NULL : &fast[t], what);
      expect_same(what, s->primary ? "naive SQL" : "truth", &truth[t],
                  "techmv_list", &got);
      vals_free(&got);
    }
}

void scenario_search(bench *b, scale *s) {
  class_figures cls[C_COUNT];
  for (int c = 0; c < C_COUNT; c++) {
    cls[c].lat = (samples){0};
    cls[c].min_speedup = INFINITY;
  }
  samples all = {0};
  double slowest_median = 0, min_speedup = INFINITY;
  vals truth[NTERMS];
  samples fasts[NTERMS], naives[NTERMS];
  for (size_t t = 0; t < NTERMS; t++)
    fasts[t] = naives[t] = (samples){0};
  reference_pages(b, s, truth, naives);
  timed_calls(b, s, truth, fasts);
  for (size_t t = 0; t < NTERMS; t++) {
    samples fast = fasts[t], naive = naives[t];
    vals_free(&truth[t]);
    char padded[64], name[128];
    pad_utf8(padded, sizeof padded, terms[t].term, 12);
    snprintf(name, sizeof name, "search %s %s", padded,
             class_key[terms[t].cls]);
    if (naive.n > 0) {
      double speedup = median(&naive) / median(&fast);
      report(name, &fast, "%.0fx faster than naive (%.0f ms)", speedup,
             median(&naive));
      if (speedup < min_speedup)
        min_speedup = speedup;
      if (speedup < cls[terms[t].cls].min_speedup)
        cls[terms[t].cls].min_speedup = speedup;
    } else {
      report(name, &fast, NULL);
    }
    samples_append(&all, &fast);
    samples_append(&cls[terms[t].cls].lat, &fast);
    if (median(&fast) > slowest_median)
      slowest_median = median(&fast);
    samples_free(&fast);
    samples_free(&naive);
  }
  for (int c = 0; c < C_COUNT; c++) {
    char name[96];
    snprintf(name, sizeof name, "search class %s", class_key[c]);
    if (isinf(cls[c].min_speedup))
      report(name, &cls[c].lat, NULL);
    else
      report(name, &cls[c].lat, "least speedup %.0fx", cls[c].min_speedup);
  }
  s->search.p95_ms = p95(&all);
  s->search.max_ms = samples_max(&all);
  s->search.slowest_term_median_ms = slowest_median;
  s->search.min_speedup = isinf(min_speedup) ? NAN : min_speedup;
  char name[96];
  snprintf(name, sizeof name, "search, all %zu terms", NTERMS);
  if (isinf(min_speedup))
    report(name, &all, "slowest term's median %.3f ms", slowest_median);
  else
    report(name, &all, "least speedup %.0fx; slowest term's median %.3f ms",
           min_speedup, slowest_median);

  for (int c = 0; c < C_COUNT; c++) {
    s->search_class[c].p95_ms = p95(&cls[c].lat);
    s->search_class[c].max_ms = samples_max(&cls[c].lat);
    s->search_class[c].min_speedup =
        isinf(cls[c].min_speedup) ? NAN : cls[c].min_speedup;
    samples_free(&cls[c].lat);
  }
  samples_free(&all);
}

int search_class_count(void) {
  return C_COUNT;
}

const char *search_class_key(int c) {
  return class_key[c];
}
