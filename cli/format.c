/* SPDX-License-Identifier: PostgreSQL */
/* Output encodings: COPY text, JSON strings and numbers, Prometheus label
 * values, RFC 3339 timestamps. The server's bytes are never trusted to be
 * valid UTF-8 (a SQL_ASCII database stores any bytes), so the JSON and
 * Prometheus writers check every sequence themselves. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void out_text_value(FILE *f, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    switch (ch) {
    case '\\':
      fputs("\\\\", f);
      break;
    case '\n':
      fputs("\\n", f);
      break;
    case '\r':
      fputs("\\r", f);
      break;
    case '\t':
      fputs("\\t", f);
      break;
    case '\b':
      fputs("\\b", f);
      break;
    case '\f':
      fputs("\\f", f);
      break;
    case '\v':
      fputs("\\v", f);
      break;
    default:
      putc(ch, f);
    }
  }
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there
 * are not one (overlong forms, surrogates and code points past U+10FFFF
 * included, as RFC 3629 says). */
static size_t utf8_seq(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned min;
  unsigned cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (left < n)
    return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void out_json_string(FILE *f, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  putc('"', f);
  size_t i = 0;
  while (i < len) {
    unsigned char ch = p[i];
    if (ch == '"' || ch == '\\') {
      putc('\\', f);
      putc(ch, f);
      i++;
    } else if (ch == '\n') {
      fputs("\\n", f);
      i++;
    } else if (ch == '\r') {
      fputs("\\r", f);
      i++;
    } else if (ch == '\t') {
      fputs("\\t", f);
      i++;
    } else if (ch < 0x20 || ch == 0x7F) {
      fprintf(f, "\\u%04x", ch);
      i++;
    } else {
      size_t n = utf8_seq(p + i, len - i);
      if (n == 0) {
        fputs(replacement, f);
        i++;
      } else {
        fwrite(p + i, 1, n, f);
        i += n;
      }
    }
  }
  putc('"', f);
}

void out_label_value(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t len = strlen(s);
  putc('"', f);
  size_t i = 0;
  while (i < len) {
    unsigned char ch = p[i];
    if (ch == '"' || ch == '\\') {
      putc('\\', f);
      putc(ch, f);
      i++;
    } else if (ch == '\n') {
      fputs("\\n", f);
      i++;
    } else {
      size_t n = utf8_seq(p + i, len - i);
      if (n == 0) {
        fputs(replacement, f);
        i++;
      } else {
        fwrite(p + i, 1, n, f);
        i += n;
      }
    }
  }
  putc('"', f);
}

void out_json_double(FILE *f, double v, int known) {
  if (!known || !isfinite(v)) {
    fputs("null", f);
    return;
  }
  if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53 */
    fprintf(f, "%.0f", v);
  else
    fprintf(f, "%.15g", v);
}

void out_rfc3339(FILE *f, double unix_seconds) {
  /* Round to the millisecond first, so 59.9996 s does not print as .1000. */
  double ms_total = floor(unix_seconds * 1000.0 + 0.5);
  time_t secs = (time_t)floor(ms_total / 1000.0);
  int ms = (int)(ms_total - (double)secs * 1000.0);
  struct tm tm;
  char buf[64];
  if (gmtime_r(&secs, &tm) == NULL ||
      strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
    fputs("1970-01-01T00:00:00.000Z", f);
    return;
  }
  fprintf(f, "%s.%03dZ", buf, ms);
}
