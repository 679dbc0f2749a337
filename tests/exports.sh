#!/bin/sh
# The shared library must export the public API and nothing else.
set -eu
so=${top_builddir:-.}/lib/.libs/libtechmv.so
if [ ! -f "$so" ]; then
  echo "exports: $so not built (static-only build?)"
  exit 77
fi
symbols=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
stray=$(printf '%s\n' "$symbols" | grep -v '^techmv_' || true)
if [ -n "$stray" ]; then
  echo "exports: symbols outside techmv_*:"; printf '%s\n' "$stray"
  exit 1
fi
missing=0
for f in techmv_open techmv_close techmv_list techmv_refresh techmv_status \
         techmv_page_value techmv_version techmv_errmsg techmv_sqlstate; do
  if ! printf '%s\n' "$symbols" | grep -qx "$f"; then
    echo "exports: $f is missing"; missing=1
  fi
done
if printf '%s\n' "$symbols" | grep -q '^tmv_'; then
  echo "exports: internal tmv_* symbols leak"; exit 1
fi
[ "$missing" -eq 0 ] || exit 1
echo "exports: $(printf '%s\n' "$symbols" | wc -l) symbols, all techmv_*"
