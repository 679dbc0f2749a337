#!/bin/sh
# The contract tests: a throwaway server with PgBouncer in front of it.
TECHMV_HARNESS_EXTRAS=pooler
export TECHMV_HARNESS_EXTRAS
exec sh "${top_srcdir:-.}/tests/pg-harness.sh" \
  "${top_builddir:-.}/tests/contracts/contracts"
