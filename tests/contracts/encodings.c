/* Text in the client encoding: searches are escaped character by
 * character (in SJIS the second byte of ダ is '_' and of ソ is '\'), and
 * configured names mean the same whatever the client encoding becomes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

static void add_values(const char *const *values, size_t n) {
  /* Written over the UTF-8 connection, so the test's own bytes are UTF-8. */
  for (size_t i = 0; i < n; i++) {
    const char *params[1] = {values[i]};
    PGresult *r =
        PQexecParams(db.conn,
                     "INSERT INTO companies (id, name, technologies) SELECT "
                     "max(id) + 1, 'encoding test', ARRAY[$1] FROM companies",
                     1, NULL, params, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
  }
  ck_assert_int_eq(techmv_refresh(h, NULL, NULL), TECHMV_OK);
}

START_TEST(sjis_search_matches_plain_sql) {
  static const char *const values[] = {
      "\xe3\x83\x80",  /* ダ: 83 5F in SJIS */
      "\xe3\x82\xbd",  /* ソ: 83 5C */
      "\xe3\x82\xbd%", /* ソ% */
      "\xe3\x82\xbd"
      "A",               /* ソA */
      "\xe3\x82\xbdX",   /* ソX */
      "_\xe3\x83\x80\\", /* _ダ\ */
  };
  add_values(values, sizeof values / sizeof values[0]);
  ck_assert_int_eq(PQsetClientEncoding(db.conn, "SJIS"), 0);
  static const char *const terms[] = {
      "\x83\x5f",    /* ダ */
      "\x83\x5c",    /* ソ */
      "\x83\x5c%",   /* ソ% */
      "_\x83\x5f\\", /* _ダ\ */
      "\\",          "_", "%",
  };
  for (size_t i = 0; i < sizeof terms / sizeof terms[0]; i++) {
    for (int source = 0; source <= 1; source++) {
      for (int order = 0; order <= 1; order++) {
        techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
        p.search = terms[i];
        p.source = source;
        p.order = order;
        p.limit = 2;
        assert_walk_is_truth(h, db.conn, p);
      }
    }
  }
  /* The test can fail: ソ is in four values, ダ in two. */
  char **v;
  size_t n = truth(db.conn, "\x83\x5c", 0, &v);
  ck_assert_uint_eq(n, 4);
  truth_free(v, n);
  n = truth(db.conn, "\x83\x5f", 0, &v);
  ck_assert_uint_eq(n, 2);
  truth_free(v, n);
  /* A lead byte with nothing after it is refused before anything is
   * sent. */
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.search = "\x83";
  techmv_page *page;
  ck_assert_int_eq(techmv_list(h, &p, &page), TECHMV_EINVAL);
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(h), "SJIS"));
}
END_TEST

static size_t base_values(techmv *hd, char ***out) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  p.source = TECHMV_SOURCE_BASE;
  p.limit = 100;
  return walk_all(hd, p, out);
}

START_TEST(names_mean_the_same_in_every_client_encoding) {
  /* A source whose names are not ASCII, with ASCII values so that every
   * client encoding can receive them. */
  pgt_exec(db.conn, "CREATE SCHEMA \"sch\xc3\xa9ma\"");
  pgt_exec(db.conn, "CREATE TABLE \"sch\xc3\xa9ma\".\"soci\xc3\xa9t\xc3\xa9s\" "
                    "(\"n\xc2\xb0\" bigint, \"techn\xc3\xa9s\" text[])");
  pgt_exec(db.conn, "INSERT INTO \"sch\xc3\xa9ma\".\"soci\xc3\xa9t\xc3\xa9s\" "
                    "VALUES (1, '{b,a,c}'), (2, '{c,d}')");
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.schema = "sch\xc3\xa9ma";
  cfg.source_table = "soci\xc3\xa9t\xc3\xa9s";
  cfg.source_column = "techn\xc3\xa9s";
  cfg.id_column = "n\xc2\xb0";
  techmv *hn;
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &hn), TECHMV_OK);
  static const char *const encodings[] = {"UTF8", "LATIN1", "SJIS", "EUC_JP",
                                          "UTF8"};
  for (size_t e = 0; e < sizeof encodings / sizeof encodings[0]; e++) {
    ck_assert_int_eq(PQsetClientEncoding(db.conn, encodings[e]), 0);
    char **got;
    size_t n = base_values(hn, &got);
    ck_assert_msg(n == 4, "%s: %zu values (%s)", encodings[e], n,
                  techmv_errmsg(hn));
    ck_assert_str_eq(got[0], "a");
    ck_assert_str_eq(got[3], "d");
    truth_free(got, n);
    /* The company filter names the id column too. */
    techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
    int64_t id = 2;
    p.company_ids = &id;
    p.company_count = 1;
    techmv_page *page = pgt_list_ok(hn, &p);
    ck_assert_uint_eq(techmv_page_count(page), 2);
    ck_assert_str_eq(techmv_page_value(page, 0), "c");
    techmv_page_free(page);
  }
  techmv_close(hn);
}
END_TEST

START_TEST(invalid_names_say_why) {
  techmv_config cfg = TECHMV_CONFIG_INIT;
  cfg.view = "caf\xc3";
  techmv *hb;
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &hb), TECHMV_EINVAL);
  ck_assert_str_eq(techmv_errmsg(hb), "config->view is not valid UTF-8");
  techmv_close(hb);
  cfg.view = "mv";
  cfg.schema = "\xff";
  ck_assert_int_eq(techmv_open(db.conn, &cfg, &hb), TECHMV_EINVAL);
  ck_assert_str_eq(techmv_errmsg(hb), "config->schema is not valid UTF-8");
  techmv_close(hb);
}
END_TEST

void add_encoding_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "encodings", 120);
  tcase_add_test(t, sjis_search_matches_plain_sql);
  tcase_add_test(t, names_mean_the_same_in_every_client_encoding);
  tcase_add_test(t, invalid_names_say_why);
}
