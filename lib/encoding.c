/* Characters of the client encoding. Every byte below 0x80 is an ASCII
 * character in each encoding PostgreSQL allows a client to use, but in the
 * client-only encodings (SJIS, BIG5, GBK, UHC, GB18030) the second byte of a
 * character may be '\\' or '_': text is walked character by character, never
 * byte by byte. The checks mirror the server's own, so that text accepted
 * here is not refused there. */
#include <string.h>

#include "internal.h"

enum charset { CS_UTF8, CS_SJIS, CS_DOUBLE, CS_GB18030, CS_OTHER };

static enum charset charset_of(int encoding) {
  const char *name = pg_encoding_to_char(encoding);
  if (strcmp(name, "UTF8") == 0)
    return CS_UTF8;
  if (strcmp(name, "SJIS") == 0 || strcmp(name, "SHIFT_JIS_2004") == 0)
    return CS_SJIS;
  if (strcmp(name, "BIG5") == 0 || strcmp(name, "GBK") == 0 ||
      strcmp(name, "UHC") == 0)
    return CS_DOUBLE;
  if (strcmp(name, "GB18030") == 0)
    return CS_GB18030;
  return CS_OTHER;
}

static int in(unsigned char c, unsigned lo, unsigned hi) {
  return c >= lo && c <= hi;
}

static int utf8_char(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
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
    return -1; /* continuation byte, overlong lead, or past U+10FFFF */
  }
  if (left - 1 < n)
    return -1;
  for (size_t k = 1; k <= n; k++) {
    if ((s[k] & 0xC0) != 0x80)
      return -1;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return -1;
  return (int)n + 1;
}

static int sjis_char(const unsigned char *s, size_t left) {
  if (in(s[0], 0xA1, 0xDF))
    return 1; /* half-width katakana */
  if (left < 2 || !(in(s[0], 0x81, 0x9F) || in(s[0], 0xE0, 0xFC)) ||
      !(in(s[1], 0x40, 0x7E) || in(s[1], 0x80, 0xFC)))
    return -1;
  return 2;
}

static int gb18030_char(const unsigned char *s, size_t left) {
  if (left >= 4 && in(s[1], 0x30, 0x39))
    return in(s[0], 0x81, 0xFE) && in(s[2], 0x81, 0xFE) && in(s[3], 0x30, 0x39)
               ? 4
               : -1;
  if (left >= 2 && in(s[0], 0x81, 0xFE) &&
      (in(s[1], 0x40, 0x7E) || in(s[1], 0x80, 0xFE)))
    return 2;
  return -1;
}

static int other_char(const unsigned char *s, size_t left, int encoding) {
  /* PQmblen reads past the first byte in some encodings: give it a padded
   * copy near the end of the text. */
  unsigned char pad[8] = {0};
  memcpy(pad, s, left < 4 ? left : 4);
  int n = PQmblen((const char *)pad, encoding);
  if (n < 1 || (size_t)n > left)
    return -1;
  for (int k = 1; k < n; k++)
    if (s[k] == 0)
      return -1;
  return n;
}

int tmv_char_len(const char *str, size_t left, int encoding) {
  const unsigned char *s = (const unsigned char *)str;
  if (left == 0 || s[0] == 0)
    return -1;
  if (s[0] < 0x80)
    return 1;
  switch (charset_of(encoding)) {
  case CS_UTF8:
    return utf8_char(s, left);
  case CS_SJIS:
    return sjis_char(s, left);
  case CS_DOUBLE: /* any trail byte but NUL, as the server checks */
    return left >= 2 && s[1] != 0 ? 2 : -1;
  case CS_GB18030:
    return gb18030_char(s, left);
  default:
    return other_char(s, left, encoding);
  }
}

int tmv_text_valid(const char *s, size_t len, int encoding) {
  for (size_t i = 0; i < len;) {
    int n = tmv_char_len(s + i, len - i, encoding);
    if (n < 0)
      return 0;
    i += (size_t)n;
  }
  return 1;
}

int tmv_utf8_valid(const char *s, size_t len) {
  return tmv_text_valid(s, len, pg_char_to_encoding("UTF8"));
}
