#!/bin/sh
# Benchmark libtechmv on a throwaway PostgreSQL server holding generated data.
#
#   sh bench/run.sh [TECHMV_BENCH [TECHMV_CLI]]
#
# TECHMV_BENCH is the built benchmark program (default: bench/techmv-bench
# under the current directory, i.e. run from the build directory; `make
# bench` passes it), TECHMV_CLI the techmv command (default cli/techmv),
# which drains the live install. Environment:
#   BENCH_COMPANIES     companies to generate per scale (default 1000000)
#   BENCH_TECHNOLOGIES  technology pool of each scale, one database each
#                       (default "60000 1000000" from 1000000 companies on,
#                       "60000" below: the tiny smoke run skips the big pool)
#   BENCH_QUICK=1       few iterations: a smoke test for a small sample
#   BENCH_LIVE=0        skip live mode (on by default)
#   BENCH_LIVE_SECONDS, BENCH_LIVE_ROUNDS  per write workload (8 and 3; 1
#                       and 1 with BENCH_QUICK=1)
#
# Live mode runs on copies of the first scale's data: the source alone, a
# live install, and the materialized view (bench/live/workloads.sh for the
# writes, techmv-bench --live for the reads, on the live install, beside
# which a view of the same source is then installed).
#
# The first scale is the generator's usual data; each later one also sets
# cover_pool=on, so that every name of its pool occurs (as many as there are
# companies) and the number of distinct values is the pool's, not luck's.
# The first scale gets every scenario, the others those that grow with the
# number of distinct values.
#
# Prints the machine, how long the setup took, then techmv-bench's table and,
# as the last line, its JSON. The server is destroyed when the run ends.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/.." && pwd)

if [ -z "${TECHMV_BENCH_INSIDE:-}" ]; then
  bench=${1:-bench/techmv-bench}
  case $bench in
    /*) ;;
    *) bench=$(pwd)/$bench ;;
  esac
  cli=${2:-cli/techmv}
  case $cli in
    /*) ;;
    *) cli=$(pwd)/$cli ;;
  esac
  if [ ! -x "$bench" ]; then
    echo "run.sh: $bench is not built (make bench/techmv-bench)" >&2
    exit 1
  fi
  if ! command -v pg_virtualenv >/dev/null 2>&1; then
    echo "run.sh: pg_virtualenv not found; install the PostgreSQL server" \
         "(Debian: apt-get install postgresql)" >&2
    exit 1
  fi
  TECHMV_BENCH_INSIDE=1
  TECHMV_BENCH=$bench TECHMV_CLI=$cli
  export TECHMV_BENCH_INSIDE TECHMV_BENCH TECHMV_CLI
  # pg_virtualenv takes the first free port from 5432, which races with any
  # other cluster starting at the same time: start from one of our own.
  port=$((20000 + $$ % 20000))
  while ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; do
    port=$((port + 1))
  done
  # pg_virtualenv's own messages go to stderr, the run's output to stdout
  # (through fd 3), so that the JSON stays the last line there.
  exec 3>&1 1>&2
  # Sized for a 2-core, 24 GB machine: the whole sample and its view fit in
  # shared_buffers, so the numbers are about CPU, not the disk. Durability
  # buys nothing in a server that lives for one run.
  exec pg_virtualenv -t -c "-p $port" \
    -o shared_buffers=2GB -o effective_cache_size=16GB \
    -o work_mem=64MB -o maintenance_work_mem=1GB \
    -o max_wal_size=8GB -o checkpoint_timeout=30min \
    -o fsync=off -o synchronous_commit=off -o full_page_writes=off \
    sh "$here/run.sh"
fi

exec 1>&3 3>&-

companies=${BENCH_COMPANIES:-1000000}
if [ "$companies" -ge 1000000 ]; then
  technologies=${BENCH_TECHNOLOGIES:-60000 1000000}
else
  technologies=${BENCH_TECHNOLOGIES:-60000}
fi
quick=
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  quick=--quick
fi
psql="psql -X -q -v ON_ERROR_STOP=1"

echo "cpus: $(nproc)"
echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "memory: $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "server: $($psql -At -d postgres -c 'SELECT version()')"
echo "settings: $($psql -At -d postgres -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'lc_collate')")"

set --
cover=off
for pool in $technologies; do
  db=techmv_bench_$pool
  echo "sample $db: companies=$companies technologies=$pool cover_pool=$cover min_per_company=5 max_per_company=30"
  start=$(date +%s)
  $psql -d postgres -c "CREATE DATABASE $db"
  $psql -d "$db" -v companies="$companies" -v technologies="$pool" \
    -v cover_pool=$cover -f "$here/data.sql"
  loaded=$(date +%s)
  $psql -d "$db" -f "$srcdir/sql/install.sql"
  $psql -d "$db" -c 'VACUUM ANALYZE'
  ready=$(date +%s)
  echo "setup $db: sample data $((loaded - start)) s, view and VACUUM ANALYZE $((ready - loaded)) s"
  echo "size $db: $($psql -At -d "$db" -c "SELECT 'companies ' || pg_size_pretty(pg_total_relation_size('companies')) || ', view ' || pg_size_pretty(pg_total_relation_size('mv_distinct_technologies')) || ' (' || (SELECT count(*) FROM mv_distinct_technologies) || ' values)'")"
  set -- "$@" "dbname=$db"
  cover=on
done

live=
if [ "${BENCH_LIVE:-1}" = 1 ]; then
  first=$(echo "$technologies" | awk '{print $1}')
  seconds=${BENCH_LIVE_SECONDS:-8} rounds=${BENCH_LIVE_ROUNDS:-3}
  if [ -n "$quick" ]; then
    seconds=${BENCH_LIVE_SECONDS:-1} rounds=${BENCH_LIVE_ROUNDS:-1}
  fi
  start=$(date +%s)
  for db in none live mv; do
    $psql -d postgres -c "CREATE DATABASE techmv_live_$db TEMPLATE techmv_bench_$first"
  done
  $psql -d techmv_live_none -f "$srcdir/sql/rollback.sql" >/dev/null
  $psql -d techmv_live_live -v mode=live -v switch=on -f "$srcdir/sql/install.sql"
  for db in none live mv; do $psql -d "techmv_live_$db" -c 'VACUUM ANALYZE'; done
  echo "setup live mode: copies of techmv_bench_$first (source alone, live, view) $(($(date +%s) - start)) s"
  figures=$(mktemp)
  trap 'rm -f "$figures"' EXIT
  sh "$here/live/workloads.sh" techmv_live_none techmv_live_live techmv_live_mv \
    "$companies" "$first" "$seconds" "$rounds" "$figures"
  # The live set's pages are compared with a view's read on the same
  # connection: a view of the same source, in the same database.
  $psql -d techmv_live_live -v view=mv_distinct_technologies_beside -f "$srcdir/sql/install.sql"
  live="--live dbname=techmv_live_live --techmv $TECHMV_CLI --live-figures $figures"
fi

"$TECHMV_BENCH" $quick $live "$@"
