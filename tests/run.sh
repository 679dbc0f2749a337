#!/bin/sh
# From a fresh Debian checkout to a tested library: installs what is missing,
# builds with warnings as errors, runs `make check` (unit tests, exported
# symbols, integration tests and the README walkthrough, each server test on
# a throwaway PostgreSQL of its own), `make distcheck`, and builds and runs a
# program against the installed library found with pkg-config.
set -eu
cd "$(dirname "$0")/.."
sh tests/install-deps.sh
autoreconf -fi
./configure --enable-werror
make -j2
make -j2 check VERBOSE=1
make -j2 distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror VERBOSE=1
sh tests/installcheck.sh
echo "run.sh: all tests passed"
