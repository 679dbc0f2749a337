/* Versioned structs: the caller's `size` member tells which members exist,
 * so structs can grow at the end without breaking programs built against an
 * older header. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int tmv_sized_copy(void *dst, size_t dst_size, const void *src, size_t min_size,
                   const char *what, char *err, size_t errlen) {
  size_t src_size;
  memcpy(&src_size, src, sizeof src_size);
  if (src_size < min_size) {
    snprintf(err, errlen,
             "%s->size is %zu, smaller than any version of the struct (%zu); "
             "initialize it with its _INIT macro",
             what, src_size, min_size);
    return -1;
  }
  if (src_size > dst_size) {
    /* A newer header: fine as long as nothing we do not know was asked. */
    const unsigned char *extra = (const unsigned char *)src + dst_size;
    for (size_t i = 0; i < src_size - dst_size; i++) {
      if (extra[i] != 0) {
        snprintf(err, errlen,
                 "%s sets members this library version does not know "
                 "(size %zu, known %zu)",
                 what, src_size, dst_size);
        return -1;
      }
    }
    src_size = dst_size;
  }
  memcpy(dst, src, src_size);
  memcpy(dst, &dst_size, sizeof dst_size);
  return 0;
}

int tmv_sized_check(const void *out, size_t min_size, const char *what,
                    char *err, size_t errlen) {
  size_t size;
  memcpy(&size, out, sizeof size);
  if (size >= min_size)
    return 0;
  snprintf(err, errlen,
           "%s->size is %zu, smaller than any version of the struct (%zu); "
           "initialize it with its _INIT macro",
           what, size, min_size);
  return -1;
}

void tmv_sized_fill(void *dst, const void *src, size_t src_size) {
  size_t dst_size;
  memcpy(&dst_size, dst, sizeof dst_size);
  size_t n = dst_size < src_size ? dst_size : src_size;
  memcpy((char *)dst + sizeof dst_size, (const char *)src + sizeof dst_size,
         n - sizeof dst_size);
}
