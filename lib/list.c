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

static int has_state(const PGresult *res, const char *state) {
  const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  return s != NULL && strcmp(s, state) == 0;
}

/* The view cannot serve, and the source table can: it is missing
 * (undefined_table) or was never refreshed
 * (object_not_in_prerequisite_state). */
static int view_unusable(const PGresult *res) {
  return has_state(res, "42P01") || has_state(res, "55000");
}

/* A search of the view found no search function (undefined_function):
 * either nothing is installed, which the source table can stand in for, or
 * the view is of a schema older than 4, which must not be hidden behind a
 * fallback. Only the catalog tells which, asked outside a transaction block
 * (inside one the caller's transaction has already failed). */
static int search_function_missing(techmv *h, const PGresult *res, unsigned v,
                                   int *view_exists) {
  if (!(v & TMV_Q_SEARCH) || !has_state(res, "42883"))
    return 0;
  *view_exists = 1;
  if (PQtransactionStatus(h->conn) != PQTRANS_IDLE)
    return 1;
  char *sql = NULL;
  size_t len = strlen(h->names.view_lit) + 48;
  if ((sql = malloc(len)) == NULL)
    return 1;
  snprintf(sql, len, "SELECT pg_catalog.to_regclass(%s)", h->names.view_lit);
  PGresult *r = PQexec(h->conn, sql);
  free(sql);
  if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
    *view_exists = !PQgetisnull(r, 0, 0);
  PQclear(r);
  return 1;
}

/* The view is there but of an older schema: a column is missing. */
static int view_outdated(const PGresult *res) {
  return has_state(res, "42703");
}

/* The baked slot for variant v when this call can use one: a first page of
 * the view, whose limit+1 is rounded up to a rung. */
static int baked_slot(techmv *h, const tmv_list_query *q, unsigned v) {
  /* Not for a search or a company filter: their best plan depends on the
   * term or the number of ids, which one generic plan cannot know; not for
   * the source table, whose scan dwarfs planning. */
  if (q->p.offset != 0 || (v & (TMV_Q_SEARCH | TMV_Q_COMPANY | TMV_Q_BASE)))
    return -1;
  int rung = tmv_rung(q->p.limit + 1);
  if (rung < 0)
    return -1;
  unsigned shape = ((v & TMV_Q_AFTER) ? 1u : 0u) | ((v & TMV_Q_DESC) ? 2u : 0u);
  int slot = TMV_STMT_BAKED + (int)shape * TMV_RUNGS + rung;
  unsigned baked = v | TMV_Q_BAKED;
  /* The text is built once per slot, not on every call. */
  if (h->cache.slots[slot] == NULL &&
      tmv_stmt_define(&h->cache, slot,
                      tmv_list_sql(&h->names, baked, tmv_rung_rows(rung)),
                      tmv_variant_nparams(baked)) != 0)
    return -1; /* out of memory: the parameterized form will do */
  return slot;
}

static int run_variant(techmv *h, const tmv_list_query *q, unsigned v,
                       PGresult **res) {
  int slot = baked_slot(h, q, v);
  if (slot >= 0)
    v |= TMV_Q_BAKED;
  else
    slot = (int)v;
  tmv_bound b;
  if (tmv_list_bind(q, v, &b) < 0)
    return tmv_fail(h, TECHMV_ENOMEM, "out of memory binding the query");
  int rc = tmv_exec(h, slot, b.values, res);
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
  if (tmv_list_query_init(&q, params, PQclientEncoding(h->conn), h->errmsg,
                          sizeof h->errmsg) != 0)
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
  int view_exists = 1;
  int no_search = rc == TECHMV_ESERVER && page->path == TECHMV_PATH_VIEW &&
                  search_function_missing(h, res, v, &view_exists);
  if (rc == TECHMV_ESERVER && page->path == TECHMV_PATH_VIEW &&
      (view_unusable(res) || (no_search && !view_exists)) &&
      PQtransactionStatus(h->conn) == PQTRANS_IDLE) {
    /* The rollback plan: without the view, serve from the source table. */
    PQclear(res);
    res = NULL;
    tmv_clear_error(h);
    page->path = TECHMV_PATH_FALLBACK;
    rc = run_variant(h, &q, v | TMV_Q_BASE, &res);
  } else if (rc == TECHMV_ESERVER && page->path == TECHMV_PATH_VIEW &&
             (view_outdated(res) || no_search)) {
    char sqlstate[6];
    memcpy(sqlstate, h->sqlstate, sizeof sqlstate);
    tmv_fail(h, TECHMV_ESCHEMA,
             "%s is of an older schema than this library needs (version %d): "
             "run sql/install.sql to upgrade it in place (%s)",
             h->names.view, TECHMV_SCHEMA_VERSION,
             PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    memcpy(h->sqlstate, sqlstate, sizeof sqlstate);
    rc = TECHMV_ESCHEMA;
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
