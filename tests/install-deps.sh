#!/bin/sh
# SPDX-License-Identifier: PostgreSQL
# The one list of Debian packages the project needs, and their install.
#
#   sh tests/install-deps.sh [demo|test]          install what is missing
#   sh tests/install-deps.sh --list [demo|test]   print the names, one a line
#
# demo: what examples/demo.sh needs (build the library and the command, run
# a throwaway server). test (the default): everything tests/run.sh needs.
# Does nothing when everything is already there.
set -eu

list_only=0
if [ "${1:-}" = "--list" ]; then
  list_only=1
  shift
fi
set_name=${1:-test}

demo="autoconf automake libtool pkg-config make gcc libc6-dev libpq-dev
      postgresql postgresql-common postgresql-contrib"
# check: unit tests; iproute2: the harness finds free ports with ss;
# valgrind, clang and its sanitizer/fuzzer runtime: run.sh's stages;
# pgbouncer: the pooler tests; mandoc: the man page lint; python3 and its
# Prometheus client: the command's output is checked by real parsers;
# pgTAP, pg_prove and plpgsql_check: the SQL objects' tests; pg_cron: the
# scheduling script.
test="$demo check iproute2 valgrind pgbouncer clang libclang-rt-dev mandoc
      python3 python3-prometheus-client libtap-parser-sourcehandler-pgtap-perl"
# Server extensions are packaged per PostgreSQL major version and only under
# versioned names (postgresql-NN-pgtap), so the major is taken from the
# server package the `postgresql` metapackage installs, not written here.
extensions="pgtap plpgsql-check cron"

pg_major() {
  { dpkg-query -W -f='${Depends}\n' postgresql 2>/dev/null
    apt-cache depends postgresql 2>/dev/null; } |
    sed -n 's/^.*postgresql-\([0-9][0-9]*\)\([ ,].*\)\{0,1\}$/\1/p' | head -n 1
}

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
updated=0

case "$set_name" in
demo) pkgs=$demo ;;
test)
  major=$(pg_major)
  if [ -z "$major" ] && [ "$list_only" -eq 0 ]; then
    $sudo apt-get update # no package lists yet
    updated=1
    major=$(pg_major)
  fi
  if [ -z "$major" ]; then
    echo "install-deps: cannot tell the PostgreSQL major version (run" \
         "apt-get update first)" >&2
    exit 1
  fi
  pkgs=$test
  for e in $extensions; do pkgs="$pkgs postgresql-$major-$e"; done
  ;;
*)
  echo "usage: sh tests/install-deps.sh [--list] [demo|test]" >&2
  exit 2
  ;;
esac

if [ "$list_only" -eq 1 ]; then
  printf '%s\n' $pkgs
  exit 0
fi

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
[ "$updated" -eq 1 ] || $sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y \
  --no-install-recommends $missing
