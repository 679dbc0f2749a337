/* The library's contracts with its caller, each area in a file of its own;
 * every test compares the library with plain SQL written here or with the
 * server's catalogs. */
#ifndef TECHMV_CONTRACTS_H
#define TECHMV_CONTRACTS_H

#include <check.h>

#include <techmv.h>

#include "../pgtest.h"

void add_encoding_tests(Suite *s);
void add_caller_transaction_tests(Suite *s);
void add_statement_tests(Suite *s);
void add_long_value_tests(Suite *s);
void add_struct_version_tests(Suite *s);
void add_refresh_failure_tests(Suite *s);
void add_caller_setting_tests(Suite *s);
void add_live_mode_tests(Suite *s);
void add_schema_version_tests(Suite *s);

/* The distinct values plain SQL finds in companies.technologies: those
 * containing `search` (NULL: all) as a case-insensitive literal substring,
 * no longer than TECHMV_VALUE_MAX bytes, ordered; computed on `conn`, so in
 * its client encoding. One malloc'd string per value in *out. */
size_t truth(PGconn *conn, const char *search, int desc, char ***out);
void truth_free(char **v, size_t n);

/* Every value techmv_list gives, walked by cursor with `p` (which must not
 * set after), asserting has_more on all pages but the last. */
size_t walk_all(techmv *hd, techmv_list_params p, char ***out);

/* That the library's values equal plain SQL's for this search and order. */
void assert_walk_is_truth(techmv *hd, PGconn *conn, techmv_list_params p);

/* The caller's open transaction is intact: it has not been aborted. */
void assert_transaction_alive(PGconn *conn);

#endif
