#!/bin/sh
# After `make install`, a program built with `pkg-config --cflags --libs
# techmv` links (shared and static) and runs against a real server. Installs
# into a staging directory (DESTDIR), so it needs no root and leaves the
# system alone. Run from a configured build directory.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
make install DESTDIR="$stage" >"$stage/install.log" 2>&1 || {
  cat "$stage/install.log"; exit 1; }
libdir=$(sed -n 's/^libdir=//p' techmv.pc)
prefix=$(sed -n 's/^prefix=//p' techmv.pc)
libdir=$(echo "$libdir" | sed "s|\${exec_prefix}|$prefix|")
# The staged techmv.pc, pointed at the staging directory. (A pkg-config
# sysroot would also move libpq's include path, which is not staged.)
mkdir "$stage/pc"
sed "s|^prefix=.*|prefix=$stage$prefix|" "$stage$libdir/pkgconfig/techmv.pc" \
  >"$stage/pc/techmv.pc"
PKG_CONFIG_PATH="$stage/pc"
export PKG_CONFIG_PATH

echo "installcheck: techmv $(pkg-config --modversion techmv)," \
     "cflags: $(pkg-config --cflags techmv)"
test -f "$stage$prefix/share/techmv/install.sql"
test -f "$stage$prefix/include/techmv.h"
test -f "$stage$prefix/share/man/man1/techmv.1"
test -f "$stage$prefix/share/man/man3/libtechmv.3"

# techmv.pc requires libpq publicly: its flags alone must build a program
# that calls libpq itself, as every user of the library does.
cat >"$stage/both.c" <<'C'
#include <stdio.h>
#include <techmv.h>
int main(void) {
  PGconn *conn = PQconnectdb("host=/nonexistent connect_timeout=1");
  printf("%s %d\n", techmv_version(), PQstatus(conn) == CONNECTION_BAD);
  PQfinish(conn);
  return 0;
}
C
cc -Wall -Wextra -Werror -o "$stage/both" "$stage/both.c" \
  $(pkg-config --cflags --libs techmv)

cc -Wall -Wextra -Werror -o "$stage/quickstart" \
  "$srcdir/examples/quickstart.c" $(pkg-config --cflags --libs techmv libpq)
cc -Wall -Wextra -Werror -static-libgcc -o "$stage/quickstart-static" \
  "$srcdir/examples/quickstart.c" $(pkg-config --cflags techmv) \
  "$stage$libdir/libtechmv.a" $(pkg-config --libs libpq)

LD_LIBRARY_PATH="$stage$libdir"
export LD_LIBRARY_PATH
[ "$("$stage/both")" = "$("$stage$prefix/bin/techmv" --version |
  sed 's/.* //') 1" ] || {
  echo "installcheck: the pkg-config-only program or techmv --version failed"
  exit 1; }
ldd "$stage/quickstart" | grep -q "$stage$libdir/libtechmv.so" || {
  echo "installcheck: quickstart did not load the installed library"; exit 1; }
if ! sh "$srcdir/tests/pg-harness.sh" sh -c '
  "$1/quickstart" dbname=techmv_tpl && "$1/quickstart-static" dbname=techmv_tpl
' sh "$stage" >"$stage/out" 2>&1; then
  cat "$stage/out"
  exit 1
fi
if [ "$(grep -c '^(from the view; more: ' "$stage/out")" -ne 2 ]; then
  echo "installcheck: quickstart did not list from the view:"
  cat "$stage/out"
  exit 1
fi
echo "installcheck: shared and static builds link and run"
