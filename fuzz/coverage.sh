#!/usr/bin/env bash
# Line, function and region coverage of csrc/ reached by the fuzz corpus.
#
#   bash fuzz/coverage.sh [INPUTS...]   (default: build/fuzz/corpus and build/fuzz/seeds)
#
# Builds the harness with clang's source-based coverage instead of the
# fuzzer's instrumentation (and no sanitizers), replays every input once
# through fuzz/replay.c, and prints llvm-cov's report for csrc's files; the
# per-line view is left in build/fuzz/coverage/lines.txt.
cd "$(dirname "$0")/.."
source fuzz/common.sh
need_clang
out=$FUZZ_BUILD/coverage
(($#)) || set -- "$FUZZ_BUILD/corpus" "$FUZZ_BUILD/seeds"
mkdir -p "$out"
rm -f "$out"/*.profraw
HARNESS=(fuzz/fuzz_api.c fuzz/replay.c)
build_harness "$out/replay" -fprofile-instr-generate -fcoverage-mapping
LLVM_PROFILE_FILE="$out/replay-%p.profraw" "$out/replay" "$@"
llvm-profdata-14 merge -sparse "$out"/*.profraw -o "$out/replay.profdata"
sources=(csrc/*.c csrc/*.h csrc/kernels/*.inc csrc/simd/*.h)
llvm-cov-14 show "$out/replay" -instr-profile="$out/replay.profdata" "${sources[@]}" >"$out/lines.txt"
llvm-cov-14 report "$out/replay" -instr-profile="$out/replay.profdata" "${sources[@]}"
