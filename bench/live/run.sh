#!/bin/sh
# Live mode's write workloads and backlog (bench/live/workloads.sh) alone,
# in a throwaway cluster, at a size of your choosing; `make bench` runs
# them too, with the read side, at 1,000,000 companies. Not part of the
# test suite.
#
#   sh bench/live/run.sh [COMPANIES [TECHNOLOGIES [SECONDS [ROUNDS]]]]
#
# Defaults: 100000 companies, 60000 technologies, 8 s per pgbench run, 3
# rounds alternating the databases.  Three databases from the same data:
#   none  the source table alone
#   live  the source with a live install (sql/install.sql -v mode=live)
#   mv    the source with the materialized view of sql/install.sql
set -eu
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
companies=${1:-100000}
technologies=${2:-60000}
seconds=${3:-8}
rounds=${4:-3}

if [ -z "${TECHMV_BENCH_INSIDE:-}" ]; then
  TECHMV_BENCH_INSIDE=1
  export TECHMV_BENCH_INSIDE
  port=$((20000 + $$ % 20000))
  while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
  exec pg_virtualenv -t -c "-p $port" -o shared_buffers=256MB -o max_wal_size=4GB \
    -o synchronous_commit=off sh "$0" "$@"
fi

psql="psql -X -q -v ON_ERROR_STOP=1"
figures=$(mktemp)
trap 'rm -f "$figures"' EXIT
$psql -d postgres -c 'CREATE DATABASE none'
$psql -d none -v companies="$companies" -v technologies="$technologies" -f "$srcdir/sql/sample_data.sql" >/dev/null
$psql -d none -c 'VACUUM ANALYZE'
$psql -d postgres -c 'CREATE DATABASE live TEMPLATE none' -c 'CREATE DATABASE mv TEMPLATE none'
$psql -d live -v mode=live -f "$srcdir/sql/install.sql" >/dev/null
$psql -d mv -f "$srcdir/sql/install.sql" >/dev/null
$psql -d live -c 'VACUUM ANALYZE'
$psql -d mv -c 'VACUUM ANALYZE'
echo "== $companies companies, $technologies technologies, $rounds x ${seconds}s per workload"
sh "$here/workloads.sh" none live mv "$companies" "$technologies" "$seconds" "$rounds" "$figures"
echo
cat "$figures"
