#!/bin/sh
# One command from a fresh Debian checkout to the library doing its job:
# installs the build tools and PostgreSQL, builds, starts a throwaway local
# server, loads sample data and lists a page from the source table and from
# the view, with the time each took.
#
#   sh examples/demo.sh            (COMPANIES=N to change the sample size)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tests/install-deps.sh demo
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
[ -f Makefile ] || ./configure -q --disable-tests
make -j"$(nproc)" >/dev/null
exec pg_virtualenv -t sh examples/walkthrough.sh "$top"
