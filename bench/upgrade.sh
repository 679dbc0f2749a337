#!/bin/sh
# How long readers of the view wait while install.sql upgrades a schema
# version 2 install in place, on a throwaway server.
#
#   sh bench/upgrade.sh
#
# Environment: UPGRADE_COMPANIES (default 200000; the technology pool is
# twice that, which gives about 300,000 distinct values).
#
# A reader loop (pgbench: one connection, extended protocol, one first-page
# query per transaction, every transaction logged) runs while the upgrade
# builds the new view beside the old one and swaps it in. Prints how long
# the upgrade took, the reader's median and longest query during it, and the
# longest around the swap (its last second). Nothing is asserted.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${TECHMV_UPGRADE_INSIDE:-}" ]; then
  TECHMV_UPGRADE_INSIDE=1
  export TECHMV_UPGRADE_INSIDE
  exec sh "$srcdir/tests/pg-harness.sh" sh "$0" "$@"
fi

companies=${UPGRADE_COMPANIES:-200000}
db=techmv_upgrade
psql="psql -X -q -v ON_ERROR_STOP=1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$psql -d postgres -c "CREATE DATABASE $db"
$psql -d $db -v companies="$companies" -v technologies=$((companies * 2)) \
  -f "$srcdir/sql/sample_data.sql" >/dev/null
t0=$(date +%s)
$psql -d $db -f "$srcdir/tests/sql/old/v2/install.sql"
t1=$(date +%s)
$psql -d $db -c 'VACUUM ANALYZE mv_distinct_technologies'

# The reader must outlast the upgrade, which takes about as long as the
# version 2 population did.
seconds=$(( (t1 - t0) * 3 + 10 ))
echo 'SELECT value FROM mv_distinct_technologies ORDER BY value LIMIT 25;' \
  >"$work/reader.sql"
pgbench -n -M extended -c 1 -T "$seconds" -f "$work/reader.sql" -l \
  --log-prefix="$work/reader" $db >"$work/pgbench.out" 2>&1 &
reader=$!
i=0
until [ "$($psql -d $db -Atc "SELECT count(*) FROM pg_stat_activity
                                WHERE application_name = 'pgbench'")" -gt 0 ]; do
  i=$((i + 1))
  [ "$i" -lt 100000 ] || { echo "upgrade.sh: the reader never connected" >&2; exit 1; }
done

start=$(date +%s.%N)
$psql -d $db -f "$srcdir/sql/install.sql"
end=$(date +%s.%N)
wait $reader || { cat "$work/pgbench.out"; exit 1; }

# pgbench's log: client, transaction, latency (us), script, epoch s, us.
cat "$work"/reader.* | awk -v s="$start" -v e="$end" '
  { t = $5 + $6 / 1e6 }
  t >= s && t <= e + 1 { print $3 / 1000.0, (t >= e - 1) }' >"$work/window"
n=$(wc -l <"$work/window")
[ "$n" -gt 0 ] || { echo "upgrade.sh: no reader query during the upgrade" >&2; exit 1; }
median=$(cut -d' ' -f1 "$work/window" | sort -g | sed -n "$(( (n + 1) / 2 ))p")
longest=$(cut -d' ' -f1 "$work/window" | sort -g | tail -n 1)
swap=$(awk '$2 == 1 { print $1 }' "$work/window" | sort -g | tail -n 1)
echo "upgrade: $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s; reader queries meanwhile: $n," \
  "median $median ms, longest $longest ms; longest around the swap" \
  "(last second): ${swap:-none} ms"
