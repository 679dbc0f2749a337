#!/bin/sh
# Run a command against a throwaway PostgreSQL cluster made for it, with a
# template database "techmv_tpl" holding sample data and the installed view.
#
#   sh tests/pg-harness.sh COMMAND [ARG...]
#
# The cluster (Debian's pg_virtualenv, which works as root or not) is
# destroyed when COMMAND exits. The command gets the PG* variables and
# TECHMV_TEST_TEMPLATE, TECHMV_TEST_SQLDIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
sqldir=$(cd "$here/../sql" && pwd)

if [ -z "${TECHMV_HARNESS_INSIDE:-}" ]; then
  if ! command -v pg_virtualenv >/dev/null 2>&1; then
    echo "pg-harness: pg_virtualenv not found; install the PostgreSQL server" \
         "(Debian: apt-get install postgresql)" >&2
    exit 99 # a hard error: these tests must not pass by not running
  fi
  TECHMV_HARNESS_INSIDE=1
  export TECHMV_HARNESS_INSIDE
  # Durability buys nothing in a cluster that lives for one test run.
  exec pg_virtualenv -t -o fsync=off -o synchronous_commit=off \
    -o full_page_writes=off -o max_connections=60 \
    sh "$0" "$@"
fi

psql="psql -X -q -v ON_ERROR_STOP=1"
$psql -d postgres -c 'CREATE DATABASE techmv_tpl'
$psql -d techmv_tpl -v companies="${TECHMV_TEST_COMPANIES:-400}" \
  -v technologies=300 -f "$sqldir/sample_data.sql" >/dev/null
$psql -d techmv_tpl -f "$sqldir/install.sql" >/dev/null
TECHMV_TEST_TEMPLATE=techmv_tpl
TECHMV_TEST_SQLDIR=$sqldir
export TECHMV_TEST_TEMPLATE TECHMV_TEST_SQLDIR
"$@"
