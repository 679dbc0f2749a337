/* The handle: the caller's connection, the quoted names and the last error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void tmv_clear_error(techmv *h) {
  h->errmsg[0] = '\0';
  h->sqlstate[0] = '\0';
}

int tmv_fail(techmv *h, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->errmsg, sizeof h->errmsg, fmt, ap);
  va_end(ap);
  h->sqlstate[0] = '\0';
  return rc;
}

static void chomp(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
    s[--n] = '\0';
}

int tmv_fail_result(techmv *h, const PGresult *res, const char *doing) {
  if (res == NULL || PQstatus(h->conn) == CONNECTION_BAD) {
    tmv_fail(h, TECHMV_ECONN, "%s: %s", doing, PQerrorMessage(h->conn));
    chomp(h->errmsg);
    return TECHMV_ECONN;
  }
  const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  tmv_fail(h, TECHMV_ESERVER, "%s: %s", doing, PQresultErrorMessage(res));
  chomp(h->errmsg);
  if (state != NULL)
    snprintf(h->sqlstate, sizeof h->sqlstate, "%s", state);
  return TECHMV_ESERVER;
}

int tmv_conn_ready(techmv *h) {
  PGconn *c = h->conn;
  if (c == NULL)
    return TECHMV_EINVAL; /* failed techmv_open; keep its message */
  if (PQstatus(c) != CONNECTION_OK)
    return tmv_fail(h, TECHMV_ECONN, "the connection is not open: %s",
                    PQerrorMessage(c));
  if (PQpipelineStatus(c) != PQ_PIPELINE_OFF)
    return tmv_fail(h, TECHMV_ESTATE,
                    "the connection is in pipeline mode; leave it first");
  if (PQisnonblocking(c))
    return tmv_fail(h, TECHMV_ESTATE,
                    "the connection is in nonblocking mode; the library "
                    "needs a blocking connection");
  switch (PQtransactionStatus(c)) {
  case PQTRANS_IDLE:
  case PQTRANS_INTRANS:
    return TECHMV_OK;
  case PQTRANS_ACTIVE:
    return tmv_fail(h, TECHMV_ESTATE,
                    "the connection is busy (a command, its results or COPY "
                    "are in progress)");
  case PQTRANS_INERROR:
    return tmv_fail(h, TECHMV_ESTATE,
                    "the current transaction is aborted; roll it back first");
  default:
    return tmv_fail(h, TECHMV_ECONN, "the connection is in an unknown state");
  }
}

/* A schema-qualified name, quoted for SQL text; schema may be NULL. */
static char *quote_name(const char *schema, const char *name,
                        const char *suffix) {
  char full[128];
  snprintf(full, sizeof full, "%s%s", name, suffix);
  char *qn = tmv_quote_ident(full);
  if (qn == NULL || schema == NULL)
    return qn;
  char *qs = tmv_quote_ident(schema);
  char *out = NULL;
  if (qs != NULL) {
    size_t len = strlen(qs) + strlen(qn) + 2;
    out = malloc(len);
    if (out != NULL)
      snprintf(out, len, "%s.%s", qs, qn);
  }
  free(qs);
  free(qn);
  return out;
}

static char *append_quoted(char *o, const char *name, const char *suffix) {
  const char *parts[2] = {name, suffix};
  *o++ = '"';
  for (int k = 0; k < 2; k++) {
    for (const char *p = parts[k]; *p; p++) {
      if (*p == '"')
        *o++ = '"';
      *o++ = *p;
    }
  }
  *o++ = '"';
  return o;
}

/* The same name as a string literal that to_regclass() parses: the
 * double-quoted form (which knows no Unicode escapes) inside an E''. */
static char *regclass_literal(const char *schema, const char *name,
                              const char *suffix) {
  char plain[512]; /* names of at most 63 bytes, each byte doubled at most */
  char *o = plain;
  if (schema != NULL) {
    o = append_quoted(o, schema, "");
    *o++ = '.';
  }
  o = append_quoted(o, name, suffix);
  *o = '\0';
  return tmv_quote_literal(plain);
}

static void names_free(tmv_names *n) {
  free(n->view);
  free(n->table);
  free(n->column);
  free(n->id);
  free(n->log);
  free(n->function);
  free(n->view_lit);
  free(n->log_lit);
  free(n->live_status);
  free(n->search);
}

static int check_name(const char *what, const char *s, size_t max, char *err,
                      size_t errlen) {
  size_t n = strnlen(s, max + 1);
  if (n == 0 || n > max) {
    snprintf(err, errlen, "config->%s must be 1..%zu bytes", what, max);
    return -1;
  }
  if (!tmv_utf8_valid(s, n)) {
    snprintf(err, errlen, "config->%s is not valid UTF-8", what);
    return -1;
  }
  return 0;
}

int techmv_open(PGconn *conn, const techmv_config *config, techmv **out) {
  static const techmv_config defaults = TECHMV_CONFIG_INIT;
  if (out == NULL)
    return TECHMV_EINVAL;
  *out = NULL;
  if (conn == NULL)
    return TECHMV_EINVAL;

  techmv *h = calloc(1, sizeof *h);
  if (h == NULL)
    return TECHMV_ENOMEM;
  h->conn = conn;

  techmv_config c = defaults;
  if (config != NULL &&
      tmv_sized_copy(&c, sizeof c, config, TMV_CONFIG_MIN_SIZE, "config",
                     h->errmsg, sizeof h->errmsg) != 0)
    goto invalid;
  if (c.view == NULL)
    c.view = "mv_distinct_technologies";
  if (c.source_table == NULL)
    c.source_table = "companies";
  if (c.source_column == NULL)
    c.source_column = "technologies";
  if (c.id_column == NULL)
    c.id_column = "id";
  /* PostgreSQL truncates identifiers at 63 bytes. */
  if ((c.schema &&
       check_name("schema", c.schema, 63, h->errmsg, sizeof h->errmsg)) ||
      check_name("view", c.view, TECHMV_VIEW_NAME_MAX, h->errmsg,
                 sizeof h->errmsg) ||
      check_name("source_table", c.source_table, 63, h->errmsg,
                 sizeof h->errmsg) ||
      check_name("source_column", c.source_column, 63, h->errmsg,
                 sizeof h->errmsg) ||
      check_name("id_column", c.id_column, 63, h->errmsg, sizeof h->errmsg))
    goto invalid;

  if (c.reserved0 != 0) {
    snprintf(h->errmsg, sizeof h->errmsg, "config->reserved0 must be 0");
    goto invalid;
  }
  if (c.statements != TECHMV_STATEMENTS_AUTO &&
      c.statements != TECHMV_STATEMENTS_NAMED &&
      c.statements != TECHMV_STATEMENTS_UNNAMED) {
    snprintf(h->errmsg, sizeof h->errmsg,
             "config->statements %d is not a techmv_statements", c.statements);
    goto invalid;
  }
  h->mode = c.statements;
  h->unnamed = c.statements == TECHMV_STATEMENTS_UNNAMED;

  tmv_names *n = &h->names;
  n->view = quote_name(c.schema, c.view, "");
  n->table = quote_name(c.schema, c.source_table, "");
  n->column = quote_name(NULL, c.source_column, "");
  n->id = quote_name(NULL, c.id_column, "");
  n->log = quote_name(c.schema, c.view, "_refresh_log");
  n->function = quote_name(c.schema, c.view, "_refresh");
  n->view_lit = regclass_literal(c.schema, c.view, "");
  n->log_lit = regclass_literal(c.schema, c.view, "_refresh_log");
  n->live_status = quote_name(c.schema, c.view, "_live_status");
  n->search = quote_name(c.schema, c.view, "_search");
  if (!n->view || !n->table || !n->column || !n->id || !n->log ||
      !n->function || !n->view_lit || !n->log_lit || !n->live_status ||
      !n->search) {
    names_free(n);
    free(h);
    return TECHMV_ENOMEM;
  }
  *out = h;
  return TECHMV_OK;

invalid:
  /* As sqlite3_open does: hand out the handle so its message can be read. */
  h->conn = NULL;
  *out = h;
  return TECHMV_EINVAL;
}

void techmv_close(techmv *h) {
  if (h == NULL)
    return;
  tmv_stmt_cache_free(&h->cache);
  names_free(&h->names);
  free(h->failure_message);
  free(h);
}

const char *techmv_errmsg(const techmv *h) {
  return h ? h->errmsg : "";
}

const char *techmv_sqlstate(const techmv *h) {
  return h ? h->sqlstate : "";
}
