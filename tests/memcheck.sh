#!/bin/sh
# The test suites under valgrind: memcheck must find no error and no leak
# in the unit, integration and reliability tests (each on its throwaway
# servers), and helgrind no race in the threaded ones. Tests run in one
# process (CK_FORK=no) so that valgrind sees all of it. Run from a build
# tree.
set -eu
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
vg="$top_builddir/libtool --mode=execute valgrind -q --error-exitcode=3"
memcheck="$vg --leak-check=full --show-leak-kinds=definite,indirect \
--errors-for-leak-kinds=definite,indirect"
# Deep stacks, so that a suppression can require PQconnectPoll below libpq.
helgrind="$vg --tool=helgrind --num-callers=40 \
--suppressions=$top_srcdir/tests/helgrind.supp"
CK_FORK=no
export top_builddir top_srcdir memcheck helgrind CK_FORK
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() { # name, command...
  name=$1
  shift
  if "$@" >"$log" 2>&1; then
    echo "memcheck: $name: clean"
  else
    cat "$log"
    echo "memcheck: $name: FAILED"
    exit 1
  fi
}

step "unit (memcheck)" $memcheck "$top_builddir/tests/unit"
step "integration (memcheck)" sh "$top_srcdir/tests/pg-harness.sh" \
  sh -c '$memcheck "$top_builddir/tests/integration"'
TECHMV_HARNESS_EXTRAS=pooler,standby
export TECHMV_HARNESS_EXTRAS
step "reliability (memcheck)" sh "$top_srcdir/tests/pg-harness.sh" \
  sh -c '$memcheck "$top_builddir/tests/reliability"'
step "threads (helgrind)" sh "$top_srcdir/tests/pg-harness.sh" \
  sh -c 'CK_RUN_CASE=concurrency $helgrind "$top_builddir/tests/reliability"'
