#!/bin/sh
# The integration tests, against a throwaway server of their own.
exec sh "${top_srcdir:-.}/tests/pg-harness.sh" \
  "${top_builddir:-.}/tests/integration"
