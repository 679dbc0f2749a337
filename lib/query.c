/* Everything the library says to the server is spelled here: validation of
 * list requests, the SQL text of each statement and its bound parameters. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int bad(char *err, size_t errlen, const char *fmt, ...) TMV_PRINTF(3, 4);
static int bad(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static int check_text(const char *what, const char *s, size_t max, int encoding,
                      size_t *len, char *err, size_t errlen) {
  /* Stop counting past the limit so a huge string costs nothing. */
  size_t n = strnlen(s, max + 1);
  if (n > max)
    return bad(err, errlen, "%s is longer than %zu bytes", what, max);
  if (!tmv_text_valid(s, n, encoding))
    return bad(err, errlen, "%s is not valid in the client encoding %s", what,
               pg_encoding_to_char(encoding));
  *len = n;
  return 0;
}

int tmv_list_query_init(tmv_list_query *q, const techmv_list_params *params,
                        int encoding, char *err, size_t errlen) {
  static const techmv_list_params defaults = TECHMV_LIST_PARAMS_INIT;
  memset(q, 0, sizeof *q);
  q->p = defaults;
  q->encoding = encoding;
  if (params != NULL &&
      tmv_sized_copy(&q->p, sizeof q->p, params, TMV_LIST_PARAMS_MIN_SIZE,
                     "params", err, errlen) != 0)
    return -1;
  techmv_list_params *p = &q->p;

  if (p->reserved0 != 0 || p->reserved1 != 0 || p->reserved2 != 0)
    return bad(err, errlen, "params->reserved0..2 must be 0");
  if (p->limit < 1 || p->limit > TECHMV_LIMIT_MAX)
    return bad(err, errlen, "limit %" PRId64 " is out of range 1..%d", p->limit,
               TECHMV_LIMIT_MAX);
  if (p->offset < 0 || p->offset > TECHMV_OFFSET_MAX)
    return bad(err, errlen,
               "offset %" PRId64 " is out of range 0..%d (use the 'after' "
               "cursor for deep pages)",
               p->offset, TECHMV_OFFSET_MAX);
  if (p->order != TECHMV_ORDER_ASC && p->order != TECHMV_ORDER_DESC)
    return bad(err, errlen, "order %d is not a techmv_order", p->order);
  if (p->source != TECHMV_SOURCE_AUTO && p->source != TECHMV_SOURCE_BASE)
    return bad(err, errlen, "source %d is not a techmv_source", p->source);
  if (p->company_count > TECHMV_COMPANIES_MAX)
    return bad(err, errlen, "company_count %zu is more than %d",
               p->company_count, TECHMV_COMPANIES_MAX);
  if (p->company_count > 0 && p->company_ids == NULL)
    return bad(err, errlen, "company_count is %zu but company_ids is NULL",
               p->company_count);
  if (p->search != NULL &&
      check_text("search", p->search, TECHMV_SEARCH_MAX, encoding,
                 &q->search_len, err, errlen) != 0)
    return -1;
  if (p->after != NULL) {
    size_t len;
    if (!p->distinct)
      return bad(err, errlen,
                 "the 'after' cursor needs distinct values (a value may "
                 "repeat when distinct is 0); use offset");
    if (check_text("after", p->after, TECHMV_CURSOR_MAX, encoding, &len, err,
                   errlen) != 0)
      return -1;
  }

  unsigned v = 0;
  if (p->source == TECHMV_SOURCE_BASE || !p->distinct || p->company_count > 0)
    v |= TMV_Q_BASE;
  if (!p->distinct)
    v |= TMV_Q_ALL;
  if (p->company_count > 0)
    v |= TMV_Q_COMPANY;
  if (q->search_len > 0)
    v |= TMV_Q_SEARCH;
  if (p->after != NULL)
    v |= TMV_Q_AFTER;
  if (p->order == TECHMV_ORDER_DESC)
    v |= TMV_Q_DESC;
  q->variant = v;
  return 0;
}

techmv_path tmv_variant_path(unsigned variant) {
  return (variant & TMV_Q_BASE) ? TECHMV_PATH_BASE : TECHMV_PATH_VIEW;
}

int tmv_variant_nparams(unsigned variant) {
  return ((variant & TMV_Q_BAKED) ? 0 : 2) + !!(variant & TMV_Q_SEARCH) +
         !!(variant & TMV_Q_AFTER) + !!(variant & TMV_Q_COMPANY);
}

/* A growing string; `failed` sticks so callers check once at the end. */
typedef struct sbuf {
  char *s;
  size_t len, cap;
  int failed;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) TMV_PRINTF(2, 3);
static void sb_add(sbuf *b, const char *fmt, ...) {
  if (b->failed)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0,
                      fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if (b->s != NULL && b->len + (size_t)n < b->cap) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = (b->cap ? b->cap : 128);
    while (cap <= b->len + (size_t)n)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
      b->failed = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}

static char *sb_finish(sbuf *b) {
  if (b->failed) {
    free(b->s);
    return NULL;
  }
  return b->s;
}

/* Every query of the view names a column that schema 3 added, in a term
 * the planner folds to true: it costs nothing, and on an install of an
 * older schema every view query fails alike (undefined_column), never some
 * of them and not others. */
#define SCHEMA_3 "(v.value_md5 IS NULL OR true)"

char *tmv_list_sql(const tmv_names *n, unsigned v, int64_t fetch) {
  sbuf b = {0};
  int param = (v & TMV_Q_BAKED) ? 1 : 3;
  char page[48]; /* the LIMIT/OFFSET clause */
  if (v & TMV_Q_BAKED)
    snprintf(page, sizeof page, "LIMIT %" PRId64, fetch);
  else
    snprintf(page, sizeof page, "LIMIT $1 OFFSET $2");
  const char *dir = (v & TMV_Q_DESC) ? "DESC" : "ASC";

  if (v & TMV_Q_BASE) {
    /* One row per element of each company's array, as the view is built. */
    /* Values too long for the view are left out here too, so that both
     * paths serve the same set. */
    sb_add(&b,
           "SELECT %st.value FROM %s AS c CROSS JOIN LATERAL "
           "pg_catalog.unnest(c.%s) AS t(value) WHERE t.value IS NOT NULL "
           "AND pg_catalog.octet_length(t.value) <= %d",
           (v & TMV_Q_ALL) ? "" : "DISTINCT ", n->table, n->column,
           TECHMV_VALUE_MAX);
    /* What ILIKE does in a UTF-8 database, spelled out so that both paths
     * fold case alike (the view stores lower(value)). */
    if (v & TMV_Q_SEARCH)
      sb_add(&b, " AND pg_catalog.lower(t.value) LIKE pg_catalog.lower($%d)",
             param++);
    if (v & TMV_Q_AFTER)
      sb_add(&b, " AND t.value %s $%d", (v & TMV_Q_DESC) ? "<" : ">", param++);
    if (v & TMV_Q_COMPANY)
      sb_add(&b, " AND c.%s = ANY ($%d::bigint[])", n->id, param++);
    sb_add(&b, " ORDER BY t.value %s %s", dir, page);
  } else if (v & TMV_Q_SEARCH) {
    /* The set's search function picks, per term, the postings or the index
     * that answer it without reading what the page does not need (see
     * sql/search.sql); its rows are the page, values too long to serve
     * excluded. */
    int term = param++;
    char after[8] = "NULL";
    if (v & TMV_Q_AFTER)
      snprintf(after, sizeof after, "$%d", param++);
    if (v & TMV_Q_BAKED)
      snprintf(page, sizeof page, "%" PRId64 ", 0", fetch);
    else
      snprintf(page, sizeof page, "$1::integer, $2::integer");
    sb_add(&b, "SELECT s.value FROM %s($%d, %s, %s, %s) AS s(value)", n->search,
           term, page, after, (v & TMV_Q_DESC) ? "true" : "false");
  } else {
    /* Rows with no value stand for values too long to serve. */
    sb_add(&b,
           "SELECT v.value FROM %s AS v WHERE " SCHEMA_3
           " AND v.value IS NOT NULL",
           n->view);
    if (v & TMV_Q_AFTER)
      sb_add(&b, " AND v.value %s $%d", (v & TMV_Q_DESC) ? "<" : ">", param++);
    sb_add(&b, " ORDER BY v.value %s %s", dir, page);
  }
  return sb_finish(&b);
}

int tmv_list_bind(const tmv_list_query *q, unsigned v, tmv_bound *b) {
  int k = 0;
  memset(b->owned, 0, sizeof b->owned);
  if (!(v & TMV_Q_BAKED)) {
    /* limit+1: the extra row, if it comes, says more follow. */
    snprintf(b->nums[0], sizeof b->nums[0], "%" PRId64, q->p.limit + 1);
    snprintf(b->nums[1], sizeof b->nums[1], "%" PRId64, q->p.offset);
    b->values[k++] = b->nums[0];
    b->values[k++] = b->nums[1];
  }
  if ((v & TMV_Q_SEARCH) && (v & TMV_Q_BASE)) {
    b->owned[0] =
        tmv_like_contains_pattern(q->p.search, q->search_len, q->encoding);
    if (b->owned[0] == NULL)
      return -1;
    b->values[k++] = b->owned[0];
  } else if (v & TMV_Q_SEARCH) {
    b->values[k++] = q->p.search; /* the set's search function folds case */
  }
  if (v & TMV_Q_AFTER)
    b->values[k++] = q->p.after;
  if (v & TMV_Q_COMPANY) {
    b->owned[1] =
        tmv_bigint_array_literal(q->p.company_ids, q->p.company_count);
    if (b->owned[1] == NULL) {
      tmv_bound_release(b);
      return -1;
    }
    b->values[k++] = b->owned[1];
  }
  return k;
}

void tmv_bound_release(tmv_bound *b) {
  free(b->owned[0]);
  free(b->owned[1]);
  b->owned[0] = b->owned[1] = NULL;
}

void tmv_page_trim(int ntuples, int64_t limit, size_t *count, int *has_more) {
  if (ntuples < 0)
    ntuples = 0;
  *has_more = (int64_t)ntuples > limit;
  *count = *has_more ? (size_t)limit : (size_t)ntuples;
}

char *tmv_refresh_sql(const tmv_names *n) {
  sbuf b = {0};
  sb_add(&b,
         "SELECT r.status, r.concurrently, "
         "extract(epoch FROM r.started_at)::float8, r.duration_ms, "
         "r.row_count, r.sqlstate, r.message, r.long_values "
         "FROM %s($1::boolean, $2::integer) AS r",
         n->function);
  return sb_finish(&b);
}

/* Key of the advisory lock the refresh function holds: the high half is
 * fixed ('tecm'), the low half the view's oid. */
#define REFRESH_LOCK_CLASSID "1952803693"

/* Every function is schema-qualified: the caller's search_path may put a
 * schema of theirs before pg_catalog. */
char *tmv_status_catalog_sql(const tmv_names *n) {
  sbuf b = {0};
  /* One round trip for everything the catalogs know; the refresh in
   * progress is seen from its locks, not from query text (which would
   * match this very query). The schema version is in the view's comment;
   * the comments of versions 1 and 2 carry none, and tell apart by the
   * column version 2 added. */
  sb_add(&b,
         "SELECT c.oid IS NOT NULL, coalesce(c.relispopulated, false), "
         "coalesce(pg_catalog.pg_total_relation_size(c.oid), -1), "
         "coalesce(pg_catalog.pg_relation_size(c.oid), -1), "
         "coalesce(pg_catalog.pg_indexes_size(c.oid), -1), "
         "coalesce((SELECT l.pid FROM pg_catalog.pg_locks AS l "
         "WHERE c.oid IS NOT NULL AND l.granted AND l.pid <> "
         "pg_catalog.pg_backend_pid() AND l.database = (SELECT d.oid FROM "
         "pg_catalog.pg_database AS d WHERE d.datname = "
         "pg_catalog.current_database()) "
         "AND ((l.locktype = 'relation' AND l.relation = c.oid AND l.mode IN "
         "('ExclusiveLock', 'AccessExclusiveLock')) OR (l.locktype = "
         "'advisory' AND l.classid = " REFRESH_LOCK_CLASSID
         " AND l.objid = c.oid AND l.objsubid = 1)) ORDER BY l.pid LIMIT 1), "
         "0), "
         "pg_catalog.to_regclass(%s) IS NOT NULL, "
         "pg_catalog.pg_is_in_recovery(), "
         "CASE WHEN pg_catalog.pg_is_in_recovery() THEN coalesce(extract("
         "epoch FROM pg_catalog.now() - "
         "pg_catalog.pg_last_xact_replay_timestamp())::float8, -1) ELSE -1 "
         "END, "
         "CASE WHEN pg_catalog.pg_is_in_recovery() THEN coalesce("
         "pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), "
         "pg_catalog.pg_last_wal_replay_lsn())::bigint, -1) ELSE -1 END, "
         "CASE WHEN c.oid IS NULL THEN 0 "
         "WHEN m.d ~ '^libtechmv schema [0-9]+:' THEN "
         "pg_catalog.substring(m.d, '^libtechmv schema ([0-9]+):')::int "
         "WHEN m.d LIKE 'libtechmv: %%' THEN CASE WHEN EXISTS (SELECT FROM "
         "pg_catalog.pg_attribute AS a WHERE a.attrelid = c.oid AND "
         "a.attname = 'value_lower' AND NOT a.attisdropped) THEN 2 ELSE 1 END "
         "ELSE 0 END, "
         "c.relkind = 'r' AND m.d ~ '\"mode\":\"live\"' "
         "FROM (SELECT pg_catalog.to_regclass(%s) AS oid) AS r "
         "LEFT JOIN pg_catalog.pg_class AS c ON c.oid = r.oid AND c.relkind "
         "IN ('m', 'r') "
         "LEFT JOIN LATERAL (SELECT pg_catalog.obj_description(c.oid, "
         "'pg_class') AS d) AS m ON true",
         n->log_lit, n->view_lit);
  return sb_finish(&b);
}

/* Columns: values served, the last success (started, duration, age,
 * concurrently, long values), the last failure (started, age, SQLSTATE,
 * message), failures since the success, and in live mode the backlog
 * (pending changes, age of the oldest, needs rebuild). */
char *tmv_status_detail_sql(const tmv_names *n, unsigned kind) {
  sbuf b = {0};
  int v3 = (kind & TMV_DETAIL_V3) != 0;
  int log = (kind & TMV_DETAIL_LOG) != 0;
  int live = (kind & TMV_DETAIL_LIVE) != 0;
  sb_add(&b, "SELECT ");
  if (live) /* kept by the drainer: no count over the whole set */
    sb_add(&b, "z.value_count");
  else if (kind & TMV_DETAIL_POPULATED)
    sb_add(&b, "(SELECT pg_catalog.count(*) FROM %s AS v%s)", n->view,
           v3 ? " WHERE v.value IS NOT NULL" : "");
  else
    sb_add(&b, "-1::bigint");
  if (log)
    sb_add(&b, ", extract(epoch FROM s.started_at)::float8, s.duration_ms, "
               "extract(epoch FROM pg_catalog.now() - s.started_at)::float8 - "
               "s.duration_ms / 1000.0, s.concurrently");
  else
    sb_add(&b, ", NULL::float8, NULL::float8, NULL::float8, NULL::boolean");
  if (log && v3)
    sb_add(&b,
           ", s.long_values, extract(epoch FROM f.started_at)::float8, "
           "extract(epoch FROM pg_catalog.now() - f.started_at)::float8, "
           "f.sqlstate, f.message, (SELECT pg_catalog.count(*) FROM %s AS x "
           "WHERE x.status <> 'refreshed' AND x.started_at > "
           "coalesce(s.started_at, '-infinity'))",
           n->log);
  else
    sb_add(&b, ", NULL::bigint, NULL::float8, NULL::float8, NULL::text, "
               "NULL::text, 0::bigint");
  if (live)
    sb_add(&b, ", z.pending_changes, z.oldest_pending_age_seconds, "
               "z.needs_rebuild");
  else
    sb_add(&b, ", -1::bigint, -1::float8, false");
  sb_add(&b, " FROM (SELECT) AS one");
  /* The last success, and in a schema that records them, the last
   * failure. */
  if (log)
    sb_add(&b,
           " LEFT JOIN LATERAL (SELECT * FROM %s AS l%s ORDER BY "
           "l.started_at DESC LIMIT 1) AS s ON true",
           n->log, v3 ? " WHERE l.status = 'refreshed'" : "");
  if (log && v3)
    sb_add(&b,
           " LEFT JOIN LATERAL (SELECT * FROM %s AS l WHERE l.status <> "
           "'refreshed' ORDER BY l.started_at DESC LIMIT 1) AS f ON true",
           n->log);
  if (live)
    sb_add(&b, " LEFT JOIN LATERAL (SELECT * FROM %s) AS z ON true",
           n->live_status);
  return sb_finish(&b);
}

char *tmv_slot_sql(const tmv_names *n, int slot, int *nparams) {
  if (slot < TMV_Q_VARIANTS) {
    *nparams = tmv_variant_nparams((unsigned)slot);
    return tmv_list_sql(n, (unsigned)slot, 0);
  }
  if (slot == TMV_STMT_REFRESH) {
    *nparams = 2;
    return tmv_refresh_sql(n);
  }
  *nparams = 0;
  if (slot == TMV_STMT_STATUS_CATALOG)
    return tmv_status_catalog_sql(n);
  /* Baked statements are defined by their caller, who knows the rung. */
  if (slot >= TMV_STMT_BAKED)
    return NULL;
  return tmv_status_detail_sql(n, (unsigned)(slot - TMV_STMT_STATUS_DETAIL));
}
