/*
 * libtechmv: fast, paged listing of the distinct technologies of
 * companies.technologies, served from a materialized view when it can be.
 *
 * Conventions
 *   - Every function that can fail returns a techmv_rc; TECHMV_OK is 0.
 *     After a failure, techmv_errmsg() and techmv_sqlstate() on the handle
 *     tell what happened (the server's message and SQLSTATE when it spoke).
 *   - Bad arguments are rejected with TECHMV_EINVAL before anything is sent.
 *   - The library never opens, closes, resets or changes the settings of the
 *     caller's PGconn. It only sends its own statements on it, and only when
 *     the connection is idle and not in pipeline or COPY mode.
 *   - Ownership: whatever a techmv_* function allocates for you comes with
 *     exactly one function that frees it, named next to its declaration.
 *     Strings returned as `const char *` are borrowed; their lifetime is
 *     stated next to the function.
 *   - Threads: the library has no global state. A handle, like the PGconn it
 *     is bound to, must be used by one thread at a time. Different handles
 *     (on different connections) may be used from different threads at once.
 *   - Structs and ABI: option, parameter and output structs start with a
 *     `size` member set by their *_INIT macro. The library reads (or, for
 *     output structs, writes) only the members that fit in `size`, so a
 *     program built against an older header keeps working with a newer
 *     library, and one built against a newer header works with an older
 *     library as long as it leaves the members that library does not know
 *     at zero (else TECHMV_EINVAL). Rules that keep this unambiguous:
 *     members are only ever added at the end; every member is a pointer, a
 *     64-bit integer, a double, or a 32-bit int paired with another one, so
 *     no struct has padding and each version has its own sizeof; enumerated
 *     values travel in `int` members (an enum's size is the compiler's
 *     choice); reserved members must stay zero. The size of each published
 *     version is frozen: TECHMV_*_SIZE_V1 below (on LP64 platforms).
 *   - Text: strings passed in are in the connection's client encoding;
 *     every multibyte encoding PostgreSQL allows on the client side works
 *     (SJIS, BIG5, GBK and GB18030 included), and text that is not valid in
 *     it is refused with TECHMV_EINVAL. Configured names (techmv_config) are
 *     UTF-8 whatever the client encoding.
 */
#ifndef TECHMV_H
#define TECHMV_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(TECHMV_BUILDING)
#define TECHMV_API __attribute__((visibility("default")))
#else
#define TECHMV_API
#endif

/* ---- Version ------------------------------------------------------------ */

#define TECHMV_VERSION_MAJOR 0
#define TECHMV_VERSION_MINOR 2
#define TECHMV_VERSION_PATCH 0
#define TECHMV_VERSION_STRING "0.2.0"
/* major * 10000 + minor * 100 + patch, as PQlibVersion() does. */
#define TECHMV_VERSION_NUMBER                                                  \
  (TECHMV_VERSION_MAJOR * 10000 + TECHMV_VERSION_MINOR * 100 +                 \
   TECHMV_VERSION_PATCH)

/* The version of the library actually linked; compare with the macros to
 * detect a header/library mismatch. Static string, never freed. */
TECHMV_API const char *techmv_version(void);
TECHMV_API int techmv_version_number(void);

/* The version of the database objects (sql/install.sql) this library
 * needs. An install of an older version is reported by techmv_status() and
 * refused by techmv_list() with TECHMV_ESCHEMA: run the newer install.sql,
 * which upgrades in place. */
#define TECHMV_SCHEMA_VERSION 4

/* ---- Result codes ------------------------------------------------------- */

typedef enum techmv_rc {
  TECHMV_OK = 0,
  TECHMV_EINVAL,   /* bad argument; nothing was sent */
  TECHMV_ENOMEM,   /* out of memory */
  TECHMV_ESTATE,   /* the connection is not in a state the call can use
                      (busy, pipeline/COPY mode, failed or open transaction
                      where not allowed); nothing was sent */
  TECHMV_ECONN,    /* the connection is bad or was lost */
  TECHMV_ESERVER,  /* the server reported an error; see techmv_sqlstate() */
  TECHMV_EBUSY,    /* refresh: another refresh holds the view and the caller
                      asked not to wait */
  TECHMV_ETIMEOUT, /* refresh: the lock timeout expired while waiting */
  TECHMV_ENOTINSTALLED, /* refresh: the view or its refresh function does
                           not exist (run sql/install.sql) */
  TECHMV_ESTALE,        /* no longer returned (inside the caller's transaction
                           block the library runs unnamed statements, which
                           cannot be lost); kept so old code compiles */
  TECHMV_EREADONLY,     /* refresh: the server is a read-only standby */
  TECHMV_ESCHEMA        /* list: the installed database objects are of an
                           older schema version than this library needs
                           (TECHMV_SCHEMA_VERSION); run sql/install.sql */
} techmv_rc;

/* Short English description of a result code. Static string, never freed. */
TECHMV_API const char *techmv_rc_string(int rc);

/* ---- Handle ------------------------------------------------------------- */

typedef struct techmv techmv;

/* How the handle runs its statements. Whatever the mode, a call made inside
 * the caller's transaction block runs unnamed statements (parse, bind and
 * execute in one round trip): a named statement that turned out lost,
 * duplicated or reshaped there would abort the caller's transaction, and
 * the library never does that for reasons of its own.
 *
 * Named statements live on the caller's connection until it closes or the
 * caller runs DISCARD ALL / DEALLOCATE ALL; any later handle with the same
 * configuration reuses them. Whatever the callers do, the library keeps at
 * most TECHMV_STATEMENTS_MAX statements per connection for each
 * configuration (set of names), about 25 kB of server memory each with its
 * plan (measured), so at most about 2.4 MB per backend; each time the view
 * is recreated with another result type, one more. */
typedef enum techmv_statements {
  TECHMV_STATEMENTS_AUTO = 0,   /* named prepared statements, until they are
                                   lost twice in a row with no successful
                                   named call in between (the mark of a
                                   transaction pooler; an application pool
                                   that runs DISCARD ALL at check-in is
                                   not), then unnamed ones */
  TECHMV_STATEMENTS_NAMED = 1,  /* always named (re-prepared when lost) */
  TECHMV_STATEMENTS_UNNAMED = 2 /* never named: parse, bind and execute in
                                   one round trip each call; for PgBouncer
                                   and other transaction poolers */
} techmv_statements;
#define TECHMV_STATEMENTS_MAX 96

/* Names of the objects the handle works on. NULL members take the defaults
 * shown. Names are plain identifiers in UTF-8, whatever the client encoding
 * (the library quotes them itself, in a form that does not depend on the
 * client encoding, so any spelling is safe and a later change of
 * client_encoding does not change what they name); the view name may be at
 * most TECHMV_VIEW_NAME_MAX bytes so the names derived from it (log table
 * "<view>_refresh_log", function "<view>_refresh") fit PostgreSQL's 63. */
typedef struct techmv_config {
  size_t size;               /* sizeof(techmv_config), set by INIT */
  const char *schema;        /* NULL: unqualified, the session's search_path */
  const char *view;          /* "mv_distinct_technologies" */
  const char *source_table;  /* "companies" */
  const char *source_column; /* "technologies" (text[]) */
  const char *id_column;     /* "id" (bigint-compatible) */
  int statements;            /* a techmv_statements; TECHMV_STATEMENTS_AUTO */
  int reserved0;             /* must be 0 */
} techmv_config;

#define TECHMV_CONFIG_INIT                                                     \
  {                                                                            \
    sizeof(techmv_config), NULL, NULL, NULL, NULL, NULL,                       \
        TECHMV_STATEMENTS_AUTO, 0                                              \
  }
#define TECHMV_CONFIG_SIZE_V1 56 /* LP64 */
#define TECHMV_VIEW_NAME_MAX 50

/* Create a handle bound to `conn`, which stays owned by the caller and must
 * outlive the handle. `config` may be NULL for the defaults; its strings are
 * copied. Nothing is sent to the server. On success *out owns a new handle,
 * freed with techmv_close(). When `config` is rejected (TECHMV_EINVAL), *out
 * still receives a handle, as sqlite3_open() does, so that techmv_errmsg()
 * can say why; it is good only for that and techmv_close(). On any other
 * failure (NULL out or conn, TECHMV_ENOMEM) *out is NULL. */
TECHMV_API int techmv_open(PGconn *conn, const techmv_config *config,
                           techmv **out);

/* Free the handle. Sends nothing: statements the handle prepared stay on the
 * connection (any later handle with the same names reuses them; see
 * techmv_statements for their bound). NULL is a no-op. */
TECHMV_API void techmv_close(techmv *h);

/* Message about the last failed call on `h` ("" after a success). Owned by the
 * handle, valid until the next call on it. Never NULL; NULL h gives "". */
TECHMV_API const char *techmv_errmsg(const techmv *h);

/* SQLSTATE of the last server error on `h`, or "" if the last failure did not
 * come from the server. Owned by the handle, like techmv_errmsg(). */
TECHMV_API const char *techmv_sqlstate(const techmv *h);

/* ---- Listing ------------------------------------------------------------ */

typedef enum techmv_order {
  TECHMV_ORDER_ASC = 0, /* value ascending, in the column's collation */
  TECHMV_ORDER_DESC = 1
} techmv_order;

typedef enum techmv_source {
  TECHMV_SOURCE_AUTO = 0, /* the view when the query allows it */
  TECHMV_SOURCE_BASE = 1  /* always the source table (e.g. while the view is
                             under suspicion) */
} techmv_source;

#define TECHMV_LIMIT_MAX 10000
#define TECHMV_OFFSET_MAX 10000000
#define TECHMV_SEARCH_MAX 256 /* bytes */
#define TECHMV_COMPANIES_MAX 100000
/* Values longer than this many bytes (in the server's encoding) are never
 * served, on any path: a btree index entry cannot hold them, and one odd
 * row must not stop the view. techmv_status() counts them (long_values). */
#define TECHMV_VALUE_MAX 1024
/* A cursor is a value as the client received it; conversion to the client
 * encoding can at most quadruple a value's bytes, so the cursor of any page
 * is always accepted. */
#define TECHMV_CURSOR_MAX (4 * TECHMV_VALUE_MAX) /* bytes */

typedef struct techmv_list_params {
  size_t size;   /* sizeof(techmv_list_params), set by INIT */
  int distinct;  /* nonzero (default): each value once; zero: one row per
                    company/technology occurrence */
  int reserved0; /* must be 0 */
  const int64_t *company_ids; /* filter: only these companies (not copied) */
  size_t company_count;       /* 0: no filter; 1..TECHMV_COMPANIES_MAX */
  /* search: case-insensitive substring (lower(value) contains
   * lower(search), as ILIKE compares in a UTF-8 database), matched
   * literally, character by character in the client encoding: '%', '_' and
   * '\' are ordinary characters. NULL or "" for none; valid in the client
   * encoding; at most TECHMV_SEARCH_MAX bytes. */
  const char *search;
  int order;         /* a techmv_order; TECHMV_ORDER_ASC */
  int reserved1;     /* must be 0 */
  int64_t limit;     /* 1..TECHMV_LIMIT_MAX (default 25) */
  int64_t offset;    /* 0..TECHMV_OFFSET_MAX (default 0) */
  const char *after; /* keyset cursor: only values after this one in the
                        chosen order (pass techmv_page_cursor() of the
                        previous page). Needs distinct. NULL for none. */
  int source;        /* a techmv_source; TECHMV_SOURCE_AUTO */
  int reserved2;     /* must be 0 */
} techmv_list_params;

#define TECHMV_LIST_PARAMS_INIT                                                \
  {                                                                            \
    sizeof(techmv_list_params), 1, 0, NULL, 0, NULL, TECHMV_ORDER_ASC, 0, 25,  \
        0, NULL, TECHMV_SOURCE_AUTO, 0                                         \
  }
#define TECHMV_LIST_PARAMS_SIZE_V1 80 /* LP64 */

/* Which path served a page. */
typedef enum techmv_path {
  TECHMV_PATH_VIEW = 0,    /* the materialized view */
  TECHMV_PATH_BASE = 1,    /* the source table, because the query needs it
                              (company filter, distinct=0) or the caller
                              asked for it */
  TECHMV_PATH_FALLBACK = 2 /* the source table, because the view is missing
                              or not populated */
} techmv_path;

/* Static string naming a path ("view", "base", "fallback"). */
TECHMV_API const char *techmv_path_string(int path);

typedef struct techmv_page techmv_page;

/* Fetch one page: up to params->limit values and whether more follow (found
 * by asking for limit+1 rows, never by counting). `params` may be NULL for
 * the defaults. Must be called with the connection idle (no result pending,
 * not in pipeline or COPY mode); inside the caller's transaction block it
 * runs in that transaction, commits nothing, and never aborts it because of
 * the library's own statements. One round trip. A view that is missing or
 * not populated falls back to the source table when the connection is not
 * in a transaction block; inside one, the server's error is returned (a
 * fallback would need a savepoint in the caller's transaction). A view of
 * an older schema version is TECHMV_ESCHEMA on every query it cannot serve
 * as this library expects (schema 1 and 2: every query; schema 3: searches,
 * which need the search function of schema 4), never a silent fall-back.
 * On success *out owns a page, freed with techmv_page_free(); on failure
 * *out is NULL. The page holds its values itself: it may outlive the handle
 * and the connection, and be read from another thread. */
TECHMV_API int techmv_list(techmv *h, const techmv_list_params *params,
                           techmv_page **out);

/* Number of values on the page (0..limit). */
TECHMV_API size_t techmv_page_count(const techmv_page *page);
/* The i-th value (0-based), NUL-terminated; NULL when i is out of range.
 * Borrowed from the page: valid until techmv_page_free(). */
TECHMV_API const char *techmv_page_value(const techmv_page *page, size_t i);
/* Byte length of the i-th value; 0 when out of range. */
TECHMV_API size_t techmv_page_value_length(const techmv_page *page, size_t i);
/* Nonzero when at least one more value follows this page. */
TECHMV_API int techmv_page_has_more(const techmv_page *page);
/* The path that served the page (a techmv_path). */
TECHMV_API techmv_path techmv_page_path(const techmv_page *page);
/* Cursor for the next page: the last value, to pass as params->after; NULL
 * when the page is empty. Borrowed from the page like techmv_page_value(). */
TECHMV_API const char *techmv_page_cursor(const techmv_page *page);
/* Free the page and everything borrowed from it. NULL is a no-op. */
TECHMV_API void techmv_page_free(techmv_page *page);

/* ---- Refresh ------------------------------------------------------------ */

typedef struct techmv_refresh_options {
  size_t size;         /* sizeof(techmv_refresh_options), set by INIT */
  int wait;            /* nonzero (default): wait for a running refresh;
                          zero: return TECHMV_EBUSY at once whenever any
                          lock is in the way, whoever holds it */
  int lock_timeout_ms; /* 0 (default): no limit; else give up with
                          TECHMV_ETIMEOUT after this many ms of waiting */
} techmv_refresh_options;

#define TECHMV_REFRESH_OPTIONS_INIT                                            \
  { sizeof(techmv_refresh_options), 1, 0 }
#define TECHMV_REFRESH_OPTIONS_SIZE_V1 16 /* LP64 */

typedef struct techmv_refresh_info {
  size_t size;        /* sizeof(techmv_refresh_info), set by INIT */
  int concurrently;   /* nonzero: REFRESH ... CONCURRENTLY was used */
  int reserved0;      /* written as 0 */
  double started_at;  /* Unix time, seconds, server clock */
  double duration_ms; /* of the REFRESH itself */
  int64_t rows;       /* values in the view afterwards */
  /* Since 0.2 (size > TECHMV_REFRESH_INFO_SIZE_V1): */
  int64_t long_values; /* distinct values left out for being longer than
                          TECHMV_VALUE_MAX */
} techmv_refresh_info;

#define TECHMV_REFRESH_INFO_INIT                                               \
  { sizeof(techmv_refresh_info), 0, 0, 0, 0, 0, 0 }
#define TECHMV_REFRESH_INFO_SIZE_V1 40 /* LP64 */

/* Refresh the view through its refresh function (installed by
 * sql/install.sql): CONCURRENTLY when the view is populated, so readers are
 * never blocked, plain when it is not; the refresh and its log row commit
 * together. Two refreshes of one view never run at once. Every attempt that
 * fails (server error, lock timeout, cancellation) is recorded in the log
 * with its SQLSTATE and message, and techmv_status() reports the last one;
 * this call then returns TECHMV_ESERVER (or TECHMV_ETIMEOUT) with that
 * SQLSTATE and message. Must be called
 * outside a transaction block (a refresh inside the caller's transaction
 * would hold the view's lock until the caller commits): TECHMV_ESTATE
 * otherwise. `options` and `info` may be NULL; on TECHMV_OK, `info` (caller's
 * storage) is filled. Returns TECHMV_EBUSY or TECHMV_ETIMEOUT as described
 * in techmv_refresh_options. */
TECHMV_API int techmv_refresh(techmv *h, const techmv_refresh_options *options,
                              techmv_refresh_info *info);

/* ---- Status ------------------------------------------------------------- */

typedef struct techmv_status_info {
  size_t size;         /* sizeof(techmv_status_info), set by INIT */
  int installed;       /* the view exists */
  int populated;       /* it has been refreshed at least once */
  int64_t rows;        /* exact count of values served; -1 when not
                          populated */
  int64_t total_bytes; /* view + indexes (+ TOAST); -1 when not installed */
  int64_t table_bytes;
  int64_t index_bytes;
  int has_last_refresh;   /* the log holds a successful refresh; the next
                             four are set */
  int reserved0;          /* written as 0 */
  double last_refresh_at; /* Unix time, seconds, server clock */
  double last_refresh_duration_ms;
  double last_refresh_age_s; /* now - (start + duration), server clock */
  int last_refresh_concurrently;
  int refresh_running;      /* another session is refreshing the view now */
  int refresh_running_pid;  /* its backend pid, 0 when none */
  int is_standby;           /* the server is a hot standby (read-only) */
  double replay_lag_s;      /* standby: seconds since the last replayed
                               transaction committed on the primary (grows
                               while the primary is idle); -1 when unknown */
  int64_t replay_lag_bytes; /* standby: WAL received but not yet replayed;
                               -1 when unknown */
  int named_statements;     /* this handle uses named prepared statements
                               (0: unnamed, e.g. behind a pooler) */
  int reserved1;            /* written as 0 */
  /* Since 0.2 (size > TECHMV_STATUS_INFO_SIZE_V1): */
  int schema_installed; /* schema version of the installed objects; 0 when
                           not installed or not made by sql/install.sql */
  int schema_expected;  /* TECHMV_SCHEMA_VERSION of this library */
  int64_t long_values;  /* distinct values left out at the last refresh for
                           being longer than TECHMV_VALUE_MAX; -1 unknown */
  int has_last_failure; /* the log holds a failed refresh attempt; the
                           next four are set */
  int reserved2;        /* written as 0 */
  char last_failure_sqlstate[8]; /* NUL-terminated, "" when unknown */
  double last_failure_at;        /* Unix time, seconds, server clock */
  double last_failure_age_s;
  const char *last_failure_message;    /* owned by the handle, valid until the
                                          next call on it; "" when none */
  int64_t failures_since_last_refresh; /* failed attempts after the last
                                          successful refresh (all of them
                                          when there was none) */
  int mode;                            /* a techmv_mode: how the set is kept */
  int needs_rebuild;       /* live: the source was truncated; the next refresh
                              rebuilds the set from scratch */
  int64_t pending_changes; /* live: changes committed to the source and
                              not yet applied to the set; -1 otherwise */
  double oldest_pending_age_s; /* live: age of the oldest of them, 0 when
                                  none; -1 otherwise */
} techmv_status_info;

/* How the set is kept (sql/install.sql -v mode=...). */
typedef enum techmv_mode {
  TECHMV_MODE_VIEW = 0, /* a materialized view, refreshed in full */
  TECHMV_MODE_LIVE = 1  /* a table that triggers on the source keep, applied
                           by techmv_refresh() at a cost proportional to the
                           changes */
} techmv_mode;

#define TECHMV_STATUS_INFO_INIT                                                \
  {                                                                            \
    sizeof(techmv_status_info), 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0,  \
        0, -1, -1, 0, 0, 0, TECHMV_SCHEMA_VERSION, -1, 0, 0, {0}, 0, 0, "", 0, \
        TECHMV_MODE_VIEW, 0, -1, -1                                            \
  }
#define TECHMV_STATUS_INFO_SIZE_V1 120 /* LP64 */

/* Fill `info` (caller's storage) with what an operator needs to know. A view
 * that is not installed is not an error: info->installed is 0. Needs the
 * same connection state as techmv_list(); at most two round trips. */
TECHMV_API int techmv_status(techmv *h, techmv_status_info *info);

#ifdef __cplusplus
}
#endif

#endif /* TECHMV_H */
