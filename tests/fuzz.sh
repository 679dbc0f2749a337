#!/bin/sh
# Build the libFuzzer target with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer on) and run it for FUZZ_SECONDS (default 60).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_DIR:-$(mktemp -d)}
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -I"$src/include" $(pkg-config --cflags libpq) \
  "$src/tests/fuzz_params.c" "$src/lib/query.c" "$src/lib/text.c" \
  "$src/lib/encoding.c" "$src/lib/sizedstruct.c" $(pkg-config --libs libpq) \
  -o "$out/fuzz_params"
mkdir -p "$out/corpus"
status=0
"$out/fuzz_params" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 \
  -print_final_stats=1 "$out/corpus" >"$out/fuzz.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  cat "$out/fuzz.log"
  echo "fuzz: FAILED (exit $status)"
  exit 1
fi
grep -E '^(Done|stat::)' "$out/fuzz.log"
echo "fuzz: no crash"
