#!/bin/sh
# The reliability tests: a throwaway server with PgBouncer (transaction and
# session pooling) and a streaming hot standby in front of and beside it.
TECHMV_HARNESS_EXTRAS=pooler,standby
export TECHMV_HARNESS_EXTRAS
exec sh "${top_srcdir:-.}/tests/pg-harness.sh" \
  "${top_builddir:-.}/tests/reliability"
