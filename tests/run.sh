#!/bin/sh
# From a fresh Debian checkout to a tested library. Installs what is
# missing, then, with warnings as errors:
#   - make distcheck: the tarball builds out of tree and its `make check`
#     passes (unit tests, exported symbols, the man pages' lint, integration
#     tests, the README walkthrough, the reliability tests and the techmv
#     command's tests, each server test on throwaway PostgreSQL servers of
#     its own, with PgBouncer and a hot standby);
#   - a program built with pkg-config against the installed library runs;
#   - the same tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   - the same tests under valgrind memcheck, the threaded ones under
#     helgrind;
#   - the fuzz target for a bounded time;
#   - the benchmark at a tiny scale, as a smoke test (no timing asserted).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
sh tests/install-deps.sh test
[ ! -f Makefile ] || make distclean >/dev/null # an in-tree build (the demo)
autoreconf -fi

section() { printf '\n=== %s\n' "$*"; }

section "build and make distcheck"
rm -rf _build _build-sanitizers
mkdir _build
cd _build
../configure -q --enable-werror
make -j"$jobs" >/dev/null
make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror VERBOSE=1

section "installed library through pkg-config"
sh "$top/tests/installcheck.sh"

section "AddressSanitizer + UndefinedBehaviorSanitizer"
mkdir "$top/_build-sanitizers"
cd "$top/_build-sanitizers"
../configure -q --enable-werror --enable-sanitizers
make -j"$jobs" >/dev/null
# The suites that run the library's and the command's C code; the SQL
# suites (pgtap.sh, live.sh) ran under distcheck and run no C of ours.
make -j"$jobs" check VERBOSE=1 TESTS="tests/unit tests/exports.sh tests/man.sh \
  tests/integration.sh tests/examples.sh tests/reliability.sh tests/contracts.sh tests/cli.sh"

section "valgrind"
cd "$top/_build"
make -j"$jobs" check TESTS= >/dev/null # build the test programs only
top_srcdir=$top top_builddir=. sh "$top/tests/memcheck.sh"

section "fuzzing"
FUZZ_SECONDS=${FUZZ_SECONDS:-60} sh "$top/tests/fuzz.sh"

section "benchmark smoke test (tiny scale; no timing is asserted)"
cd "$top/_build"
BENCH_COMPANIES=2000 BENCH_QUICK=1 make bench

# One closing count: the Check tests (unit, integration, reliability) and the
# script tests of the sanitizer run; every stage above passed or stopped us.
cd "$top/_build-sanitizers"
checks=$(sed -n 's/^[0-9]*%: Checks: \([0-9]*\).*/\1/p' tests/*.log |
  awk '{ n += $1 } END { print n + 0 }')
scripts=$(grep -l '^:test-result: PASS' tests/exports.trs tests/examples.trs |
  wc -l)
# The script tests that count their own checks.
counted=$(sed -n 's/^\(cli\|man\): \([0-9]*\) \(checks \)\{0,1\}passed.*/\2/p' \
  tests/cli.log tests/man.log | awk '{ n += $1 } END { print n + 0 }')
echo
echo "run.sh: $((checks + scripts + counted)) passed, 0 failed"
