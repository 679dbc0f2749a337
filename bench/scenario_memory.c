/* Memory: what a handle and a page hold until they are freed, set beside a
 * raw PGresult of the same statement. Measured from outside the library, as
 * the change in the heap's bytes in use (glibc mallinfo2(), every arena and
 * mmapped chunk, chunk overhead included) across the call: no allocator is
 * replaced, so libpq and the library run as in any program. mallinfo2()
 * counts chunks parked in the per-thread cache as in use, which would hide
 * every small allocation the cache serves, so the measurement runs in a
 * child process of this program started with that cache turned off (a
 * glibc tunable), leaving the allocator of the timed process as it is.
 * What this cannot see is memory allocated and freed within the call; the
 * raw result's own count, PQresultMemorySize(), is shown beside it. */
#define _GNU_SOURCE
#include "scenarios.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The child's side: one line, "handle page raw raw_size", averages in
 * bytes. */
int memory_probe(const char *conninfo, int calls) {
  PGconn *c = connect_or_die(conninfo);
  PGresult *res = PQprepare(c, RAW_STMT, VIEW_PAGE_SQL, 2, NULL);
  if (PQresultStatus(res) != PGRES_COMMAND_OK)
    die("PQprepare: %s", PQresultErrorMessage(res));
  PQclear(res);
  double handle = 0;
  for (int i = 0; i < 10; i++) {
    techmv *h;
    double before = heap_in_use();
    int rc = techmv_open(c, NULL, &h);
    handle += heap_in_use() - before;
    if (rc != TECHMV_OK)
      die("techmv_open: %s", techmv_rc_string(rc));
    techmv_close(h);
  }
  techmv *h = open_or_die(c);
  techmv_list_params p = page_params(TECHMV_ORDER_ASC, PAGE_OFFSET);
  static const char *const args[2] = {"26", "50"};
  double page = 0, raw = 0, raw_size = 0;
  for (int i = 0; i < calls + 5; i++) {
    techmv_page *pg;
    double before = heap_in_use();
    int rc = techmv_list(h, &p, &pg);
    double held = heap_in_use() - before;
    if (rc != TECHMV_OK)
      die("techmv_list: %s: %s", techmv_rc_string(rc), techmv_errmsg(h));
    techmv_page_free(pg);

    before = heap_in_use();
    res = PQexecPrepared(c, RAW_STMT, 2, args, NULL, NULL, 0);
    double raw_held = heap_in_use() - before;
    check_tuples(c, res, "PQexecPrepared");
    /* The first calls prepare, and may still grow the connection's
     * buffers. */
    if (i >= 5) {
      page += held;
      raw += raw_held;
      raw_size += (double)PQresultMemorySize(res);
    }
    PQclear(res);
  }
  techmv_close(h);
  PQfinish(c);
  printf("%.1f %.1f %.1f %.1f\n", handle / 10, page / calls, raw / calls,
         raw_size / calls);
  return 0;
}

/* Runs this very program as the child, its output read through a pipe. */
static int run_probe(const char *conninfo, int calls, double out[4]) {
  int fd[2];
  if (pipe(fd) != 0)
    die("pipe: %s", strerror(errno));
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0)
    die("fork: %s", strerror(errno));
  if (pid == 0) {
    char n[32];
    snprintf(n, sizeof n, "%d", calls);
    dup2(fd[1], STDOUT_FILENO);
    close(fd[0]);
    close(fd[1]);
    setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
    char *const argv[] = {"techmv-bench", "--memory-probe", n, (char *)conninfo,
                          NULL};
    execv("/proc/self/exe", argv);
    _exit(127);
  }
  close(fd[1]);
  FILE *f = fdopen(fd[0], "r");
  int got =
      f ? fscanf(f, "%lf %lf %lf %lf", &out[0], &out[1], &out[2], &out[3]) : 0;
  if (f)
    fclose(f);
  int status;
  waitpid(pid, &status, 0);
  return got == 4 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#else
int memory_probe(const char *conninfo, int calls) {
  (void)conninfo;
  (void)calls;
  return 1;
}
#endif

void scenario_memory(bench *b, scale *s) {
  double v[4] = {NAN, NAN, NAN, NAN};
#if MEASURE_HEAP
  if (!run_probe(s->conninfo, b->pl.alloc_calls, v))
    die("the memory probe failed");
#else
  (void)s;
  (void)b;
#endif
  b->r.bytes_held_per_handle = v[0];
  b->r.bytes_held_per_page = v[1];
  b->r.bytes_held_per_raw_result = v[2];
  b->r.raw_result_memory_size = v[3];
  if (isnan(v[0])) {
    report_value("memory held", "not measured in this build");
    return;
  }
  report_value("heap held by a handle (techmv_open)", "%.0f bytes", v[0]);
  report_value("heap held by a page (techmv_list)", "%.0f bytes until freed",
               v[1]);
  report_value("heap held by PQexecPrepared's result",
               "%.0f bytes (PQresultMemorySize %.0f)", v[2], v[3]);
}
