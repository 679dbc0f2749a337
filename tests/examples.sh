#!/bin/sh
# README's walkthrough at a small scale: the techmv command must show the
# same page from the source table and from the view.
COMPANIES=${TECHMV_EXAMPLES_COMPANIES:-2000}
export COMPANIES
exec sh "${top_srcdir:-.}/tests/pg-harness.sh" \
  sh "${top_srcdir:-.}/examples/walkthrough.sh" "${top_builddir:-.}"
