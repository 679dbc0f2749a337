/* Unit tests of everything that needs no server: argument checks, path
 * choice, SQL text, escaping, limit+1 trimming and cursor handling. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/internal.h"

static char err[256];

static int enc(const char *name) {
  return pg_char_to_encoding(name);
}

static int init(tmv_list_query *q, const techmv_list_params *p) {
  err[0] = '\0';
  return tmv_list_query_init(q, p, enc("UTF8"), err, sizeof err);
}

/* ---- argument checks ---------------------------------------------------- */

START_TEST(defaults_are_valid) {
  tmv_list_query q;
  ck_assert_int_eq(init(&q, NULL), 0);
  ck_assert_int_eq(q.p.limit, 25);
  ck_assert_int_eq(q.p.offset, 0);
  ck_assert_int_eq(q.p.distinct, 1);
  ck_assert_uint_eq(q.variant, 0);
}
END_TEST

START_TEST(limit_bounds) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  const int64_t bad[] = {0, -1, TECHMV_LIMIT_MAX + 1, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p.limit = bad[i];
    ck_assert_int_eq(init(&q, &p), -1);
    ck_assert_ptr_nonnull(strstr(err, "limit"));
  }
  p.limit = 1;
  ck_assert_int_eq(init(&q, &p), 0);
  p.limit = TECHMV_LIMIT_MAX;
  ck_assert_int_eq(init(&q, &p), 0);
}
END_TEST

START_TEST(offset_bounds) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  const int64_t bad[] = {-1, TECHMV_OFFSET_MAX + 1, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    p.offset = bad[i];
    ck_assert_int_eq(init(&q, &p), -1);
    ck_assert_ptr_nonnull(strstr(err, "offset"));
  }
  p.offset = TECHMV_OFFSET_MAX;
  ck_assert_int_eq(init(&q, &p), 0);
}
END_TEST

START_TEST(enums_checked) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.order = (techmv_order)7;
  ck_assert_int_eq(init(&q, &p), -1);
  p.order = TECHMV_ORDER_DESC;
  p.source = (techmv_source)-3;
  ck_assert_int_eq(init(&q, &p), -1);
}
END_TEST

START_TEST(company_filter_checks) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.company_count = 3;
  ck_assert_int_eq(init(&q, &p), -1); /* NULL ids */
  static int64_t ids[2] = {1, 2};
  p.company_ids = ids;
  p.company_count = TECHMV_COMPANIES_MAX + 1;
  ck_assert_int_eq(init(&q, &p), -1);
  p.company_count = 2;
  ck_assert_int_eq(init(&q, &p), 0);
}
END_TEST

START_TEST(search_checks) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  char *huge = malloc(1 << 20);
  memset(huge, 'a', (1 << 20) - 1);
  huge[(1 << 20) - 1] = '\0';
  p.search = huge;
  ck_assert_int_eq(init(&q, &p), -1);
  ck_assert_ptr_nonnull(strstr(err, "longer"));
  huge[TECHMV_SEARCH_MAX] = '\0';
  ck_assert_int_eq(init(&q, &p), 0);
  huge[TECHMV_SEARCH_MAX - 1] = '\xff';
  ck_assert_int_eq(init(&q, &p), -1);
  ck_assert_ptr_nonnull(strstr(err, "UTF8"));
  /* Valid in a single-byte encoding. */
  ck_assert_int_eq(tmv_list_query_init(&q, &p, enc("LATIN1"), err, sizeof err),
                   0);
  /* A lead byte with no second byte is not SJIS. */
  huge[TECHMV_SEARCH_MAX - 1] = '\x83';
  ck_assert_int_eq(tmv_list_query_init(&q, &p, enc("SJIS"), err, sizeof err),
                   -1);
  ck_assert_ptr_nonnull(strstr(err, "SJIS"));
  free(huge);
  p.search = "";
  ck_assert_int_eq(init(&q, &p), 0);
  ck_assert_uint_eq(q.variant & TMV_Q_SEARCH, 0);
}
END_TEST

START_TEST(cursor_needs_distinct) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.after = "Go";
  ck_assert_int_eq(init(&q, &p), 0);
  p.distinct = 0;
  ck_assert_int_eq(init(&q, &p), -1);
  ck_assert_ptr_nonnull(strstr(err, "distinct"));
  p.distinct = 1;
  p.after = "\xc3\x28";
  ck_assert_int_eq(init(&q, &p), -1);
}
END_TEST

START_TEST(sized_struct_versions) {
  tmv_list_query q;
  struct {
    techmv_list_params p;
    int future;
  } newer;
  static const techmv_list_params init_p = TECHMV_LIST_PARAMS_INIT;
  memset(&newer, 0, sizeof newer); /* padding too: it is compared */
  newer.p = init_p;
  newer.p.size = sizeof newer;
  ck_assert_int_eq(init(&q, &newer.p), 0); /* unknown member left zero */
  newer.future = 1;
  ck_assert_int_eq(init(&q, &newer.p), -1);
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.size = 4;
  ck_assert_int_eq(init(&q, &p), -1);
  p.size = 0;
  ck_assert_int_eq(init(&q, &p), -1);
  p.size = sizeof p;
  p.reserved1 = 1;
  ck_assert_int_eq(init(&q, &p), -1);
  ck_assert_ptr_nonnull(strstr(err, "reserved"));
}
END_TEST

/* ---- path choice -------------------------------------------------------- */

START_TEST(path_choice) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  static int64_t ids[1] = {42};
  p.search = "sql";
  p.order = TECHMV_ORDER_DESC;
  p.after = "x";
  ck_assert_int_eq(init(&q, &p), 0);
  ck_assert_int_eq(tmv_variant_path(q.variant), TECHMV_PATH_VIEW);
  ck_assert_uint_eq(q.variant, TMV_Q_SEARCH | TMV_Q_DESC | TMV_Q_AFTER);

  p.after = NULL;
  p.company_ids = ids;
  p.company_count = 1;
  ck_assert_int_eq(init(&q, &p), 0);
  ck_assert_int_eq(tmv_variant_path(q.variant), TECHMV_PATH_BASE);
  ck_assert(q.variant & TMV_Q_COMPANY);

  p.company_count = 0;
  p.distinct = 0;
  ck_assert_int_eq(init(&q, &p), 0);
  ck_assert_int_eq(tmv_variant_path(q.variant), TECHMV_PATH_BASE);
  ck_assert(q.variant & TMV_Q_ALL);

  p.distinct = 1;
  p.source = TECHMV_SOURCE_BASE;
  ck_assert_int_eq(init(&q, &p), 0);
  ck_assert_uint_eq(q.variant, TMV_Q_BASE | TMV_Q_SEARCH | TMV_Q_DESC);
}
END_TEST

/* ---- SQL text ----------------------------------------------------------- */

static const tmv_names names = {
    "\"mv\"",       "\"s\".\"companies\"",   "\"techs\"",
    "\"id\"",       "\"mv_refresh_log\"",    "\"mv_refresh\"",
    "E'\"mv\"'",    "E'\"mv_refresh_log\"'", "\"mv_live_status\"",
    "\"mv_search\""};

START_TEST(sql_view_page) {
  char *sql = tmv_list_sql(&names, 0, 0);
  ck_assert_str_eq(sql, "SELECT v.value FROM \"mv\" AS v WHERE "
                        "(v.value_md5 IS NULL OR true) AND v.value IS NOT NULL "
                        "ORDER BY v.value ASC LIMIT $1 OFFSET $2");
  free(sql);
  sql = tmv_list_sql(&names, TMV_Q_DESC | TMV_Q_AFTER, 0);
  ck_assert_str_eq(sql,
                   "SELECT v.value FROM \"mv\" AS v WHERE "
                   "(v.value_md5 IS NULL OR true) AND v.value IS NOT NULL AND "
                   "v.value < $3 ORDER BY "
                   "v.value DESC LIMIT $1 OFFSET $2");
  free(sql);
  ck_assert_int_eq(tmv_variant_nparams(TMV_Q_DESC | TMV_Q_AFTER | TMV_Q_SEARCH),
                   4);
}
END_TEST

START_TEST(search_goes_through_the_search_function) {
  /* The term is bound as it is: the set's function folds its case and
   * picks the postings per term; only the source table gets a pattern. */
  char *sql = tmv_list_sql(&names, TMV_Q_SEARCH | TMV_Q_DESC, 0);
  ck_assert_str_eq(sql, "SELECT s.value FROM \"mv_search\"($3, $1::integer, "
                        "$2::integer, NULL, true) AS s(value)");
  free(sql);
  sql = tmv_list_sql(&names, TMV_Q_SEARCH | TMV_Q_AFTER, 0);
  ck_assert_str_eq(sql, "SELECT s.value FROM \"mv_search\"($3, $1::integer, "
                        "$2::integer, $4, false) AS s(value)");
  free(sql);

  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = "50%_";
  ck_assert_int_eq(init(&q, &p), 0);
  tmv_bound bound;
  ck_assert_int_eq(tmv_list_bind(&q, q.variant, &bound), 3);
  ck_assert_str_eq(bound.values[2], "50%_");
  tmv_bound_release(&bound);
  ck_assert_int_eq(tmv_list_bind(&q, q.variant | TMV_Q_BASE, &bound), 3);
  ck_assert_str_eq(bound.values[2], "%50\\%\\_%");
  tmv_bound_release(&bound);
}
END_TEST

START_TEST(baked_limit_has_no_page_parameters) {
  char *sql = tmv_list_sql(&names, TMV_Q_BAKED | TMV_Q_AFTER | TMV_Q_DESC, 26);
  ck_assert_str_eq(sql,
                   "SELECT v.value FROM \"mv\" AS v WHERE "
                   "(v.value_md5 IS NULL OR true) AND v.value IS NOT NULL AND "
                   "v.value < $1 ORDER BY v.value DESC LIMIT 26");
  free(sql);
  ck_assert_int_eq(tmv_variant_nparams(TMV_Q_BAKED | TMV_Q_AFTER), 1);
  ck_assert_int_eq(tmv_variant_nparams(TMV_Q_BAKED), 0);

  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = "a_b";
  p.after = "k";
  ck_assert_int_eq(init(&q, &p), 0);
  tmv_bound b;
  ck_assert_int_eq(tmv_list_bind(&q, q.variant | TMV_Q_BAKED, &b), 2);
  ck_assert_str_eq(b.values[0], "a_b"); /* the search function's term */
  ck_assert_str_eq(b.values[1], "k");
  tmv_bound_release(&b);
}
END_TEST

START_TEST(sql_base_variants) {
  char *sql = tmv_list_sql(&names, TMV_Q_BASE | TMV_Q_COMPANY | TMV_Q_AFTER, 0);
  ck_assert_str_eq(sql,
                   "SELECT DISTINCT t.value FROM \"s\".\"companies\" AS c "
                   "CROSS JOIN LATERAL pg_catalog.unnest(c.\"techs\") AS "
                   "t(value) WHERE t.value IS NOT NULL AND "
                   "pg_catalog.octet_length(t.value) <= 1024 AND "
                   "t.value > $3 AND c.\"id\" = ANY "
                   "($4::bigint[]) ORDER BY t.value ASC LIMIT $1 OFFSET $2");
  free(sql);
  sql = tmv_list_sql(&names, TMV_Q_BASE | TMV_Q_ALL, 0);
  ck_assert_ptr_null(strstr(sql, "DISTINCT"));
  free(sql);
  ck_assert_int_eq(
      tmv_variant_nparams(TMV_Q_BASE | TMV_Q_COMPANY | TMV_Q_AFTER), 4);
}
END_TEST

START_TEST(every_variant_numbers_its_parameters) {
  for (unsigned v = 0; v < TMV_Q_VARIANTS; v++) {
    /* Only the combinations tmv_list_query_init can produce. */
    if (((v & (TMV_Q_COMPANY | TMV_Q_ALL)) && !(v & TMV_Q_BASE)) ||
        ((v & TMV_Q_BAKED) &&
         (v & (TMV_Q_SEARCH | TMV_Q_COMPANY | TMV_Q_BASE))))
      continue;
    char *sql = tmv_list_sql(&names, v, 26);
    int n = tmv_variant_nparams(v);
    char want[16];
    for (int i = 1; i <= n; i++) {
      snprintf(want, sizeof want, "$%d", i);
      ck_assert_msg(strstr(sql, want) != NULL, "variant %u lacks %s", v, want);
    }
    snprintf(want, sizeof want, "$%d", n + 1);
    ck_assert_msg(strstr(sql, want) == NULL, "variant %u has %s", v, want);
    free(sql);
  }
}
END_TEST

START_TEST(bind_matches_sql_order) {
  tmv_list_query q;
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  static int64_t ids[3] = {7, -1, INT64_MAX};
  p.limit = 10;
  p.offset = 30;
  p.search = "50%_off\\";
  p.after = "m";
  p.company_ids = ids;
  p.company_count = 3;
  ck_assert_int_eq(init(&q, &p), 0);
  tmv_bound b;
  ck_assert_int_eq(tmv_list_bind(&q, q.variant, &b), 5);
  ck_assert_str_eq(b.values[0], "11"); /* limit + 1 */
  ck_assert_str_eq(b.values[1], "30");
  ck_assert_str_eq(b.values[2], "%50\\%\\_off\\\\%");
  ck_assert_str_eq(b.values[3], "m");
  ck_assert_str_eq(b.values[4], "{7,-1,9223372036854775807}");
  tmv_bound_release(&b);
}
END_TEST

/* ---- escaping ----------------------------------------------------------- */

START_TEST(like_pattern_escapes_wildcards) {
  const char *cases[][2] = {
      {"sql", "%sql%"},       {"%", "%\\%%"},
      {"_", "%\\_%"},         {"\\", "%\\\\%"},
      {"a'b\"c", "%a'b\"c%"}, {"C:\\x_%", "%C:\\\\x\\_\\%%"},
      {"日本", "%日本%"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *pat = tmv_like_contains_pattern(cases[i][0], strlen(cases[i][0]),
                                          enc("UTF8"));
    ck_assert_str_eq(pat, cases[i][1]);
    free(pat);
  }
}
END_TEST

/* In SJIS, BIG5, GBK and GB18030 the second byte of a character may be '\\'
 * or '_': such bytes belong to the character and are not escaped. */
START_TEST(like_pattern_walks_characters) {
  const char *cases[][3] = {
      {"SJIS", "\x83\x5f", "%\x83\x5f%"}, /* ダ */
      {"SJIS", "\x83\x5c", "%\x83\x5c%"}, /* ソ */
      {"SJIS", "\x83\x5c\\_", "%\x83\x5c\\\\\\_%"},
      {"SJIS", "\xb1_", "%\xb1\\_%"},     /* half-width kana */
      {"BIG5", "\xa5\x5c", "%\xa5\x5c%"}, /* 功 */
      {"GBK", "\x81\x5f%", "%\x81\x5f\\%%"},
      {"GB18030", "\x81\x30\x81\x30_", "%\x81\x30\x81\x30\\_%"},
      {"LATIN1", "\xe9_", "%\xe9\\_%"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *term = cases[i][1];
    ck_assert_msg(tmv_text_valid(term, strlen(term), enc(cases[i][0])),
                  "case %zu", i);
    char *pat = tmv_like_contains_pattern(term, strlen(term), enc(cases[i][0]));
    ck_assert_msg(strcmp(pat, cases[i][2]) == 0, "case %zu: %s", i, pat);
    free(pat);
  }
  ck_assert(!tmv_text_valid("\x83", 1, enc("SJIS")));            /* truncated */
  ck_assert(!tmv_text_valid("\x83\x20", 2, enc("SJIS")));        /* bad trail */
  ck_assert(!tmv_text_valid("\x81\x30\x81", 3, enc("GB18030"))); /* short */
  ck_assert(!tmv_text_valid("a\0b", 3, enc("LATIN1")));
  ck_assert(!tmv_text_valid("\xa5", 1, enc("BIG5")));
  ck_assert(!tmv_text_valid("\xa4", 1, enc("EUC_JP")));
}
END_TEST

START_TEST(identifiers_quoted_for_any_encoding) {
  const char *cases[][2] = {
      {"mv", "\"mv\""},
      {"we\"ird", "\"we\"\"ird\""},
      {"back\\slash", "\"back\\slash\""},
      {"caf\xc3\xa9", "U&\"caf\\+0000E9\""},
      {"\xe6\x97\xa5\\\"", "U&\"\\+0065E5\\\\\"\"\""},
      {"\xf0\x9f\x98\x80", "U&\"\\+01F600\""},
      {"a\nb", "U&\"a\\+00000Ab\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *q = tmv_quote_ident(cases[i][0]);
    ck_assert_str_eq(q, cases[i][1]);
    free(q);
  }
  char *l = tmv_quote_literal("\"caf\xc3\xa9\".\"it's\\\"");
  ck_assert_str_eq(l, "E'\"caf\\U000000E9\".\"it\\'s\\\\\"'");
  free(l);
}
END_TEST

START_TEST(baked_rungs_bound_statements) {
  /* Every fetch up to the top rung has a rung at or above it, and a rung
   * is never more than about twice what is asked. */
  int last = -1;
  for (int64_t fetch = 2; fetch <= TMV_RUNG_MAX; fetch++) {
    int r = tmv_rung(fetch);
    ck_assert_int_ge(r, 0);
    ck_assert_int_ge(r, last);
    last = r;
    ck_assert_int_ge(tmv_rung_rows(r), fetch);
    ck_assert_int_le(tmv_rung_rows(r), 2 * fetch + 1);
  }
  ck_assert_int_eq(tmv_rung(TMV_RUNG_MAX + 1), -1);
  ck_assert_int_eq(tmv_rung_rows(tmv_rung(26)), 26);
  ck_assert_int_eq(tmv_rung_rows(tmv_rung(51)), 51);
  /* The statements a configuration can name: 10 parameterized list
   * variants, refresh, status, the status details it can ask for (live
   * mode is schema 3 and populated), and the baked ones. */
  int details = 0;
  for (unsigned k = 0; k < TMV_DETAIL_KINDS; k++)
    details += (k & (TMV_DETAIL_POPULATED | TMV_DETAIL_LOG)) != 0 &&
               (!(k & TMV_DETAIL_LIVE) ||
                ((k & TMV_DETAIL_V3) && (k & TMV_DETAIL_POPULATED)));
  ck_assert_int_le(10 + 1 + 1 + details + 4 * TMV_RUNGS, TECHMV_STATEMENTS_MAX);
}
END_TEST

START_TEST(utf8_validation) {
  ck_assert(tmv_utf8_valid("", 0));
  ck_assert(tmv_utf8_valid("Caf\xc3\xa9", 5));
  ck_assert(tmv_utf8_valid("\xe6\x97\xa5\xf0\x9f\x98\x80", 7));
  ck_assert(!tmv_utf8_valid("\xc3", 1));             /* truncated */
  ck_assert(!tmv_utf8_valid("\xc0\xaf", 2));         /* overlong */
  ck_assert(!tmv_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
  ck_assert(!tmv_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
  ck_assert(!tmv_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  ck_assert(!tmv_utf8_valid("\x80", 1));
  ck_assert(!tmv_utf8_valid("a\0b", 3));
}
END_TEST

START_TEST(array_literal) {
  int64_t ids[] = {INT64_MIN, 0, 5};
  char *s = tmv_bigint_array_literal(ids, 3);
  ck_assert_str_eq(s, "{-9223372036854775808,0,5}");
  free(s);
  s = tmv_bigint_array_literal(ids, 1);
  ck_assert_str_eq(s, "{-9223372036854775808}");
  free(s);
}
END_TEST

/* ---- limit+1 trimming and cursor ------------------------------------- */

START_TEST(page_trim) {
  size_t count;
  int more;
  tmv_page_trim(26, 25, &count, &more);
  ck_assert_uint_eq(count, 25);
  ck_assert_int_eq(more, 1);
  tmv_page_trim(25, 25, &count, &more);
  ck_assert_uint_eq(count, 25);
  ck_assert_int_eq(more, 0);
  tmv_page_trim(0, 25, &count, &more);
  ck_assert_uint_eq(count, 0);
  ck_assert_int_eq(more, 0);
  tmv_page_trim(2, 1, &count, &more);
  ck_assert_uint_eq(count, 1);
  ck_assert_int_eq(more, 1);
}
END_TEST

START_TEST(public_api_rejects_null) {
  techmv *h = (techmv *)1;
  ck_assert_int_eq(techmv_open(NULL, NULL, &h), TECHMV_EINVAL);
  ck_assert_ptr_null(h);
  ck_assert_int_eq(techmv_open(NULL, NULL, NULL), TECHMV_EINVAL);
  techmv_page *page = (techmv_page *)1;
  ck_assert_int_eq(techmv_list(NULL, NULL, &page), TECHMV_EINVAL);
  ck_assert_ptr_null(page);
  ck_assert_int_eq(techmv_refresh(NULL, NULL, NULL), TECHMV_EINVAL);
  ck_assert_int_eq(techmv_status(NULL, NULL), TECHMV_EINVAL);
  ck_assert_str_eq(techmv_errmsg(NULL), "");
  ck_assert_uint_eq(techmv_page_count(NULL), 0);
  ck_assert_ptr_null(techmv_page_value(NULL, 0));
  ck_assert_ptr_null(techmv_page_cursor(NULL));
  techmv_page_free(NULL);
  techmv_close(NULL);
}
END_TEST

START_TEST(names_of_codes) {
  for (int rc = TECHMV_OK; rc <= TECHMV_ESCHEMA; rc++)
    ck_assert_str_ne(techmv_rc_string(rc), "unknown result code");
  ck_assert_str_eq(techmv_rc_string(-1), "unknown result code");
  ck_assert_str_eq(techmv_path_string(TECHMV_PATH_FALLBACK), "fallback");
  ck_assert_str_eq(techmv_version(), TECHMV_VERSION_STRING);
  ck_assert_int_eq(techmv_version_number(), TECHMV_VERSION_NUMBER);
}
END_TEST

START_TEST(statement_names_follow_text) {
  tmv_stmt_cache c;
  memset(&c, 0, sizeof c);
  ck_assert_int_eq(tmv_stmt_define(&c, 0, strdup("SELECT 1"), 0), 0);
  ck_assert_int_eq(tmv_stmt_define(&c, 1, strdup("SELECT 2"), 0), 0);
  ck_assert_int_eq(strncmp(c.slots[0]->name, "techmv_", 7), 0);
  ck_assert_uint_eq(strlen(c.slots[0]->name), 7 + 16);
  ck_assert_str_ne(c.slots[0]->name, c.slots[1]->name);
  /* A slot keeps its first text. */
  ck_assert_int_eq(tmv_stmt_define(&c, 0, strdup("SELECT 3"), 0), 0);
  ck_assert_str_eq(c.slots[0]->sql, "SELECT 1");
  ck_assert_int_eq(tmv_stmt_define(&c, 2, NULL, 0), -1);
  tmv_stmt_cache_free(&c);
}
END_TEST

int main(void) {
  Suite *s = suite_create("unit");
  TCase *t = tcase_create("params");
  tcase_add_test(t, defaults_are_valid);
  tcase_add_test(t, limit_bounds);
  tcase_add_test(t, offset_bounds);
  tcase_add_test(t, enums_checked);
  tcase_add_test(t, company_filter_checks);
  tcase_add_test(t, search_checks);
  tcase_add_test(t, cursor_needs_distinct);
  tcase_add_test(t, sized_struct_versions);
  tcase_add_test(t, path_choice);
  suite_add_tcase(s, t);
  t = tcase_create("sql");
  tcase_add_test(t, sql_view_page);
  tcase_add_test(t, sql_base_variants);
  tcase_add_test(t, search_goes_through_the_search_function);
  tcase_add_test(t, baked_limit_has_no_page_parameters);
  tcase_add_test(t, every_variant_numbers_its_parameters);
  tcase_add_test(t, bind_matches_sql_order);
  tcase_add_test(t, statement_names_follow_text);
  tcase_add_test(t, baked_rungs_bound_statements);
  suite_add_tcase(s, t);
  t = tcase_create("text");
  tcase_add_test(t, like_pattern_escapes_wildcards);
  tcase_add_test(t, like_pattern_walks_characters);
  tcase_add_test(t, identifiers_quoted_for_any_encoding);
  tcase_add_test(t, utf8_validation);
  tcase_add_test(t, array_literal);
  suite_add_tcase(s, t);
  t = tcase_create("page");
  tcase_add_test(t, page_trim);
  tcase_add_test(t, public_api_rejects_null);
  tcase_add_test(t, names_of_codes);
  suite_add_tcase(s, t);

  SRunner *r = srunner_create(s);
  srunner_run_all(r, CK_NORMAL);
  int failed = srunner_ntests_failed(r);
  srunner_free(r);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
