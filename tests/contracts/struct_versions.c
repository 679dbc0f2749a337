/* Sized structs across versions: a caller built against the first
 * published header (its structs exactly TECHMV_*_SIZE_V1 long) and one
 * built against a future header (a member more) both work with today's
 * library. The layouts below are written out by hand, as those headers
 * would have them. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contracts.h"

/* The first published techmv_status_info, member by member. */
typedef struct status_v1 {
  size_t size;
  int installed, populated;
  int64_t rows, total_bytes, table_bytes, index_bytes;
  int has_last_refresh, pad0;
  double last_refresh_at, last_refresh_duration_ms, last_refresh_age_s;
  int last_refresh_concurrently, refresh_running, refresh_running_pid,
      is_standby;
  double replay_lag_s;
  int64_t replay_lag_bytes;
  int named_statements, pad1;
} status_v1;

typedef struct refresh_info_v1 {
  size_t size;
  int concurrently, pad0;
  double started_at, duration_ms;
  int64_t rows;
} refresh_info_v1;

typedef struct list_params_v1 {
  size_t size;
  int distinct, pad0;
  const int64_t *company_ids;
  size_t company_count;
  const char *search;
  int order, pad1;
  int64_t limit, offset;
  const char *after;
  int source, pad2;
} list_params_v1;

START_TEST(frozen_sizes) {
#if UINTPTR_MAX == UINT64_MAX
  ck_assert_uint_eq(sizeof(status_v1), TECHMV_STATUS_INFO_SIZE_V1);
  ck_assert_uint_eq(sizeof(refresh_info_v1), TECHMV_REFRESH_INFO_SIZE_V1);
  ck_assert_uint_eq(sizeof(list_params_v1), TECHMV_LIST_PARAMS_SIZE_V1);
  ck_assert_uint_eq(sizeof(techmv_config), TECHMV_CONFIG_SIZE_V1);
  ck_assert_uint_eq(sizeof(techmv_refresh_options),
                    TECHMV_REFRESH_OPTIONS_SIZE_V1);
#endif
  /* Published members stay where they were. */
  ck_assert_uint_eq(offsetof(techmv_status_info, named_statements),
                    offsetof(status_v1, named_statements));
  ck_assert_uint_eq(offsetof(techmv_list_params, source),
                    offsetof(list_params_v1, source));
  ck_assert_uint_eq(offsetof(techmv_refresh_info, rows),
                    offsetof(refresh_info_v1, rows));
}
END_TEST

START_TEST(old_caller_gets_what_it_knows) {
  /* Canaries right after the old struct must survive every call. */
  struct {
    status_v1 st;
    unsigned char canary[64];
  } old;
  memset(&old, 0xAB, sizeof old);
  old.st.size = sizeof old.st;
  ck_assert_int_eq(techmv_status(h, (techmv_status_info *)&old.st), TECHMV_OK);
  ck_assert_int_eq(old.st.installed, 1);
  ck_assert_int_eq(old.st.rows,
                   pgt_scalar_ll(db.conn, "SELECT count(*) FROM "
                                          "mv_distinct_technologies WHERE "
                                          "value IS NOT NULL"));
  for (size_t i = 0; i < sizeof old.canary; i++)
    ck_assert_uint_eq(old.canary[i], 0xAB);

  struct {
    refresh_info_v1 info;
    unsigned char canary[64];
  } oldr;
  memset(&oldr, 0xAB, sizeof oldr);
  oldr.info.size = sizeof oldr.info;
  ck_assert_int_eq(techmv_refresh(h, NULL, (techmv_refresh_info *)&oldr.info),
                   TECHMV_OK);
  ck_assert_int_eq(oldr.info.rows, old.st.rows);
  for (size_t i = 0; i < sizeof oldr.canary; i++)
    ck_assert_uint_eq(oldr.canary[i], 0xAB);

  list_params_v1 p;
  memset(&p, 0, sizeof p);
  p.size = sizeof p;
  p.distinct = 1;
  p.limit = 5;
  p.order = TECHMV_ORDER_DESC;
  techmv_page *page = pgt_list_ok(h, (const techmv_list_params *)&p);
  char **want;
  size_t nw = truth(db.conn, NULL, 1, &want);
  ck_assert_uint_eq(techmv_page_count(page), 5);
  ck_assert_str_eq(techmv_page_value(page, 0), want[0]);
  truth_free(want, nw);
  techmv_page_free(page);

  /* Smaller than any published version: refused, nothing written. */
  old.st.size = TECHMV_STATUS_INFO_SIZE_V1 - 8;
  ck_assert_int_eq(techmv_status(h, (techmv_status_info *)&old.st),
                   TECHMV_EINVAL);
}
END_TEST

START_TEST(future_caller_is_refused_only_for_what_it_asks) {
  struct {
    techmv_list_params p;
    int64_t future; /* a member a later version may add */
  } newer;
  memset(&newer, 0, sizeof newer);
  newer.p = (techmv_list_params)TECHMV_LIST_PARAMS_INIT;
  newer.p.size = sizeof newer;
  techmv_page *page;
  ck_assert_int_eq(techmv_list(h, &newer.p, &page), TECHMV_OK);
  techmv_page_free(page);
  newer.future = 1; /* asks for something this library cannot do */
  ck_assert_int_eq(techmv_list(h, &newer.p, &page), TECHMV_EINVAL);
  ck_assert_ptr_nonnull(strstr(techmv_errmsg(h), "does not know"));

  struct {
    techmv_config c;
    int64_t future;
  } cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.c = (techmv_config)TECHMV_CONFIG_INIT;
  cfg.c.size = sizeof cfg;
  techmv *hf;
  ck_assert_int_eq(techmv_open(db.conn, &cfg.c, &hf), TECHMV_OK);
  techmv_close(hf);
  cfg.future = -1;
  ck_assert_int_eq(techmv_open(db.conn, &cfg.c, &hf), TECHMV_EINVAL);
  techmv_close(hf);

  /* An output struct from the future: the library fills what it knows and
   * leaves the rest alone. */
  struct {
    techmv_status_info st;
    int64_t future;
  } out;
  memset(&out, 0, sizeof out);
  out.st = (techmv_status_info)TECHMV_STATUS_INFO_INIT;
  out.st.size = sizeof out;
  out.future = 77;
  ck_assert_int_eq(techmv_status(h, &out.st), TECHMV_OK);
  ck_assert_int_eq(out.st.schema_installed, TECHMV_SCHEMA_VERSION);
  ck_assert_int_eq(out.future, 77);
}
END_TEST

void add_struct_version_tests(Suite *s) {
  TCase *t = pgt_server_case(s, "struct versions", 60);
  tcase_add_test(t, frozen_sizes);
  tcase_add_test(t, old_caller_gets_what_it_knows);
  tcase_add_test(t, future_caller_is_refused_only_for_what_it_asks);
}
