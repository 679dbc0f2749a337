#!/bin/sh
# The test suites under valgrind: memcheck must find no error and no leak
# in the unit, integration and reliability tests (each on its throwaway
# servers) and in runs of the techmv command, and helgrind no race in the
# threaded ones. Tests run in one
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
step "contracts (memcheck)" sh "$top_srcdir/tests/pg-harness.sh" \
  sh -c '$memcheck "$top_builddir/tests/contracts/contracts"'
step "threads (helgrind)" sh "$top_srcdir/tests/pg-harness.sh" \
  sh -c 'CK_RUN_CASE=concurrency $helgrind "$top_builddir/tests/reliability"'
# The command: one run of each subcommand and format, and the failure paths
# (bad value, server error, no server), each with its exit status. valgrind's
# own failure is exit 42, which no run of techmv gives.
step "techmv (memcheck)" sh "$top_srcdir/tests/pg-harness.sh" sh -c '
  t="${memcheck%--error-exitcode=3*}--error-exitcode=42${memcheck#*--error-exitcode=3}"
  run() { # status, arguments
    want=$1
    shift
    got=0
    $t "$top_builddir/cli/techmv" "$@" >/dev/null || got=$?
    [ "$got" -eq "$want" ] || { echo "techmv $*: exit $got, want $want"; exit 1; }
  }
  run 0 list -d techmv_tpl --limit 5
  run 0 list -d techmv_tpl --format json --company 1 --company 2
  run 0 list -d techmv_tpl -0 --search sq --desc
  run 0 refresh -d techmv_tpl
  run 0 status -d techmv_tpl --format json
  run 0 status -d techmv_tpl --format prometheus
  run 1 status -d techmv_tpl --view nope
  run 3 list --limit 0
  run 1 list -d techmv_tpl --base --source-table nope
  run 2 status -h 127.0.0.1 -p 1 --format prometheus'
