#!/bin/sh
# The SQL scripts' tests: pgTAP files under tests/pgtap, run by pg_prove
# against a throwaway server with pg_cron preloaded. Each file makes its own
# database from the template "techmv_pgtap" (sample data, pgTAP, dblink),
# so the files are independent and can commit, and use a second session.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
for tool in pg_prove pg_virtualenv; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "pgtap: $tool not found (Debian: sh tests/install-deps.sh)" >&2
    exit 99 # a hard error: these tests must not pass by not running
  }
done
if [ -z "${TECHMV_PGTAP_INSIDE:-}" ]; then
  TECHMV_PGTAP_INSIDE=1 TECHMV_HARNESS_EXTRAS=cron
  export TECHMV_PGTAP_INSIDE TECHMV_HARNESS_EXTRAS
  exec sh "$srcdir/tests/pg-harness.sh" sh "$0" "$@"
fi

psql="psql -X -q -v ON_ERROR_STOP=1"
$psql -d postgres -c 'CREATE DATABASE techmv_pgtap'
# techmv_cron, made by the harness, is the one database where pg_cron works.
for db in techmv_pgtap techmv_cron; do
  $psql -d "$db" -v companies=400 -v technologies=300 \
    -f "$srcdir/sql/sample_data.sql" >/dev/null
  $psql -d "$db" -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION dblink'
done
TECHMV_SQLDIR="$srcdir/sql"
TECHMV_OLD_SQLDIR="$srcdir/tests/sql/old"
export TECHMV_SQLDIR TECHMV_OLD_SQLDIR
if [ $# -eq 0 ]; then
  set -- "$srcdir"/tests/pgtap/*.sql
fi
exec pg_prove -d postgres "$@"
