/* Declarations shared by the library's source files; not installed. */
#ifndef TECHMV_INTERNAL_H
#define TECHMV_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "techmv.h"

#if defined(__GNUC__)
#define TMV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TMV_PRINTF(f, a)
#endif

#define TMV_ERRMSG_MAX 1024

/* ---- Sized structs (sizedstruct.c) -------------------------------------- */

/* The smallest size a caller may pass: that of the first published layout.
 * A struct that grows gets its minimum from the offset of its first added
 * member; the asserts freeze the published sizes, so a change that would
 * move or resize a published member does not compile. */
#define TMV_CONFIG_MIN_SIZE sizeof(techmv_config)
#define TMV_LIST_PARAMS_MIN_SIZE sizeof(techmv_list_params)
#define TMV_REFRESH_OPTIONS_MIN_SIZE sizeof(techmv_refresh_options)
#define TMV_REFRESH_INFO_MIN_SIZE offsetof(techmv_refresh_info, long_values)
#define TMV_STATUS_INFO_MIN_SIZE offsetof(techmv_status_info, schema_installed)

#if UINTPTR_MAX == UINT64_MAX
_Static_assert(TMV_CONFIG_MIN_SIZE == TECHMV_CONFIG_SIZE_V1, "config v1");
_Static_assert(TMV_LIST_PARAMS_MIN_SIZE == TECHMV_LIST_PARAMS_SIZE_V1,
               "list params v1");
_Static_assert(TMV_REFRESH_OPTIONS_MIN_SIZE == TECHMV_REFRESH_OPTIONS_SIZE_V1,
               "refresh options v1");
_Static_assert(TMV_REFRESH_INFO_MIN_SIZE == TECHMV_REFRESH_INFO_SIZE_V1,
               "refresh info v1");
_Static_assert(TMV_STATUS_INFO_MIN_SIZE == TECHMV_STATUS_INFO_SIZE_V1,
               "status info v1");
/* No padding anywhere: every version has a size of its own. */
_Static_assert(sizeof(techmv_refresh_info) == 48, "refresh info v2");
_Static_assert(sizeof(techmv_status_info) == 208, "status info v2");
#endif

/* Copy a caller's sized struct over `dst` (which holds the defaults and whose
 * first member is its size). Accepts an older, shorter struct; accepts a
 * newer, longer one only if the members this library does not know are all
 * zero. Returns 0, or -1 with a message in err. */
int tmv_sized_copy(void *dst, size_t dst_size, const void *src, size_t min_size,
                   const char *what, char *err, size_t errlen);

/* Whether the caller's output struct `out` is at least `min_size` by its
 * size member. Returns 0, or -1 with a message in err. */
int tmv_sized_check(const void *out, size_t min_size, const char *what,
                    char *err, size_t errlen);

/* Write `src` (full, current size) into the caller's struct `dst`, already
 * checked by tmv_sized_check, as far as the caller's size reaches. */
void tmv_sized_fill(void *dst, const void *src, size_t src_size);

/* ---- Text helpers (text.c) ---------------------------------------------- */

/* ---- Client encoding (encoding.c) --------------------------------------- */

/* Byte length of the character at s[0..left) in `encoding` (a libpq
 * encoding id), or -1 when the bytes there are not a valid character (NUL
 * included). */
int tmv_char_len(const char *s, size_t left, int encoding);
/* Nonzero when s[0..len) is valid text in `encoding`. */
int tmv_text_valid(const char *s, size_t len, int encoding);
/* Nonzero when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF). */
int tmv_utf8_valid(const char *s, size_t len);

/* Pattern for "contains `term` literally" under LIKE with the default escape
 * character: '%' + term with '\', '%' and '_' escaped + '%', walked
 * character by character in `encoding` (term already validated). Returns a
 * malloc'd string (caller frees) or NULL when out of memory. */
char *tmv_like_contains_pattern(const char *term, size_t len, int encoding);

/* An identifier (valid UTF-8) quoted for SQL text, as "name" or, when it is
 * not plain ASCII, U&"..." with Unicode escapes, so that the text means the
 * same in every client encoding. malloc'd, caller frees; NULL when out of
 * memory. */
char *tmv_quote_ident(const char *name);
/* A string (valid UTF-8) as an E'' literal with Unicode escapes, for the
 * same reason. malloc'd, caller frees; NULL when out of memory. */
char *tmv_quote_literal(const char *s);

/* PostgreSQL array literal "{1,2,3}" of the ids; malloc'd, caller frees; NULL
 * when out of memory. */
char *tmv_bigint_array_literal(const int64_t *ids, size_t n);

/* 64-bit FNV-1a of a NUL-terminated string. */
uint64_t tmv_hash64(const char *s);

/* ---- Listing queries (query.c) ------------------------------------------ */

/* Bits of a list statement variant; every combination has its own SQL text
 * and prepared statement, so each gets a plan that fits it. */
enum {
  TMV_Q_BASE = 1 << 0,    /* source table, not the view */
  TMV_Q_ALL = 1 << 1,     /* distinct=0 (base only) */
  TMV_Q_COMPANY = 1 << 2, /* company filter (base only) */
  TMV_Q_SEARCH = 1 << 3,  /* substring search */
  TMV_Q_AFTER = 1 << 4,   /* keyset cursor */
  TMV_Q_DESC = 1 << 5,    /* descending */
  TMV_Q_BAKED = 1 << 6,   /* no offset, and the limit written into the
                             text: with no parameter left in LIMIT/OFFSET
                             the planner can cost a generic plan right, so
                             the statement is planned once, not on every
                             call (only where one plan fits every call) */
  TMV_Q_VARIANTS = 1 << 7
};

/* A validated list request, ready to be bound. */
typedef struct tmv_list_query {
  techmv_list_params p; /* normalized copy (pointers borrowed) */
  size_t search_len;    /* 0 when no search */
  int encoding;         /* the client encoding the strings are in */
  unsigned variant;     /* TMV_Q_* bits for the preferred path */
} tmv_list_query;

/* Validate and normalize `params` (NULL: defaults); strings must be valid
 * in `encoding`, the client encoding. Returns 0, or -1 with a message in
 * err. */
int tmv_list_query_init(tmv_list_query *q, const techmv_list_params *params,
                        int encoding, char *err, size_t errlen);

/* The path a variant takes when nothing goes wrong. */
techmv_path tmv_variant_path(unsigned variant);

/* Quoted names a handle's SQL is built from: identifiers as SQL text
 * (tmv_quote_ident), and the *_lit members as string literals naming the
 * same relation, for pg_catalog.to_regclass(). */
typedef struct tmv_names {
  char *view;        /* "schema"."view" or "view" */
  char *table;       /* "schema"."companies" */
  char *column;      /* "technologies" */
  char *id;          /* "id" */
  char *log;         /* "schema"."view_refresh_log" */
  char *function;    /* "schema"."view_refresh" */
  char *view_lit;    /* E'"schema"."view"' */
  char *log_lit;     /* E'"schema"."view_refresh_log"' */
  char *live_status; /* "schema"."view_live_status" */
  char *search;      /* "schema"."view_search" */
} tmv_names;

/* Number of bound parameters of a variant ($1 limit+1, $2 offset unless
 * baked, then search, after and company ids, each when present). */
int tmv_variant_nparams(unsigned variant);

/* SQL text of a list variant; `fetch` (limit+1) is written into it when the
 * variant is TMV_Q_BAKED and ignored otherwise. malloc'd, caller frees; NULL
 * when out of memory. */
char *tmv_list_sql(const tmv_names *n, unsigned variant, int64_t fetch);

/* Text values of the parameters of `q` for `variant`, in tmv_list_sql's
 * order. Scratch space: `nums` holds the two numbers; *owned gets the
 * malloc'd strings to free afterwards (pattern, id array). Returns the
 * number of parameters or -1 when out of memory. */
typedef struct tmv_bound {
  const char *values[5];
  char nums[2][24];
  char *owned[2];
} tmv_bound;
int tmv_list_bind(const tmv_list_query *q, unsigned variant, tmv_bound *b);
void tmv_bound_release(tmv_bound *b);

/* How many rows of a limit+1 fetch belong on the page. */
void tmv_page_trim(int ntuples, int64_t limit, size_t *count, int *has_more);

/* ---- Status and refresh SQL (query.c) ------------------------------------ */

char *tmv_refresh_sql(const tmv_names *n);
char *tmv_status_catalog_sql(const tmv_names *n);
/* What the detail statement reads depends on what exists. */
enum {
  TMV_DETAIL_POPULATED = 1, /* count the view's values */
  TMV_DETAIL_LOG = 2,       /* read the refresh log */
  TMV_DETAIL_V3 = 4,        /* schema 3 or later: long values, failures */
  TMV_DETAIL_LIVE = 8,      /* live mode: its status view */
  TMV_DETAIL_KINDS = 16
};
char *tmv_status_detail_sql(const tmv_names *n, unsigned kind);

/* ---- Statement cache (stmtcache.c) -------------------------------------- */

/* Row counts a baked statement may be written for: limit+1 is rounded up
 * to the next rung (the extra rows are dropped), so that whatever limits
 * the callers use, each baked variant has at most TMV_RUNGS statements. */
#define TMV_RUNGS 14
#define TMV_RUNG_MAX 1001
/* The rung for `fetch` rows, or -1 past TMV_RUNG_MAX (then the statement
 * with LIMIT $1 serves). */
int tmv_rung(int64_t fetch);
int64_t tmv_rung_rows(int rung);

enum {
  TMV_STMT_REFRESH = TMV_Q_VARIANTS,
  TMV_STMT_STATUS_CATALOG,
  TMV_STMT_STATUS_DETAIL, /* + a TMV_DETAIL_* combination */
  TMV_STMT_BAKED = TMV_STMT_STATUS_DETAIL + TMV_DETAIL_KINDS,
  /* + (variant's AFTER and DESC bits) * TMV_RUNGS + rung */
  TMV_STMT_SLOTS = TMV_STMT_BAKED + 4 * TMV_RUNGS
};

typedef struct tmv_stmt {
  char *sql;     /* owned */
  char name[40]; /* "techmv_" + 16 hex digits of the SQL's hash, then
                    "_" + generation after the view changed shape */
  int nparams;
  int generation; /* bumped when the server's plan no longer fits */
  int prepared;   /* on backend `pid` of the cache */
  int unnamed;    /* the name is taken by another text: run unnamed */
} tmv_stmt;

typedef struct tmv_stmt_cache {
  int pid; /* backend the prepared flags are about; 0 before first use */
  tmv_stmt *slots[TMV_STMT_SLOTS]; /* allocated on first use */
} tmv_stmt_cache;

void tmv_stmt_cache_free(tmv_stmt_cache *c);

/* Give a slot its SQL (taking ownership of `sql`) if it has none. Returns 0,
 * or -1 when out of memory (sql NULL included). */
int tmv_stmt_define(tmv_stmt_cache *c, int slot, char *sql, int nparams);

/* SQL text and parameter count of a slot's statement; malloc'd, caller
 * frees; NULL when out of memory. */
char *tmv_slot_sql(const tmv_names *n, int slot, int *nparams);

/* ---- Handle (handle.c, exec.c) ------------------------------------------ */

struct techmv {
  PGconn *conn; /* borrowed from the caller */
  tmv_names names;
  tmv_stmt_cache cache;
  int mode;    /* a techmv_statements */
  int unnamed; /* running unnamed statements now */
  int losses;  /* times in a row our named statements vanished */
  char sqlstate[6];
  char errmsg[TMV_ERRMSG_MAX];
  char *failure_message; /* techmv_status_info.last_failure_message */
};

int tmv_fail(techmv *h, int rc, const char *fmt, ...) TMV_PRINTF(3, 4);
/* Record the error carried by `res` (or the connection's, when res is NULL or
 * the connection is gone) and return the matching code. */
int tmv_fail_result(techmv *h, const PGresult *res, const char *doing);
void tmv_clear_error(techmv *h);

/* TECHMV_OK when the connection can take a statement now; else records why
 * and returns TECHMV_ECONN or TECHMV_ESTATE. Nothing is sent. */
int tmv_conn_ready(techmv *h);

/* Execute slot `slot` (its statement built on first use) with text
 * parameters, in one round trip: a prepared call; the first call on a
 * backend prepares and executes in one pipeline; inside the caller's
 * transaction block, and behind a transaction pooler, an unnamed statement.
 * On success *out owns a PGRES_TUPLES_OK result. On failure, *out may hold
 * the server's error result (caller PQclear()s it) and the handle's error
 * is set. The connection is always left out of pipeline mode. */
int tmv_exec(techmv *h, int slot, const char *const *values, PGresult **out);

#endif
