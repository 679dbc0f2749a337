#!/bin/sh
# SPDX-License-Identifier: PostgreSQL
# The man pages: mandoc finds nothing to warn about, libtechmv(3) documents
# every function the header declares, and techmv(1) every option the
# command's --help lists.
set -eu
src=${top_srcdir:-.}
techmv=${top_builddir:-.}/cli/techmv
if ! command -v mandoc >/dev/null 2>&1; then
  echo "man: mandoc not found (Debian: apt-get install mandoc)"
  exit 99 # a hard error: the lint must not pass by not running
fi
fail=0
checks=0
lint=$(mandoc -Tlint -W warning "$src/man/techmv.1" "$src/man/libtechmv.3" 2>&1 || true)
checks=$((checks + 1))
if [ -n "$lint" ]; then
  echo "man: mandoc -Tlint -W warning:"; echo "$lint"; fail=1
fi
for f in $(sed -n 's/^TECHMV_API [^(]*[ *]\(techmv_[a-z_]*\)(.*/\1/p' \
             "$src/include/techmv.h"); do
  checks=$((checks + 1))
  grep -q "^\.Fn $f " "$src/man/libtechmv.3" || {
    echo "man: libtechmv.3 does not document $f"; fail=1; }
done
for cmd in list refresh status; do
  for o in $("$techmv" "$cmd" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
    checks=$((checks + 1))
    grep -q -- "^\.It .*Fl -${o#--}\( \|$\)" "$src/man/techmv.1" || {
      echo "man: techmv.1 does not document $cmd $o"; fail=1; }
  done
done
[ "$fail" -eq 0 ] || exit 1
echo "man: $checks checks passed"
