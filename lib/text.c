/* Text handling that must be exact: what reaches the server as a bound
 * parameter is built here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

char *tmv_like_contains_pattern(const char *term, size_t len, int encoding) {
  /* Worst case every byte is escaped. */
  char *out = malloc(2 * len + 3);
  if (out == NULL)
    return NULL;
  char *o = out;
  *o++ = '%';
  for (size_t i = 0; i < len;) {
    int n = tmv_char_len(term + i, len - i, encoding);
    if (n < 1)
      n = 1; /* validated before; never split what cannot be walked */
    if (n == 1 && (term[i] == '\\' || term[i] == '%' || term[i] == '_'))
      *o++ = '\\';
    memcpy(o, term + i, (size_t)n);
    o += n;
    i += (size_t)n;
  }
  *o++ = '%';
  *o = '\0';
  return out;
}

/* Appends the UTF-8 character at s (valid, checked by the caller) to o as
 * an escape `lead` + hex code point; returns the bytes consumed. */
static size_t escape_code_point(const unsigned char *s, char **o) {
  uint32_t cp;
  size_t n;
  if (s[0] < 0x80) {
    cp = s[0];
    n = 1;
  } else if (s[0] < 0xE0) {
    cp = s[0] & 0x1F;
    n = 2;
  } else if (s[0] < 0xF0) {
    cp = s[0] & 0x0F;
    n = 3;
  } else {
    cp = s[0] & 0x07;
    n = 4;
  }
  for (size_t k = 1; k < n; k++)
    cp = (cp << 6) | (s[k] & 0x3F);
  *o += sprintf(*o, "\\+%06" PRIX32, cp);
  return n;
}

static int needs_escape(unsigned char c) {
  return c >= 0x80 || c < 0x20 || c == 0x7F;
}

char *tmv_quote_ident(const char *name) {
  /* Plain ASCII names are quoted as usual. Any other character is written
   * as a Unicode escape (U&"..."), so the statement is ASCII and means the
   * same whatever the client encoding is, now or later. */
  size_t len = strlen(name);
  int plain = 1;
  for (size_t i = 0; i < len; i++)
    plain &= !needs_escape((unsigned char)name[i]);
  char *out = malloc(len * 8 + 5); /* \+XXXXXX per byte at most */
  if (out == NULL)
    return NULL;
  char *o = out;
  if (!plain) {
    *o++ = 'U';
    *o++ = '&';
  }
  *o++ = '"';
  for (size_t i = 0; i < len;) {
    unsigned char c = (unsigned char)name[i];
    if (needs_escape(c)) {
      i += escape_code_point((const unsigned char *)name + i, &o);
      continue;
    }
    if (c == '"')
      *o++ = '"';
    else if (c == '\\' && !plain)
      *o++ = '\\';
    *o++ = (char)c;
    i++;
  }
  *o++ = '"';
  *o = '\0';
  return out;
}

char *tmv_quote_literal(const char *str) {
  /* An E'' string: its escapes mean the same whatever the client encoding
   * and standard_conforming_strings are. */
  const unsigned char *s = (const unsigned char *)str;
  size_t len = strlen(str);
  char *out = malloc(len * 10 + 4); /* \UXXXXXXXX per byte at most */
  if (out == NULL)
    return NULL;
  char *o = out;
  *o++ = 'E';
  *o++ = '\'';
  for (size_t i = 0; i < len;) {
    if (needs_escape(s[i])) {
      char tmp[16];
      char *t = tmp;
      size_t n = escape_code_point(s + i, &t);
      /* \+XXXXXX (identifier form) becomes \UXXXXXXXX (string form). */
      o += sprintf(o, "\\U00%s", tmp + 2);
      i += n;
      continue;
    }
    if (s[i] == '\'' || s[i] == '\\')
      *o++ = '\\';
    *o++ = (char)s[i++];
  }
  *o++ = '\'';
  *o = '\0';
  return out;
}

char *tmv_bigint_array_literal(const int64_t *ids, size_t n) {
  /* 20 digits and a sign per id, a comma each, braces and NUL. */
  size_t cap = n * 22 + 3;
  char *out = malloc(cap);
  if (out == NULL)
    return NULL;
  char *o = out;
  *o++ = '{';
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      *o++ = ',';
    o += snprintf(o, cap - (size_t)(o - out), "%" PRId64, ids[i]);
  }
  *o++ = '}';
  *o = '\0';
  return out;
}

uint64_t tmv_hash64(const char *s) {
  uint64_t h = 14695981039346656037ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}
