#!/bin/sh
# Install what building and testing need on Debian or Ubuntu; does nothing
# when everything is already there.
set -eu
pkgs="autoconf automake libtool pkg-config make gcc check libpq-dev
      postgresql postgresql-common postgresql-contrib valgrind pgbouncer
      iproute2 clang libclang-rt-14-dev postgresql-15-pgtap
      libtap-parser-sourcehandler-pgtap-perl postgresql-15-plpgsql-check
      postgresql-15-cron"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y $missing
