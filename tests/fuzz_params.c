/* libFuzzer target: arbitrary list parameters, in one of several client
 * encodings, through validation, escaping, SQL building and binding.
 * Whatever the input, validation either rejects it or yields a statement
 * whose placeholders match its bound values, and a search that means
 * exactly the input term: on the base path a LIKE pattern that matches it
 * literally, character by character; on the set's path the term as given.
 * Names quote to plain ASCII. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      __builtin_trap();                                                        \
  } while (0)

static const tmv_names names = {"\"v\"",    "\"s\".\"t\"", "\"c\"",
                                "\"id\"",   "\"l\"",       "\"f\"",
                                "E'\"v\"'", "E'\"l\"'",    "\"v_live_status\""};

static const char *const encodings[] = {"UTF8",   "SJIS",   "GB18030", "BIG5",
                                        "LATIN1", "EUC_JP", "GBK",     "UHC"};

/* Undo tmv_like_contains_pattern as the server reads a LIKE pattern, one
 * character of `encoding` at a time; NULL if it is not such a pattern. */
static char *unescape(const char *pat, int encoding) {
  size_t n = strlen(pat);
  if (n < 2 || pat[0] != '%' || pat[n - 1] != '%')
    return NULL;
  char *out = malloc(n);
  size_t o = 0;
  for (size_t i = 1; i + 1 < n;) {
    int len = tmv_char_len(pat + i, n - 1 - i, encoding);
    if (len < 1) {
      free(out);
      return NULL;
    }
    if (len == 1 && (pat[i] == '%' || pat[i] == '_')) {
      free(out);
      return NULL; /* an unescaped wildcard */
    }
    if (len == 1 && pat[i] == '\\') {
      i++;
      len = tmv_char_len(pat + i, n - 1 - i, encoding);
      if (len < 1) {
        free(out);
        return NULL;
      }
    }
    memcpy(out + o, pat + i, (size_t)len);
    o += (size_t)len;
    i += (size_t)len;
  }
  out[o] = '\0';
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  techmv_list_params p = TECHMV_LIST_PARAMS_INIT;
  if (size < 19)
    return 0;
  memcpy(&p.limit, data, 8);
  memcpy(&p.offset, data + 8, 8);
  uint8_t flags = data[16];
  uint8_t ncomp = data[17] % 8;
  int encoding = pg_char_to_encoding(encodings[data[18] % 8]);
  data += 19;
  size -= 19;
  p.distinct = flags & 1;
  p.order = (flags >> 1) & 3; /* 2 and 3 are invalid */
  p.source = (flags >> 3) & 3;
  int64_t ids[8];
  if ((size_t)ncomp * 8 > size)
    ncomp = (uint8_t)(size / 8);
  memcpy(ids, data, (size_t)ncomp * 8);
  p.company_ids = (flags & 0x80) ? NULL : ids;
  p.company_count = ncomp;
  data += ncomp * 8;
  size -= ncomp * 8;

  /* The rest: search, NUL, after. */
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = '\0';
  size_t first = strlen(text);
  p.search = (flags & 0x20) ? text : NULL;
  p.after = (flags & 0x40) && first < size ? text + first + 1 : NULL;

  char err[256];
  tmv_list_query q;
  if (p.search != NULL && tmv_utf8_valid(p.search, strlen(p.search))) {
    char *quoted = tmv_quote_ident(p.search);
    CHECK(quoted != NULL);
    for (const char *c = quoted; *c; c++)
      CHECK(*c >= 0x20 && *c < 0x7F);
    free(quoted);
  }
  if (tmv_list_query_init(&q, &p, encoding, err, sizeof err) != 0) {
    CHECK(err[0] != '\0');
    free(text);
    return 0;
  }
  CHECK(q.p.limit >= 1 && q.p.limit <= TECHMV_LIMIT_MAX);
  CHECK(q.p.offset >= 0 && q.p.offset <= TECHMV_OFFSET_MAX);
  for (int pass = 0; pass < 4; pass++) {
    /* The preferred variant and the fallback a view failure leads to, each
     * with the page parameters bound and written in. */
    unsigned v = q.variant | ((pass & 1) ? TMV_Q_BASE : 0) |
                 ((pass & 2) ? TMV_Q_BAKED : 0);
    char *sql = tmv_list_sql(&names, v, q.p.limit + 1);
    CHECK(sql != NULL);
    int n = tmv_variant_nparams(v);
    char want[8];
    for (int i = 1; i <= n + 1; i++) {
      snprintf(want, sizeof want, "$%d", i);
      CHECK((strstr(sql, want) != NULL) == (i <= n));
    }
    tmv_bound b;
    CHECK(tmv_list_bind(&q, v, &b) == n);
    if ((v & TMV_Q_SEARCH) && (v & TMV_Q_BASE)) {
      /* The base path matches with LIKE: the pattern must mean the term. */
      char *term = unescape(b.values[(v & TMV_Q_BAKED) ? 0 : 2], encoding);
      CHECK(term != NULL);
      CHECK(strlen(term) == q.search_len &&
            memcmp(term, q.p.search, q.search_len) == 0);
      free(term);
    } else if (v & TMV_Q_SEARCH) {
      /* The set's search function takes the term itself, unescaped. */
      const char *term = b.values[(v & TMV_Q_BAKED) ? 0 : 2];
      CHECK(strlen(term) == q.search_len &&
            memcmp(term, q.p.search, q.search_len) == 0);
    }
    tmv_bound_release(&b);
    free(sql);
  }
  free(text);
  return 0;
}
