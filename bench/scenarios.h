/*
 * One function per scenario, each in its own file. Those taking only a
 * scale run on every scale; those taking the results too only on the first.
 */
#ifndef BENCH_SCENARIOS_H
#define BENCH_SCENARIOS_H

#include "common.h"

void scenario_unfiltered(bench *b, scale *s);
void scenario_per_call(bench *b, scale *s);
void scenario_first_call(bench *b, scale *s);
void scenario_concurrency(bench *b, scale *s);
void scenario_search(bench *b, scale *s);
void scenario_pages(bench *b, scale *s);
void scenario_company(bench *b, scale *s);
void scenario_transaction(bench *b, scale *s);
void scenario_memory(bench *b, scale *s);
void scenario_refresh(bench *b, scale *s);
/* Live mode's reads on the live install at `conninfo` (the first scale's
 * data), with the drainer command `cli`; the same database holds a view of
 * the same source named mv_distinct_technologies_beside. */
void scenario_live(bench *b, const char *conninfo, const char *cli);

/* The memory scenario's child process (main's --memory-probe): measures
 * on its own connection and prints its figures on one line. */
int memory_probe(const char *conninfo, int calls);

/* The search term classes, for scale.search_class[]. */
int search_class_count(void);
const char *search_class_key(int c);

/* The library's own fast-path statement for page_params(ASC), spelled out
 * on purpose (default names, no schema): the per-call and concurrency
 * scenarios set the library beside the very statement it sends, to measure
 * what it adds. It is never the truth a page is checked against. */
extern const char VIEW_PAGE_SQL[];
#define RAW_STMT "bench_view_page"
/* Prepares VIEW_PAGE_SQL as RAW_STMT on s->conn, once. */
void prepare_raw_statement(scale *s);

#endif /* BENCH_SCENARIOS_H */
