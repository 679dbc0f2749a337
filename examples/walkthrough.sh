#!/bin/sh
# The main job, shown on the server the PG* variables point at: load sample
# data into a new database, install the view, then fetch the same page from
# the source table and from the view with the time each took.
#
#   sh examples/walkthrough.sh BUILD_DIR
#
# COMPANIES (default 200000) sets the size of the sample. Exits non-zero if
# the two pages differ.
set -eu
build=${1:-.}
here=$(cd "$(dirname "$0")" && pwd)
sqldir=$(cd "$here/../sql" && pwd)
companies=${COMPANIES:-200000}
db=techmv_walkthrough
psql="psql -X -q -v ON_ERROR_STOP=1"
techmv="$build/cli/techmv"

$psql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
conninfo="dbname=$db"
echo "== loading $companies sample companies"
$psql -d "$db" -v companies="$companies" -f "$sqldir/sample_data.sql" \
  >/dev/null
$psql -d "$db" -Atc "SELECT count(*) || ' companies, ' || sum(cardinality(technologies)) || ' technology elements' FROM companies"
echo "== installing the materialized view (sql/install.sql)"
$psql -d "$db" -f "$sqldir/install.sql" >/dev/null
"$techmv" status "$conninfo"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== page 3 (limit 25, offset 50) from the source table"
# --verbose adds a line on standard error: the path and the time taken.
"$techmv" list --verbose --base --limit 25 --offset 50 "$conninfo" \
  >"$tmp/b" 2>"$tmp/b.info"
cat "$tmp/b.info"
echo "== the same page from the view"
"$techmv" list --verbose --limit 25 --offset 50 "$conninfo" \
  >"$tmp/v" 2>"$tmp/v.info"
cat "$tmp/v.info"
if ! cmp -s "$tmp/b" "$tmp/v"; then
  echo "the pages differ:"
  diff "$tmp/b" "$tmp/v" || true
  exit 1
fi
echo "== the page (identical from both):"
head -n 10 "$tmp/v"
echo "   ... ($(wc -l <"$tmp/v") values)"
echo "== search 'sql' (case-insensitive, literal), first 5"
"$techmv" list --search sql --limit 5 "$conninfo"
echo "== a company filter goes to the source table"
"$techmv" list --verbose --company 1 --company 2 --limit 5 "$conninfo"
echo "== refresh (concurrently: readers are not blocked)"
"$techmv" refresh "$conninfo"
"$techmv" status "$conninfo"
