/* Randomized concurrent test of the live set (tests/live.sh builds and runs it).
 *
 *   stress -d CONNINFO [-t SECONDS] [-s SEED] [-w WRITERS] [-r READERS]
 *
 * Writers insert, update (adding and removing elements, duplicates, NULL
 * elements, NULL and empty arrays, other columns), delete and COPY, in
 * single- and multi-statement transactions, some rolled back in part or in
 * whole; two drainers drain in a loop (now and then rebuilding, half the
 * time with wait => false); readers page through the set with keyset
 * pagination; once, mid-run, the source is truncated and refilled.  At
 * checkpoints the writers are paused (they finish their transaction and
 * wait on a condition variable), the backlog is drained and the set is
 * compared with plain SQL over the source; then once more at the end.
 * Any error of any session, any deadlock, any drain that is not
 * 'refreshed' or 'busy', or any difference fails the run.  The seed is
 * printed; the same seed replays the same choices (the interleaving is
 * the server's).
 */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VIEW "mv_distinct_technologies"
#define MAX_WRITERS 16
#define MAX_READERS 16

static const char *conninfo;
static atomic_int stop_writers, stop_others;
static atomic_long errors, deadlocks_seen;
static atomic_long n_txn, n_rollback, n_copy, n_pages, n_drain, n_busy, n_rebuild;
static atomic_long inserted[MAX_WRITERS];

/* Pausing: writers check between transactions. */
static pthread_mutex_t pause_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pause_cv = PTHREAD_COND_INITIALIZER;
static int pause_requested, paused_writers, n_writers;

static void fail(const char *who, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "stress: %s: ", who);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  atomic_fetch_add(&errors, 1);
}

static uint64_t rnd_next(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 2685821657736338717ULL;
}
static int rnd(uint64_t *s, int n) { return (int)(rnd_next(s) % (uint64_t)n); }

static PGconn *connect_or_die(const char *who) {
  PGconn *c = PQconnectdb(conninfo);
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "stress: %s: %s", who, PQerrorMessage(c));
    exit(2);
  }
  return c;
}

/* Runs one statement; an error is counted and reported (with its SQLSTATE). */
static PGresult *run(PGconn *c, const char *who, const char *sql, int n, const char *const *params) {
  PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_COPY_IN) {
    const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (code && strcmp(code, "40P01") == 0) atomic_fetch_add(&deadlocks_seen, 1);
    fail(who, "%s [%s] in: %.200s", PQresultErrorMessage(r), code ? code : "?", sql);
  }
  return r;
}
static void exec0(PGconn *c, const char *who, const char *sql) { PQclear(run(c, who, sql, 0, NULL)); }

/* The element pool: a few popular and many rare values, awkward spellings,
 * values over 1024 bytes, and NULL. */
static char long_a[1101], long_b[2001];
static const char *pool_fixed[] = {"PostgreSQL", "Python", "S-quote\"d", "S-back\\slash", "S-comma,brace}",
                                   "S-Ωmega", "S-space d", "s-case", "S-CASE", "S-NULL"};
static void element(uint64_t *s, char *buf, size_t len, const char **out) {
  int k = rnd(s, 100);
  if (k < 4) *out = NULL;
  else if (k < 5) *out = rnd(s, 2) ? long_a : long_b;
  else if (k < 30) *out = pool_fixed[rnd(s, (int)(sizeof pool_fixed / sizeof *pool_fixed))];
  else {
    snprintf(buf, len, "S%02d", rnd(s, rnd(s, 3) ? 12 : 60));
    *out = buf;
  }
}

/* An array literal, or NULL for a NULL array: 0-7 elements, duplicates
 * likely, NULL elements now and then. */
static char *array_literal(uint64_t *s, char *out, size_t cap) {
  int k = rnd(s, 20);
  if (k == 0) return NULL;
  size_t o = 0;
  out[o++] = '{';
  int n = k == 1 ? 0 : rnd(s, 8);
  for (int i = 0; i < n; i++) {
    char buf[16];
    const char *e;
    element(s, buf, sizeof buf, &e);
    if (i) out[o++] = ',';
    if (!e) {
      memcpy(out + o, "NULL", 4);
      o += 4;
      continue;
    }
    out[o++] = '"';
    for (const char *p = e; *p && o + 4 < cap; p++) {
      if (*p == '"' || *p == '\\') out[o++] = '\\';
      out[o++] = *p;
    }
    out[o++] = '"';
  }
  out[o++] = '}';
  out[o] = '\0';
  return out;
}

/* COPY text format: backslashes doubled; the literals hold no tab or newline. */
static void copy_escape(const char *in, char *out) {
  for (; *in; in++) {
    if (*in == '\\') *out++ = '\\';
    *out++ = *in;
  }
  *out = '\0';
}

typedef struct {
  int idx;
  uint64_t seed;
} worker;

static long target_id(uint64_t *s) {
  if (rnd(s, 10) < 6) return 1 + rnd(s, 420);
  int t = rnd(s, n_writers);
  long made = atomic_load(&inserted[t]);
  return 1000000L * (t + 1) + rnd(s, (int)(made + 5));
}

/* One modification of one existing row: kind chosen at random. */
static void update_one(PGconn *c, const char *who, uint64_t *s, long id) {
  char idbuf[24], arr[8192], ebuf[16];
  const char *e;
  snprintf(idbuf, sizeof idbuf, "%ld", id);
  element(s, ebuf, sizeof ebuf, &e);
  const char *p[2] = {idbuf, e};
  switch (rnd(s, 8)) {
  case 0: PQclear(run(c, who, "UPDATE companies SET technologies = technologies || $2::text WHERE id = $1", 2, p)); break;
  case 1: PQclear(run(c, who, "UPDATE companies SET technologies = array_remove(technologies, $2::text) WHERE id = $1", 2, p)); break;
  case 2:
    p[1] = array_literal(s, arr, sizeof arr);
    PQclear(run(c, who, "UPDATE companies SET technologies = $2::text[] WHERE id = $1", 2, p));
    break;
  case 3: PQclear(run(c, who, "UPDATE companies SET technologies[1] = $2::text WHERE id = $1", 2, p)); break;
  case 4: PQclear(run(c, who, "UPDATE companies SET technologies = technologies || technologies[1] WHERE id = $1", 1, p)); break;
  case 5: PQclear(run(c, who, "UPDATE companies SET name = md5(name) WHERE id = $1", 1, p)); break;
  case 6: PQclear(run(c, who, "UPDATE companies SET technologies = array_remove(technologies, technologies[1]) WHERE id = $1", 1, p)); break;
  default: PQclear(run(c, who, "UPDATE companies SET technologies = NULLIF(technologies, technologies) WHERE id = $1", 1, p)); break;
  }
}

static void insert_rows(PGconn *c, const char *who, uint64_t *s, int idx, int rows) {
  char sql[512] = "INSERT INTO companies (id, name, technologies) VALUES ";
  char ids[16][24], arrs[16][8192];
  const char *p[32];
  for (int i = 0; i < rows; i++) {
    snprintf(ids[i], sizeof ids[i], "%ld", 1000000L * (idx + 1) + atomic_fetch_add(&inserted[idx], 1));
    p[2 * i] = ids[i];
    p[2 * i + 1] = array_literal(s, arrs[i], sizeof arrs[i]);
    size_t l = strlen(sql);
    snprintf(sql + l, sizeof sql - l, "%s($%d, 'stress', $%d::text[])", i ? ", " : "", 2 * i + 1, 2 * i + 2);
  }
  PQclear(run(c, who, sql, 2 * rows, p));
}

static void copy_rows(PGconn *c, const char *who, uint64_t *s, int idx) {
  PGresult *r = run(c, who, "COPY companies (id, name, technologies) FROM STDIN", 0, NULL);
  int ok = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!ok) return;
  int rows = 1 + rnd(s, 20);
  for (int i = 0; i < rows; i++) {
    char arr[8192], esc[16384], line[16500];
    const char *a = array_literal(s, arr, sizeof arr);
    if (a) copy_escape(a, esc);
    snprintf(line, sizeof line, "%ld\tcopied\t%s\n", 1000000L * (idx + 1) + atomic_fetch_add(&inserted[idx], 1),
             a ? esc : "\\N");
    if (PQputCopyData(c, line, (int)strlen(line)) != 1) fail(who, "PQputCopyData: %s", PQerrorMessage(c));
  }
  if (PQputCopyEnd(c, NULL) != 1) fail(who, "PQputCopyEnd: %s", PQerrorMessage(c));
  while ((r = PQgetResult(c)) != NULL) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      const char *code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      if (code && strcmp(code, "40P01") == 0) atomic_fetch_add(&deadlocks_seen, 1);
      fail(who, "COPY: %s [%s]", PQresultErrorMessage(r), code ? code : "?");
    }
    PQclear(r);
  }
  atomic_fetch_add(&n_copy, 1);
}

/* Locks rows in id order before touching several in one transaction, so
 * that the workload itself cannot deadlock: any deadlock seen is the set's. */
static void lock_ids(PGconn *c, const char *who, long *ids, int n) {
  char buf[4096];
  size_t o = 0;
  o += snprintf(buf, sizeof buf, "{");
  for (int i = 0; i < n; i++) o += snprintf(buf + o, sizeof buf - o, "%s%ld", i ? "," : "", ids[i]);
  snprintf(buf + o, sizeof buf - o, "}");
  const char *p[1] = {buf};
  PQclear(run(c, who, "SELECT 1 FROM companies WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE", 1, p));
}
static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static void *writer_main(void *arg) {
  worker *w = arg;
  char who[32];
  snprintf(who, sizeof who, "writer %d", w->idx);
  PGconn *c = connect_or_die(who);
  uint64_t s = w->seed;
  while (!atomic_load(&stop_writers)) {
    pthread_mutex_lock(&pause_mu);
    if (pause_requested) {
      paused_writers++;
      pthread_cond_broadcast(&pause_cv);
      while (pause_requested) pthread_cond_wait(&pause_cv, &pause_mu);
      paused_writers--;
    }
    pthread_mutex_unlock(&pause_mu);

    int kind = rnd(&s, 100);
    char idbuf[2][24];
    const char *p[2];
    if (kind < 15) insert_rows(c, who, &s, w->idx, 1);
    else if (kind < 20) insert_rows(c, who, &s, w->idx, 2 + rnd(&s, 14));
    else if (kind < 25) copy_rows(c, who, &s, w->idx);
    else if (kind < 45) update_one(c, who, &s, target_id(&s));
    else if (kind < 52) {
      snprintf(idbuf[0], sizeof idbuf[0], "%ld", target_id(&s));
      p[0] = idbuf[0];
      PQclear(run(c, who, "DELETE FROM companies WHERE id = $1", 1, p));
    } else if (kind < 60) {
      /* Several rows in one statement, locked in order first. */
      long lo = target_id(&s), ids[12];
      int n = 2 + rnd(&s, 10);
      for (int i = 0; i < n; i++) ids[i] = lo + i;
      exec0(c, who, "BEGIN");
      lock_ids(c, who, ids, n);
      snprintf(idbuf[0], sizeof idbuf[0], "%ld", lo);
      snprintf(idbuf[1], sizeof idbuf[1], "%ld", lo + n - 1);
      p[0] = idbuf[0];
      p[1] = idbuf[1];
      if (rnd(&s, 3))
        PQclear(run(c, who, "UPDATE companies SET technologies = technologies || ('S' || (id % 7))::text "
                            "WHERE id BETWEEN $1 AND $2", 2, p));
      else
        PQclear(run(c, who, "DELETE FROM companies WHERE id BETWEEN $1 AND $2", 2, p));
      exec0(c, who, rnd(&s, 5) ? "COMMIT" : "ROLLBACK");
    } else {
      /* A multi-statement transaction, perhaps with a rolled-back part,
       * perhaps rolled back as a whole. */
      long ids[8];
      int n = 2 + rnd(&s, 6);
      for (int i = 0; i < n; i++) ids[i] = target_id(&s);
      qsort(ids, (size_t)n, sizeof *ids, cmp_long);
      exec0(c, who, "BEGIN");
      lock_ids(c, who, ids, n);
      int sp = rnd(&s, 3) == 0 ? rnd(&s, n) : -1;
      for (int i = 0; i < n; i++) {
        if (i == sp) exec0(c, who, "SAVEPOINT sp");
        int op = rnd(&s, 10);
        if (op < 6) update_one(c, who, &s, ids[i]);
        else if (op < 7) {
          snprintf(idbuf[0], sizeof idbuf[0], "%ld", ids[i]);
          p[0] = idbuf[0];
          PQclear(run(c, who, "DELETE FROM companies WHERE id = $1", 1, p));
        } else if (op < 9) insert_rows(c, who, &s, w->idx, 1 + rnd(&s, 3));
        else copy_rows(c, who, &s, w->idx);
      }
      if (sp >= 0) exec0(c, who, "ROLLBACK TO SAVEPOINT sp");
      if (rnd(&s, 5)) exec0(c, who, "COMMIT");
      else {
        exec0(c, who, "ROLLBACK");
        atomic_fetch_add(&n_rollback, 1);
      }
    }
    atomic_fetch_add(&n_txn, 1);
  }
  PQfinish(c);
  return NULL;
}

/* Drains until told to stop: every other round with wait => false (busy or
 * refreshed, never anything else), every 25th round a rebuild.  Two of them
 * run, so they meet on the lock. */
static void *drainer_main(void *arg) {
  worker *w = arg;
  PGconn *c = connect_or_die("drainer");
  for (long i = 1 + w->idx; !atomic_load(&stop_others); i++) {
    const char *sql = i % 25 == 0 ? "SELECT status, sqlstate, message FROM " VIEW "_rebuild()"
                    : i % 2 ? "SELECT status, sqlstate, message FROM " VIEW "_refresh()"
                            : "SELECT status, sqlstate, message FROM " VIEW "_refresh(false)";
    PGresult *r = run(c, "drainer", sql, 0, NULL);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      const char *st = PQgetvalue(r, 0, 0);
      if (strcmp(st, "busy") == 0) atomic_fetch_add(&n_busy, 1);
      else if (strcmp(st, "refreshed") == 0) atomic_fetch_add(i % 25 == 0 ? &n_rebuild : &n_drain, 1);
      else fail("drainer", "status %s [%s] %s", st, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    }
    PQclear(r);
  }
  PQfinish(c);
  return NULL;
}

/* Pages through the set as the library does: keyset, 26 at a time. */
static void *reader_main(void *arg) {
  worker *w = arg;
  char who[32], after[8192] = "";
  snprintf(who, sizeof who, "reader %d", w->idx);
  PGconn *c = connect_or_die(who);
  while (!atomic_load(&stop_others)) {
    const char *p[1] = {after};
    PGresult *r = run(c, who,
                      "SELECT v.value FROM " VIEW " v WHERE v.value IS NOT NULL "
                      "AND v.value > $1 ORDER BY v.value LIMIT 26",
                      1, p);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      int n = PQntuples(r);
      for (int i = 0; i < n; i++)
        if (PQgetisnull(r, i, 0)) fail(who, "a NULL value served");
      if (n == 0) after[0] = '\0';
      else snprintf(after, sizeof after, "%s", PQgetvalue(r, n - 1, 0));
      atomic_fetch_add(&n_pages, 1);
    }
    PQclear(r);
  }
  PQfinish(c);
  return NULL;
}

static long scalar(PGconn *c, const char *sql) {
  PGresult *r = run(c, "check", sql, 0, NULL);
  long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
             ? atol(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  return v;
}

/* With no writer in flight: drain what is left, then compare. */
static int check_exact(PGconn *c, const char *when) {
  int bad = 0;
  PGresult *r = run(c, "check", "SELECT status, sqlstate, message FROM " VIEW "_refresh()", 0, NULL);
  if (PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "refreshed") != 0) {
    fail("check", "%s: final drain %s [%s] %s", when, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    bad = 1;
  }
  PQclear(r);
  /* A TRUNCATE marks the set; the drain above then rebuilt it. */
  long pending = scalar(c, "SELECT pending_changes FROM " VIEW "_live_status WHERE NOT needs_rebuild");
  long diff = scalar(c,
    "WITH expected AS ("
    "  SELECT CASE WHEN octet_length(e.v) <= 1024 THEN e.v END AS value,"
    "         CASE WHEN octet_length(e.v) > 1024 THEN md5(e.v) END AS value_md5,"
    "         count(DISTINCT c.id) AS n"
    "    FROM companies c CROSS JOIN LATERAL unnest(c.technologies) AS e(v)"
    "   WHERE e.v IS NOT NULL GROUP BY e.v),"
    " actual AS (SELECT value, value_md5, n FROM " VIEW ")"
    "SELECT (SELECT count(*) FROM (TABLE expected EXCEPT ALL TABLE actual) a)"
    "     + (SELECT count(*) FROM (TABLE actual EXCEPT ALL TABLE expected) b)");
  long distinct_diff = scalar(c,
    "WITH d AS (SELECT DISTINCT unnest(technologies) AS v FROM companies),"
    " s AS (SELECT coalesce(value, value_md5) AS k FROM " VIEW "),"
    " dk AS (SELECT CASE WHEN octet_length(v) <= 1024 THEN v ELSE md5(v) END AS k FROM d WHERE v IS NOT NULL)"
    "SELECT (SELECT count(*) FROM (TABLE dk EXCEPT TABLE s) a) + (SELECT count(*) FROM (TABLE s EXCEPT TABLE dk) b)");
  long counts = scalar(c,
    "SELECT count(*) FROM " VIEW "_live_status s WHERE s.value_count = (SELECT count(value) FROM " VIEW ")"
    " AND s.long_values = (SELECT count(value_md5) FROM " VIEW ")");
  /* The search postings: every 1- and 2-character gram of every value
   * served, and each gram's count. */
  long postings_diff = scalar(c,
    "WITH t AS (SELECT DISTINCT substr(v.value_lower, i, k) AS gram, v.value FROM " VIEW " v,"
    "           generate_series(1, length(v.value_lower)) i, generate_series(1, 2) k"
    "           WHERE v.value IS NOT NULL AND i + k - 1 <= length(v.value_lower)),"
    " p AS (SELECT gram, value FROM " VIEW "_grams)"
    "SELECT (SELECT count(*) FROM (TABLE t EXCEPT ALL TABLE p) a) + (SELECT count(*) FROM (TABLE p EXCEPT ALL TABLE t) b)"
    "     + (SELECT count(*) FROM (SELECT gram, count(*) FROM " VIEW "_grams GROUP BY gram"
    "                              EXCEPT SELECT gram, n FROM " VIEW "_gram_n WHERE n > 0) g)");
  long values = scalar(c, "SELECT count(*) FROM " VIEW);
  long rows = scalar(c, "SELECT count(*) FROM companies");
  printf("stress: %s: %ld companies, %ld values; pending after drain %ld, differences %ld (counts) %ld (distinct) "
         "%ld (search postings), state counts %s\n", when, rows, values, pending, diff, distinct_diff, postings_diff,
         counts == 1 ? "agree" : "DISAGREE");
  if (pending != 0 || diff != 0 || distinct_diff != 0 || postings_diff != 0 || counts != 1) {
    fail("check", "%s: the set differs from the source", when);
    bad = 1;
  }
  return bad;
}

static void pause_writers(void) {
  pthread_mutex_lock(&pause_mu);
  pause_requested = 1;
  while (paused_writers < n_writers) pthread_cond_wait(&pause_cv, &pause_mu);
  pthread_mutex_unlock(&pause_mu);
}
static void resume_writers(void) {
  pthread_mutex_lock(&pause_mu);
  pause_requested = 0;
  pthread_cond_broadcast(&pause_cv);
  pthread_mutex_unlock(&pause_mu);
}

/* Waits until the deadline; nothing signals this, it only bounds the run. */
static void wait_until(const struct timespec *deadline) {
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock(&mu);
  while (pthread_cond_timedwait(&cv, &mu, deadline) != ETIMEDOUT) {
  }
  pthread_mutex_unlock(&mu);
}

int main(int argc, char **argv) {
  int seconds = 20, n_readers = 2, opt;
  uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
  n_writers = 4;
  while ((opt = getopt(argc, argv, "d:t:s:w:r:")) != -1) {
    switch (opt) {
    case 'd': conninfo = optarg; break;
    case 't': seconds = atoi(optarg); break;
    case 's': seed = strtoull(optarg, NULL, 10); break;
    case 'w': n_writers = atoi(optarg); break;
    case 'r': n_readers = atoi(optarg); break;
    default: fprintf(stderr, "usage: stress -d CONNINFO [-t SECONDS] [-s SEED] [-w WRITERS] [-r READERS]\n"); return 2;
    }
  }
  if (!conninfo || n_writers < 1 || n_writers > MAX_WRITERS || n_readers < 0 || n_readers > MAX_READERS || seconds < 1) {
    fprintf(stderr, "stress: need -d, 1-16 writers, 0-16 readers, at least 1 second\n");
    return 2;
  }
  printf("stress: seed %" PRIu64 ", %d s, %d writers, %d readers\n", seed, seconds, n_writers, n_readers);
  fflush(stdout);
  memset(long_a, 'L', sizeof long_a - 1);
  memset(long_b, 'M', sizeof long_b - 1);

  PGconn *ctl = connect_or_die("control");
  long deadlocks_before = scalar(ctl, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
  int bad = check_exact(ctl, "before");

  pthread_t wt[MAX_WRITERS], rt[MAX_READERS], dt[2];
  worker ws[MAX_WRITERS], rs[MAX_READERS], ds[2];
  uint64_t s = seed ? seed : 1;
  for (int i = 0; i < n_writers; i++) {
    ws[i].idx = i;
    ws[i].seed = rnd_next(&s) | 1;
    pthread_create(&wt[i], NULL, writer_main, &ws[i]);
  }
  for (int i = 0; i < n_readers; i++) {
    rs[i].idx = i;
    pthread_create(&rt[i], NULL, reader_main, &rs[i]);
  }
  for (int i = 0; i < 2; i++) {
    ds[i].idx = i;
    pthread_create(&dt[i], NULL, drainer_main, &ds[i]);
  }

  /* Checkpoints at a quarter and three quarters of the run; between them,
   * a TRUNCATE and refill while everything runs. */
  struct timespec start, at;
  clock_gettime(CLOCK_REALTIME, &start);
  for (int q = 1; q <= 4; q++) {
    at = start;
    at.tv_sec += (time_t)seconds * q / 4;
    at.tv_nsec += (long)(((long long)seconds * q % 4) * 250000000LL);
    if (at.tv_nsec >= 1000000000L) {
      at.tv_sec++;
      at.tv_nsec -= 1000000000L;
    }
    wait_until(&at);
    if (q == 1 || q == 3) {
      pause_writers();
      bad |= check_exact(ctl, q == 1 ? "checkpoint 1" : "checkpoint 2");
      resume_writers();
    } else if (q == 2) {
      exec0(ctl, "truncate", "BEGIN");
      exec0(ctl, "truncate", "CREATE TEMP TABLE keep ON COMMIT DROP AS SELECT * FROM companies");
      exec0(ctl, "truncate", "TRUNCATE companies");
      exec0(ctl, "truncate", "INSERT INTO companies SELECT * FROM keep");
      exec0(ctl, "truncate", "COMMIT");
      printf("stress: truncated and refilled the source while writers ran\n");
    }
  }
  atomic_store(&stop_writers, 1);
  resume_writers();
  for (int i = 0; i < n_writers; i++) pthread_join(wt[i], NULL);
  atomic_store(&stop_others, 1);
  for (int i = 0; i < n_readers; i++) pthread_join(rt[i], NULL);
  for (int i = 0; i < 2; i++) pthread_join(dt[i], NULL);

  bad |= check_exact(ctl, "end");
  long deadlocks = scalar(ctl, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
                   - deadlocks_before;
  PQfinish(ctl);
  printf("stress: %ld transactions (%ld rolled back, %ld COPY), %ld pages read, %ld drains, %ld rebuilds, "
         "%ld busy; %ld deadlocks, %ld errors\n",
         atomic_load(&n_txn), atomic_load(&n_rollback), atomic_load(&n_copy), atomic_load(&n_pages),
         atomic_load(&n_drain), atomic_load(&n_rebuild), atomic_load(&n_busy), deadlocks,
         atomic_load(&errors));
  if (bad || deadlocks != 0 || atomic_load(&deadlocks_seen) || atomic_load(&errors)) {
    printf("stress: FAILED (seed %" PRIu64 ")\n", seed);
    return 1;
  }
  printf("stress: ok (seed %" PRIu64 ")\n", seed);
  return 0;
}
