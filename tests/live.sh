#!/bin/sh
# Live mode tests: pgTAP files under tests/live (pg_prove), then the
# randomized concurrent stress test, against a throwaway server.
#
#   sh tests/live.sh [pgTAP files...]
#
# Each pgTAP file makes its own database from the template techmv_live_tpl
# (sample data whose array column accepts NULL, the objects install.sql
# makes before it includes live.sql, pgTAP, dblink), so the
# files can commit and use a second session.  TECHMV_LIVE_STRESS_SECONDS
# (default 20) and TECHMV_LIVE_SEED (default: from the clock, printed) drive
# the stress test; TECHMV_LIVE_STRESS_SECONDS=0 skips it.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
for tool in pg_prove pg_virtualenv cc pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "live: $tool not found" >&2
    exit 99 # a hard error: these tests must not pass by not running
  }
done
if [ -z "${TECHMV_LIVE_INSIDE:-}" ]; then
  TECHMV_LIVE_INSIDE=1
  export TECHMV_LIVE_INSIDE
  exec sh "$srcdir/tests/pg-harness.sh" sh "$0" "$@"
fi

psql="psql -X -q -v ON_ERROR_STOP=1"
$psql -d postgres -c 'CREATE DATABASE techmv_live_tpl'
$psql -d techmv_live_tpl -v companies=400 -v technologies=300 \
  -f "$srcdir/sql/sample_data.sql" >/dev/null
# NULL arrays are part of what the set must handle.
$psql -d techmv_live_tpl -c 'ALTER TABLE companies ALTER technologies DROP NOT NULL' \
  -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION dblink'
$psql -d techmv_live_tpl -f "$srcdir/sql/names.sql" -f "$srcdir/tests/live/common.sql"
TECHMV_SQLDIR="$srcdir/sql"
TECHMV_LIVE_TESTDIR="$srcdir/tests/live"
export TECHMV_SQLDIR TECHMV_LIVE_TESTDIR

status=0
if [ $# -eq 0 ]; then
  set -- "$srcdir"/tests/live/[0-9]*.sql
fi
pg_prove -d postgres "$@" || status=1

seconds=${TECHMV_LIVE_STRESS_SECONDS:-20}
if [ "$seconds" -gt 0 ]; then
  # make check builds it (check_PROGRAMS); run by hand, it is compiled here.
  if [ -n "${top_builddir:-}" ] && [ -x "$top_builddir/tests/live/stress" ]; then
    stress=$top_builddir/tests/live/stress
  else
    bin=$(mktemp -d)
    trap 'rm -rf "$bin"' EXIT
    cc -O2 -Wall -Wextra -Werror -pthread -o "$bin/stress" "$srcdir/tests/live/stress.c" \
      $(pkg-config --cflags --libs libpq)
    stress=$bin/stress
  fi
  # The whole live install, search postings and their triggers included.
  $psql -d postgres -c 'CREATE DATABASE techmv_live_stress'
  $psql -d techmv_live_stress -v companies=400 -v technologies=300 \
    -f "$srcdir/sql/sample_data.sql" >/dev/null
  $psql -d techmv_live_stress -c 'ALTER TABLE companies ALTER technologies DROP NOT NULL'
  $psql -d techmv_live_stress -v mode=live -f "$srcdir/sql/install.sql" >/dev/null
  "$stress" -d "dbname=techmv_live_stress" -t "$seconds" ${TECHMV_LIVE_SEED:+-s "$TECHMV_LIVE_SEED"} || status=1
fi
exit $status
