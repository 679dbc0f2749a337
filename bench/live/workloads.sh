#!/bin/sh
# Live mode's write workloads and backlog, on databases made from the same
# data: writes with live mode against writes with no maintenance, and the
# drain of a backlog against a full refresh of the materialized view.
#
#   sh bench/live/workloads.sh NONE LIVE MV COMPANIES TECHNOLOGIES SECONDS ROUNDS FIGURES
#
# NONE holds the source alone, LIVE the source with a live install, MV the
# source with the materialized view (database names on the server the PG*
# variables point at). Write workloads alternate NONE and LIVE for ROUNDS
# rounds of SECONDS each, each from freshly vacuumed tables, with a drainer
# calling <view>_refresh() once a second beside every write workload on
# LIVE, as in production. Latencies
# are medians of every transaction of every round (pgbench -l); durations of
# drains and refreshes are the functions' own duration_ms. Prints a table
# and writes "key value" lines to FIGURES. Run by bench/run.sh (make bench)
# and bench/live/run.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
none=$1 live=$2 mv=$3 companies=$4 technologies=$5 seconds=$6 rounds=$7 figures=$8
psql="psql -X -q -v ON_ERROR_STOP=1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
: >"$figures"

for db in "$none" "$live"; do
  $psql -d "$db" -c 'CREATE SEQUENCE IF NOT EXISTS bench_ids START 100000000'
done
vars="-D companies=$companies -D technologies=$technologies"

# bench DB SCRIPT CLIENTS TAG: appends per-transaction latencies (µs) to
# lat.TAG.DB, tps to tps.TAG.DB, failed transactions to failed.TAG.DB.
bench() {
  db=$1 script=$2 clients=$3 tag=$4
  # From vacuumed tables: else autovacuum of what the previous workload
  # left (the change log's dead rows in live mode) lands on this one's
  # measurement, on a machine whose cores pgbench and its server fill.
  $psql -d "$db" -c 'VACUUM'
  drainer=
  if [ "$db" = "$live" ]; then
    pgbench -n -d "$live" -f "$here/drain.sql" -R 1 -T "$seconds" >/dev/null 2>&1 &
    drainer=$!
  fi
  rm -f pgbench_log.*
  pgbench -n -d "$db" -M prepared $vars -f "$here/$script" -c "$clients" \
    -j "$((clients < 2 ? clients : 2))" -T "$seconds" -l >"out.$tag.$db" 2>&1 ||
    { cat "out.$tag.$db" >&2; exit 1; }
  cat pgbench_log.* | awk '{print $3}' >>"lat.$tag.$db"
  [ -z "$drainer" ] || wait "$drainer"
  sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "out.$tag.$db" >>"tps.$tag.$db"
  sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "out.$tag.$db" >>"failed.$tag.$db"
}
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
tpsavg() { awk '{s+=$1} END {printf "%.1f", s/NR}' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
row() { # NAME MEDIAN-A MEDIAN-B NOTE: one line of the table, in ms
  printf '%-44s %10s %10s  %s\n' "$1" "$2" "$3" "$4"
}
figure() { echo "$1 $2" >>"$figures"; }
deadlocks() { $psql -At -d postgres -c "SELECT sum(deadlocks) FROM pg_stat_database"; }

d0=$(deadlocks)
for r in $(seq "$rounds"); do
  for db in "$none" "$live"; do
    bench "$db" update_replace.sql 1 update_replace
    bench "$db" update_other.sql 1 update_other
    bench "$db" insert.sql 1 insert
    bench "$db" popular.sql 8 popular8
  done
done
d1=$(deadlocks)
# The inserts added companies, more where they were faster: back to the
# same companies everywhere before the load and the backlog.
for db in "$none" "$live"; do
  $psql -d "$db" -c 'DELETE FROM companies WHERE id >= 100000000'
done
$psql -d "$live" -c 'SELECT status FROM mv_distinct_technologies_refresh()' >/dev/null
# 100,000 companies in one INSERT ... SELECT, rolled back (load.sql), on
# vacuumed tables, alternating.
for r in $(seq "$rounds"); do
  for db in "$none" "$live"; do
    $psql -d "$db" -c 'VACUUM ANALYZE companies'
    rm -f pgbench_log.*
    pgbench -n -d "$db" -D companies=100000 -f "$here/load.sql" -t 1 -l >"out.load.$db" 2>&1 ||
      { cat "out.load.$db" >&2; exit 1; }
    cat pgbench_log.* | awk '{print $3}' >>"lat.load.$db"
  done
done
$psql -d "$live" -c 'SELECT status FROM mv_distinct_technologies_refresh()' >/dev/null

echo
echo "live mode: writes, $rounds x ${seconds} s per workload (medians of every transaction; ms)"
printf '%-44s %10s %10s  %s\n' measurement live none note
for w in update_replace:live_write_update_one_tech_ratio update_other:live_write_update_other_column_ratio \
         insert:live_write_insert_ratio load:live_bulk_load_ratio; do
  tag=${w%%:*} key=${w#*:}
  ml=$(median "lat.$tag.$live") mn=$(median "lat.$tag.$none")
  row "$tag" "$(awk -v x="$ml" 'BEGIN {printf "%.3f", x / 1000}')" \
    "$(awk -v x="$mn" 'BEGIN {printf "%.3f", x / 1000}')" "live/none $(ratio "$ml" "$mn")"
  figure "$key" "$(ratio "$ml" "$mn")"
done
tl=$(tpsavg "tps.popular8.$live") tn=$(tpsavg "tps.popular8.$none")
fl=$(awk '{s+=$1} END {print s+0}' "failed.popular8.$live")
fn=$(awk '{s+=$1} END {print s+0}' "failed.popular8.$none")
row "8 hot writers (tps)" "$tl" "$tn" \
  "live/none $(ratio "$tl" "$tn"); failed transactions $fl / $fn; deadlocks $((d1 - d0))"
figure live_hot_writers_tps_ratio "$(ratio "$tl" "$tn")"
figure live_hot_writers_deadlocks "$((d1 - d0))"
figure live_hot_writers_errors "$((fl + fn))"

# The backlog of 10,000 changed companies (one technology replaced in
# each), drained, against a full refresh of the materialized view after the
# same change (server-side durations, vacuumed tables on both sides). Two
# kinds of replacement: "zipf" draws the new technology as the sample data
# does (popular values take most changes: the set gains and loses few
# values), "uniform" from a name space the size of the pool (nearly every
# change adds a value the set lacks and removes one: the adversarial case).
zipf="(ARRAY['tech-','TECH-','Tech-','lib','Lib-','py-','Py','PY_','js-','JS','go-','Go','rs-','node-','Node','ng-','vue-','Open','hyper-','Micro','cloud_','Data.'])[x.k % 22 + 1] || lpad(x.k::text, 5, '0')"
echo
echo "live mode: backlog of 10,000 changed companies (function durations, ms)"
printf '%-44s %10s %10s  %s\n' measurement drain refresh note
for kind in zipf uniform; do
  for r in $(seq "$rounds"); do
    if [ "$kind" = uniform ]; then
      upd="UPDATE companies SET technologies[1] = 'tech-' || lpad(((id * 7919 + $r) % $technologies + 1)::text, 5, '0')
            WHERE id <= 10000"
    else
      upd="UPDATE companies c SET technologies[1] = $zipf
             FROM (SELECT id, greatest(74, floor(power($technologies + 1, ((hashint8extended(id, $r) & 4294967295)::float8 / 4294967296)))::bigint) AS k
                     FROM companies WHERE id <= 10000) x WHERE c.id = x.id"
    fi
    for db in "$live" "$mv"; do
      $psql -d "$db" -c 'VACUUM ANALYZE'
      $psql -d "$db" -c "$upd"
    done
    $psql -At -d "$live" -c "SELECT pending_changes || ' rows, ' || pending_values || ' values' FROM mv_distinct_technologies_live_status" >"pending.$kind"
    $psql -At -d "$live" -c 'SELECT duration_ms FROM mv_distinct_technologies_refresh()' >>"drain.$kind"
    $psql -At -d "$mv" -c 'SELECT duration_ms FROM mv_distinct_technologies_refresh()' >>"mv.$kind"
  done
  d=$(median "drain.$kind") m=$(median "mv.$kind")
  row "backlog, $kind ($(cat "pending.$kind"))" "$(printf '%.0f' "$d")" "$(printf '%.0f' "$m")" \
    "drain/refresh $(ratio "$d" "$m")"
  if [ "$kind" = zipf ]; then
    figure live_apply_10k_vs_full_refresh "$(ratio "$d" "$m")"
  else
    figure live_apply_10k_uniform_vs_full_refresh "$(ratio "$d" "$m")"
  fi
done
