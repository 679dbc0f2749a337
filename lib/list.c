/* techmv_list and the page it returns. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct techmv_page {
  PGresult *res; /* owns the values: nothing is copied out of it */
  size_t count;
  int has_more;
  techmv_path path;
};

/* The view cannot serve: it is missing (undefined_table), was never
 * refreshed (object_not_in_prerequisite_state) or lacks a column the query
 * needs (undefined_column: made by hand, or by another version). */
static int view_unusable(const PGresult *res) {
  const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  return s != NULL && (strcmp(s, "42P01") == 0 || strcmp(s, "55000") == 0 ||
                       strcmp(s, "42703") == 0);
}

/* The baked form of variant v when this call can use it: no offset, and
 * the limit its statement was written for (the first one the handle saw,
 * which for most services is the only one). */
static unsigned bake(techmv *h, const tmv_list_query *q, unsigned v) {
  /* Not for a search or a company filter: their best plan depends on the
   * term or the number of ids, which one generic plan cannot know. */
  if (q->p.offset != 0 || (v & (TMV_Q_SEARCH | TMV_Q_COMPANY)))
    return v;
  unsigned baked = v | TMV_Q_BAKED;
  int64_t fetch = q->p.limit + 1;
  tmv_stmt_cache *c = &h->cache;
  if (c->slots[baked] == NULL &&
      tmv_stmt_define(c, (int)baked, tmv_list_sql(&h->names, baked, fetch),
                      tmv_variant_nparams(baked), fetch) != 0)
    return v; /* out of memory: the parameterized form will do */
  return c->slots[baked]->fetch == fetch ? baked : v;
}

static int run_variant(techmv *h, const tmv_list_query *q, unsigned v,
                       PGresult **res) {
  v = bake(h, q, v);
  tmv_bound b;
  if (tmv_list_bind(q, v, &b) < 0)
    return tmv_fail(h, TECHMV_ENOMEM, "out of memory binding the query");
  int rc = tmv_exec(h, (int)v, b.values, res);
  tmv_bound_release(&b);
  return rc;
}

int techmv_list(techmv *h, const techmv_list_params *params,
                techmv_page **out) {
  if (out != NULL)
    *out = NULL;
  if (h == NULL || h->conn == NULL)
    return TECHMV_EINVAL; /* a failed open keeps its message */
  if (out == NULL)
    return tmv_fail(h, TECHMV_EINVAL, "out is NULL");
  tmv_clear_error(h);

  tmv_list_query q;
  if (tmv_list_query_init(
          &q, params, PQclientEncoding(h->conn) == pg_char_to_encoding("UTF8"),
          h->errmsg, sizeof h->errmsg) != 0)
    return TECHMV_EINVAL;
  int rc = tmv_conn_ready(h);
  if (rc != TECHMV_OK)
    return rc;

  techmv_page *page = malloc(sizeof *page);
  if (page == NULL)
    return tmv_fail(h, TECHMV_ENOMEM, "out of memory");

  unsigned v = q.variant;
  page->path = tmv_variant_path(v);
  PGresult *res = NULL;
  rc = run_variant(h, &q, v, &res);
  if (rc == TECHMV_ESERVER && page->path == TECHMV_PATH_VIEW &&
      view_unusable(res) && PQtransactionStatus(h->conn) == PQTRANS_IDLE) {
    /* The rollback plan: without the view, serve from the source table. */
    PQclear(res);
    res = NULL;
    tmv_clear_error(h);
    page->path = TECHMV_PATH_FALLBACK;
    rc = run_variant(h, &q, v | TMV_Q_BASE, &res);
  }
  if (rc != TECHMV_OK) {
    PQclear(res);
    free(page);
    return rc;
  }
  page->res = res;
  tmv_page_trim(PQntuples(res), q.p.limit, &page->count, &page->has_more);
  *out = page;
  return TECHMV_OK;
}

size_t techmv_page_count(const techmv_page *page) {
  return page ? page->count : 0;
}

const char *techmv_page_value(const techmv_page *page, size_t i) {
  if (page == NULL || i >= page->count)
    return NULL;
  return PQgetvalue(page->res, (int)i, 0);
}

size_t techmv_page_value_length(const techmv_page *page, size_t i) {
  if (page == NULL || i >= page->count)
    return 0;
  return (size_t)PQgetlength(page->res, (int)i, 0);
}

int techmv_page_has_more(const techmv_page *page) {
  return page ? page->has_more : 0;
}

techmv_path techmv_page_path(const techmv_page *page) {
  return page ? page->path : TECHMV_PATH_VIEW;
}

const char *techmv_page_cursor(const techmv_page *page) {
  if (page == NULL || page->count == 0)
    return NULL;
  return techmv_page_value(page, page->count - 1);
}

void techmv_page_free(techmv_page *page) {
  if (page == NULL)
    return;
  PQclear(page->res);
  free(page);
}
