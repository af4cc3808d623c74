#!/usr/bin/env bash
# Fuzz every C entry point of csrc/pyneuron.h with libFuzzer, under
# AddressSanitizer and UndefinedBehaviorSanitizer.
#
#   bash fuzz/run.sh [SECONDS]      (default 60)
#
# Builds build/fuzz/fuzz_api, writes a generated seed corpus to
# build/fuzz/seeds, grows build/fuzz/corpus (kept between runs) and exits
# non-zero on any crash, leak, timeout, sanitizer report or broken
# invariant; the failing input is saved as build/fuzz/artifacts/crash-*
# (see fuzz/README.md to reproduce and minimise it).
cd "$(dirname "$0")/.."
source fuzz/common.sh
seconds=${1:-60}
need_clang
mkdir -p "$FUZZ_BUILD/corpus" "$FUZZ_BUILD/artifacts"
HARNESS=(fuzz/fuzz_api.c)
build_harness "$FUZZ_BUILD/fuzz_api" \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
python3 fuzz/seeds.py "$FUZZ_BUILD/seeds"

log=$FUZZ_BUILD/fuzz.log
status=0
start=$SECONDS
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
  "$FUZZ_BUILD/fuzz_api" -max_total_time="$seconds" -timeout=30 -max_len=8192 -detect_leaks=1 \
  -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/artifacts/" \
  "$FUZZ_BUILD/corpus" "$FUZZ_BUILD/seeds" >"$log" 2>&1 || status=$?

# libFuzzer's last progress line: "#<execs> <event> cov: <edges> ft: <features> corp: <inputs>/<size> ..."
progress=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
field() { sed -n "s/.* $1: \([0-9]*\).*/\1/p" <<<"$progress"; }
echo "fuzz summary: $((SECONDS - start))s of ${seconds}s, ${execs:-?} executions, cov $(field cov) edges, ft $(field ft) features," \
  "corpus $(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$progress") inputs; exit status $status"
if [ "$status" != 0 ]; then
  grep -E -A40 'ERROR|contract broken|runtime error|Test unit written' "$log" | head -n 80 >&2
  echo "full log: $log" >&2
fi
exit "$status"
