/* Memory: what a handle and a page hold until they are freed, set beside a
 * raw PGresult of the same statement. Measured from outside the library, as
 * the change in the heap's bytes in use (glibc mallinfo2(), every arena and
 * mmapped chunk, chunk overhead included) across the call while nothing
 * else runs: no allocator is replaced, so libpq and the library run as in
 * any program. What this cannot see is memory allocated and freed within
 * the call; the raw result's own count, PQresultMemorySize(), is shown to
 * tell the page's share from libpq's. */
#define _GNU_SOURCE
#include "scenarios.h"

#include <math.h>
#include <stdio.h>

#if defined(__GLIBC__) &&                                                      \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define HAVE_MALLINFO2 1
#else
#define HAVE_MALLINFO2 0
#endif

/* A sanitizer's allocator leaves glibc's statistics untouched. */
#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if HAVE_MALLINFO2 && !defined(__SANITIZE_ADDRESS__) &&                        \
    !__has_feature(address_sanitizer) && !__has_feature(memory_sanitizer)
#define MEASURE_HEAP 1
#else
#define MEASURE_HEAP 0
#endif

#if MEASURE_HEAP
static double heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return (double)m.uordblks + (double)m.hblkhd;
}
#endif

void scenario_memory(bench *b, scale *s) {
#if !MEASURE_HEAP
  (void)s;
  b->r.bytes_held_per_handle = b->r.bytes_held_per_page = NAN;
  b->r.bytes_held_per_raw_result = b->r.raw_result_memory_size = NAN;
  report_value("memory held", "not measured in this build");
#else
  int n = b->pl.alloc_calls;
  double handle = 0;
  for (int i = 0; i < 10; i++) {
    techmv *h;
    double before = heap_in_use();
    int rc = techmv_open(s->conn, NULL, &h);
    handle += heap_in_use() - before;
    if (rc != TECHMV_OK)
      die("techmv_open: %s", techmv_rc_string(rc));
    techmv_close(h);
  }
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  static const char *const args[2] = {"26", "50"};
  double page = 0, raw = 0, raw_size = 0;
  for (int i = 0; i < n + 5; i++) {
    techmv_page *pg;
    double before = heap_in_use();
    int rc = techmv_list(s->h, &p, &pg);
    double held = heap_in_use() - before;
    if (rc != TECHMV_OK)
      die("techmv_list: %s: %s", techmv_rc_string(rc), techmv_errmsg(s->h));
    techmv_page_free(pg);

    before = heap_in_use();
    PGresult *res = PQexecPrepared(s->conn, RAW_STMT, 2, args, NULL, NULL, 0);
    double raw_held = heap_in_use() - before;
    check_tuples(s->conn, res, "PQexecPrepared");
    /* The first calls may still grow the connection's buffers. */
    if (i >= 5) {
      page += held;
      raw += raw_held;
      raw_size += (double)PQresultMemorySize(res);
    }
    PQclear(res);
  }
  b->r.bytes_held_per_handle = handle / 10;
  b->r.bytes_held_per_page = page / n;
  b->r.bytes_held_per_raw_result = raw / n;
  b->r.raw_result_memory_size = raw_size / n;
  report_value("heap held by a handle (techmv_open)", "%.0f bytes",
               b->r.bytes_held_per_handle);
  report_value("heap held by a page (techmv_list)", "%.0f bytes until freed",
               b->r.bytes_held_per_page);
  report_value("heap held by PQexecPrepared's result",
               "%.0f bytes (PQresultMemorySize %.0f)",
               b->r.bytes_held_per_raw_result, b->r.raw_result_memory_size);
#endif
}
