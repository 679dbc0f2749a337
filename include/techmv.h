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
 *   - Option and parameter structs start with a `size` member set by their
 *     *_INIT macro; the library reads only the members that fit in `size`,
 *     so programs built against an older header keep working when members
 *     are added at the end.
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
#define TECHMV_VERSION_MINOR 1
#define TECHMV_VERSION_PATCH 0
#define TECHMV_VERSION_STRING "0.1.0"
/* major * 10000 + minor * 100 + patch, as PQlibVersion() does. */
#define TECHMV_VERSION_NUMBER                                                  \
  (TECHMV_VERSION_MAJOR * 10000 + TECHMV_VERSION_MINOR * 100 +                 \
   TECHMV_VERSION_PATCH)

/* The version of the library actually linked; compare with the macros to
 * detect a header/library mismatch. Static string, never freed. */
TECHMV_API const char *techmv_version(void);
TECHMV_API int techmv_version_number(void);

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
  TECHMV_ESTALE,        /* inside the caller's transaction block, the library's
                           prepared statement was gone (DISCARD ALL, DEALLOCATE,
                           a pooler) or the view changed shape; the server has
                           aborted that transaction. Roll back and call again:
                           outside a transaction block the library recovers by
                           itself. */
  TECHMV_EREADONLY      /* refresh: the server is a read-only standby */
} techmv_rc;

/* Short English description of a result code. Static string, never freed. */
TECHMV_API const char *techmv_rc_string(int rc);

/* ---- Handle ------------------------------------------------------------- */

typedef struct techmv techmv;

/* How the handle runs its statements. */
typedef enum techmv_statements {
  TECHMV_STATEMENTS_AUTO = 0,   /* named prepared statements, until they are
                                   lost twice on one connection (the mark of a
                                   transaction pooler), then unnamed ones */
  TECHMV_STATEMENTS_NAMED = 1,  /* always named (re-prepared when lost) */
  TECHMV_STATEMENTS_UNNAMED = 2 /* never named: parse, bind and execute in
                                   one round trip each call; for PgBouncer
                                   and other transaction poolers */
} techmv_statements;

/* Names of the objects the handle works on. NULL members take the defaults
 * shown. Names are plain identifiers (quoted by the library with
 * PQescapeIdentifier, so any spelling is safe); the view name may be at most
 * TECHMV_VIEW_NAME_MAX bytes so the names derived from it (log table
 * "<view>_refresh_log", function "<view>_refresh") fit PostgreSQL's 63. */
typedef struct techmv_config {
  size_t size;               /* sizeof(techmv_config), set by INIT */
  const char *schema;        /* NULL: unqualified, the session's search_path */
  const char *view;          /* "mv_distinct_technologies" */
  const char *source_table;  /* "companies" */
  const char *source_column; /* "technologies" (text[]) */
  const char *id_column;     /* "id" (bigint-compatible) */
  techmv_statements statements; /* TECHMV_STATEMENTS_AUTO */
} techmv_config;

#define TECHMV_CONFIG_INIT                                                     \
  {                                                                            \
    sizeof(techmv_config), NULL, NULL, NULL, NULL, NULL,                       \
        TECHMV_STATEMENTS_AUTO                                                 \
  }
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
 * connection (they are reused by any later handle with the same names). NULL
 * is a no-op. */
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
#define TECHMV_CURSOR_MAX 4096 /* bytes */

typedef struct techmv_list_params {
  size_t size;  /* sizeof(techmv_list_params), set by INIT */
  int distinct; /* nonzero (default): each value once; zero: one row per
                   company/technology occurrence */
  const int64_t *company_ids; /* filter: only these companies (not copied) */
  size_t company_count;       /* 0: no filter; 1..TECHMV_COMPANIES_MAX */
  /* search: case-insensitive substring (lower(value) contains
   * lower(search), as ILIKE compares in a UTF-8 database), matched
   * literally: '%', '_' and '\' are ordinary characters. NULL or "" for
   * none; valid UTF-8 when the client encoding is UTF8; at most
   * TECHMV_SEARCH_MAX bytes. */
  const char *search;
  techmv_order order;
  int64_t limit;     /* 1..TECHMV_LIMIT_MAX (default 25) */
  int64_t offset;    /* 0..TECHMV_OFFSET_MAX (default 0) */
  const char *after; /* keyset cursor: only values after this one in the
                        chosen order (pass techmv_page_cursor() of the
                        previous page). Needs distinct. NULL for none. */
  techmv_source source;
} techmv_list_params;

#define TECHMV_LIST_PARAMS_INIT                                                \
  {                                                                            \
    sizeof(techmv_list_params), 1, NULL, 0, NULL, TECHMV_ORDER_ASC, 25, 0,     \
        NULL, TECHMV_SOURCE_AUTO                                               \
  }

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
 * runs in that transaction and commits nothing. A view that is missing or
 * not populated falls back to the source table when the connection is not
 * in a transaction block; inside one, the server's error is returned (a
 * fallback would need a savepoint in the caller's transaction).
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
                          zero: return TECHMV_EBUSY at once */
  int lock_timeout_ms; /* 0 (default): no limit; else give up with
                          TECHMV_ETIMEOUT after this many ms of waiting */
} techmv_refresh_options;

#define TECHMV_REFRESH_OPTIONS_INIT                                            \
  { sizeof(techmv_refresh_options), 1, 0 }

typedef struct techmv_refresh_info {
  size_t size;        /* sizeof(techmv_refresh_info), set by INIT */
  int concurrently;   /* nonzero: REFRESH ... CONCURRENTLY was used */
  double started_at;  /* Unix time, seconds, server clock */
  double duration_ms; /* of the REFRESH itself */
  int64_t rows;       /* rows in the view afterwards */
} techmv_refresh_info;

#define TECHMV_REFRESH_INFO_INIT                                               \
  { sizeof(techmv_refresh_info), 0, 0, 0, 0 }

/* Refresh the view through its refresh function (installed by
 * sql/install.sql): CONCURRENTLY when the view is populated, so readers are
 * never blocked, plain when it is not; the refresh and its log row commit
 * together. Two refreshes of one view never run at once. Must be called
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
  int64_t rows;        /* exact row count; -1 when not populated */
  int64_t total_bytes; /* view + indexes (+ TOAST); -1 when not installed */
  int64_t table_bytes;
  int64_t index_bytes;
  int has_last_refresh;   /* the log holds a refresh; the next four are set */
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
} techmv_status_info;

#define TECHMV_STATUS_INFO_INIT                                                \
  {                                                                            \
    sizeof(techmv_status_info), 0, 0, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0,  \
        -1, -1, 0                                                              \
  }

/* Fill `info` (caller's storage) with what an operator needs to know. A view
 * that is not installed is not an error: info->installed is 0. Needs the
 * same connection state as techmv_list(). */
TECHMV_API int techmv_status(techmv *h, techmv_status_info *info);

#ifdef __cplusplus
}
#endif

#endif /* TECHMV_H */
