/* Text handling that must be exact: what reaches the server as a bound
 * parameter is built here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int tmv_utf8_valid(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  while (i < len) {
    unsigned char c = s[i];
    if (c < 0x80) {
      if (c == 0)
        return 0;
      i++;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return 0; /* continuation byte, overlong lead, or past U+10FFFF */
    }
    if (len - i - 1 < n)
      return 0;
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += n + 1;
  }
  return 1;
}

char *tmv_like_contains_pattern(const char *term, size_t len) {
  /* Worst case every byte is escaped. */
  char *out = malloc(2 * len + 3);
  if (out == NULL)
    return NULL;
  char *o = out;
  *o++ = '%';
  for (size_t i = 0; i < len; i++) {
    char c = term[i];
    if (c == '\\' || c == '%' || c == '_')
      *o++ = '\\';
    *o++ = c;
  }
  *o++ = '%';
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
