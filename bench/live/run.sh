#!/bin/sh
# Live mode against no maintenance (and the list query against the
# materialized view), in a throwaway cluster.  Not part of the test suite.
#
#   sh bench/live/run.sh [COMPANIES [TECHNOLOGIES [SECONDS [ROUNDS]]]]
#
# Defaults: 100000 companies, 60000 technologies, 8 s per pgbench run, 3
# rounds alternating the databases.  Three databases from the same data:
#   none  the source table alone
#   live  the source with sql/live.sql installed (a drainer runs once a
#         second during every write workload, as in production)
#   mv    the source with the materialized view of sql/install.sql
# Latencies are medians over every transaction of every round (pgbench -l).
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

$psql -d postgres -c 'CREATE DATABASE none'
$psql -d none -v companies="$companies" -v technologies="$technologies" -f "$srcdir/sql/sample_data.sql" >/dev/null
$psql -d none -c 'CREATE SEQUENCE bench_ids START 10000000' -c 'VACUUM ANALYZE'
$psql -d postgres -c 'CREATE DATABASE live TEMPLATE none' -c 'CREATE DATABASE mv TEMPLATE none'
$psql -d live -1 -v trgm_schema=public -f "$srcdir/sql/names.sql" -f "$srcdir/tests/live/common.sql" \
  -f "$srcdir/sql/live.sql"
$psql -d mv -f "$srcdir/sql/install.sql" >/dev/null
$psql -d live -c 'VACUUM ANALYZE'
$psql -d mv -c 'VACUUM ANALYZE'

vars="-D companies=$companies -D technologies=$technologies"

# pgbench DB SCRIPT CLIENTS TAG: appends per-transaction latencies (µs) to
# lat.TAG.DB and prints tps; a drainer runs beside writes to live.
bench() {
  db=$1 script=$2 clients=$3 tag=$4
  drainer=
  if [ "$db" = live ] && [ "$tag" != list ] && [ "$tag" != list_vacuumed ]; then
    pgbench -n -d live -f "$here/drain.sql" -R 1 -T "$seconds" >/dev/null 2>&1 &
    drainer=$!
  fi
  rm -f pgbench_log.*
  pgbench -n -d "$db" -M prepared $vars -f "$here/$script" -c "$clients" -j "$(( clients < 2 ? clients : 2 ))" \
    -T "$seconds" -l >"out.$tag.$db" 2>&1 || { cat "out.$tag.$db"; exit 1; }
  cat pgbench_log.* | awk '{print $3}' >>"lat.$tag.$db"
  [ -z "$drainer" ] || wait "$drainer"
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "out.$tag.$db" >>"tps.$tag.$db"
  sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "out.$tag.$db" >>"failed.$tag.$db"
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
tpsavg() { awk '{s+=$1} END {printf "%.0f", s/NR}' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
report() { # TAG A B
  ma=$(median "lat.$1.$2") mb=$(median "lat.$1.$3")
  printf '%-16s median latency %s %8.0f us, %s %8.0f us, ratio %s/%s %s (tps %s / %s)\n' \
    "$1" "$2" "$ma" "$3" "$mb" "$2" "$3" "$(ratio "$ma" "$mb")" "$(tpsavg "tps.$1.$2")" "$(tpsavg "tps.$1.$3")"
}
deadlocks() { psql -X -Atc "SELECT sum(deadlocks) FROM pg_stat_database"; }

d0=$(deadlocks)
for r in $(seq "$rounds"); do
  for db in none live; do
    bench "$db" update_replace.sql 1 update_replace
    bench "$db" update_other.sql 1 update_other
    bench "$db" insert.sql 1 insert
    bench "$db" popular.sql 8 popular8
  done
done
# The insert workload added companies (ids from bench_ids), more of them
# where inserts were faster: back to the same 100,000 companies everywhere,
# so that the load, the backlog and the rebuild compare like with like.
for db in none live; do
  $psql -d "$db" -c 'DELETE FROM companies WHERE id >= 10000000'
done
$psql -d live -c 'SELECT status FROM mv_distinct_technologies_refresh()' >/dev/null
for db in none live; do
  $psql -d "$db" -c 'VACUUM ANALYZE'
  rm -f pgbench_log.*
  pgbench -n -d "$db" $vars -f "$here/load.sql" -t 5 -l >"out.load.$db" 2>&1 || { cat "out.load.$db"; exit 1; }
  cat pgbench_log.* | awk '{print $3}' >"lat.load.$db"
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "out.load.$db" >"tps.load.$db"
  rm -f pgbench_log.*
done
d1=$(deadlocks)
$psql -d live -c 'SELECT status FROM mv_distinct_technologies_refresh()' >/dev/null

echo "== $companies companies, $technologies technologies, $rounds x ${seconds}s per workload"
report update_replace live none
report update_other live none
report insert live none
report popular8 live none
echo "popular8 failed transactions: live $(awk '{s+=$1} END {print s+0}' failed.popular8.live), none $(awk '{s+=$1} END {print s+0}' failed.popular8.none); deadlocks in the cluster meanwhile: $((d1 - d0))"
report load live none
$psql -d live -Atc "SELECT 'companies: live ' || (SELECT count(*) FROM companies)" 
$psql -d mv -Atc "SELECT 'companies: mv ' || (SELECT count(*) FROM companies)"

# The backlog of 10,000 changed companies (one technology replaced in each),
# against a full rebuild and the materialized view's REFRESH ... CONCURRENTLY
# (server-side durations), with vacuumed tables on both sides.  Two kinds of
# replacement: "uniform" draws the new technology uniformly from a name space
# the size of the pool (almost every change adds a value the set lacks and
# removes a distinct one: about 20,000 set rows written), "zipf" draws it
# like the sample data (popular values take most changes).
zipf="(ARRAY['tech-','TECH-','Tech-','lib','Lib-','py-','Py','PY_','js-','JS','go-','Go','rs-','node-','Node','ng-','vue-','Open','hyper-','Micro','cloud_','Data.'])[x.k % 22 + 1] || lpad(x.k::text, 5, '0')"
for kind in uniform zipf; do
  for r in $(seq "$rounds"); do
    if [ "$kind" = uniform ]; then
      upd="UPDATE companies SET technologies[1] = 'tech-' || lpad(((id * 7919 + $r) % $technologies + 1)::text, 5, '0')
            WHERE id <= 10000"
    else
      upd="UPDATE companies c SET technologies[1] = $zipf
             FROM (SELECT id, greatest(74, floor(power($technologies + 1, ((hashint8extended(id, $r) & 4294967295)::float8 / 4294967296)))::bigint) AS k
                     FROM companies WHERE id <= 10000) x WHERE c.id = x.id"
    fi
    for db in live mv; do
      $psql -d "$db" -c 'VACUUM ANALYZE'
      $psql -d "$db" -c "$upd"
    done
    $psql -d live -Atc "SELECT pending_changes || ' rows, ' || pending_values || ' values' FROM mv_distinct_technologies_live_status" >"backlog.$kind.pending"
    $psql -d live -Atc 'SELECT duration_ms FROM mv_distinct_technologies_refresh()' >>"backlog.$kind.drain"
    $psql -d live -Atc 'SELECT duration_ms FROM mv_distinct_technologies_rebuild()' >>"backlog.$kind.rebuild"
    $psql -d mv -Atc 'SELECT duration_ms FROM mv_distinct_technologies_refresh()' >>"backlog.$kind.mv"
  done
  d=$(median "backlog.$kind.drain") b=$(median "backlog.$kind.rebuild") m=$(median "backlog.$kind.mv")
  echo "backlog of 10000 changed companies, $kind ($(cat "backlog.$kind.pending") pending): drain $d ms," \
    "rebuild $b ms, MV refresh concurrently $m ms; drain/rebuild $(ratio "$d" "$b"), drain/MV $(ratio "$d" "$m")"
done

# The list query: first as left by the writes above (autovacuum permitting),
# then with both freshly vacuumed.
for r in $(seq "$rounds"); do
  for db in mv live; do bench "$db" list.sql 1 list; done
done
$psql -d live -c 'VACUUM ANALYZE mv_distinct_technologies'
$psql -d mv -c 'VACUUM ANALYZE mv_distinct_technologies'
for r in $(seq "$rounds"); do
  for db in mv live; do bench "$db" list.sql 1 list_vacuumed; done
done
report list live mv
report list_vacuumed live mv
$psql -d live -c 'SELECT * FROM mv_distinct_technologies_live_status'
