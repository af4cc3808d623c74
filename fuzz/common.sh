# shellcheck shell=bash
# Shared by fuzz/run.sh and fuzz/coverage.sh (sourced, not run).
#   need_clang                  install clang-14 and its fuzzer/sanitizer runtimes if missing
#   build_harness OUT FLAGS...  build csrc (this architecture's SIMD levels) and the sources in the array HARNESS into OUT
set -euo pipefail
source tools/setup.sh  # manifest_levels

CC=clang-14
# shellcheck disable=SC2034  # used by the scripts that source this file
FUZZ_BUILD=build/fuzz

need_clang() {
  local missing=()
  for pkg in clang-14 libclang-rt-14-dev llvm-14; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Objects are rebuilt only when missing, older than what they depend on
# (a unit: itself and csrc's headers; an ISA unit also the kernels), or
# built with other flags: the ISA units take minutes under UBSan.
build_harness() {
  local out=$1
  shift
  local objs=$out.objs pids=()
  mkdir -p "$objs"
  if [ "$(cat "$objs/flags" 2>/dev/null)" != "$*" ]; then
    rm -f "$objs"/*.o && echo "$*" >"$objs/flags"
  fi
  local -A level_flags=()
  local src flags
  while read -r src flags; do level_flags[$src]=$flags; done < <(manifest_levels)
  ((${#level_flags[@]})) || { echo "no SIMD levels read from csrc/ops.def" >&2; exit 1; }
  local common=()
  for src in csrc/*.c; do case $src in csrc/isa_*.c) ;; *) common+=("$src") ;; esac; done
  for src in "${common[@]}" "${!level_flags[@]}" "${HARNESS[@]}"; do
    local obj deps extra=${level_flags[$src]:-}
    obj=$objs/$(basename "$src" .c).o
    deps=("$src" csrc/*.h csrc/ops.def)
    case $src in csrc/isa_*.c) deps+=(csrc/kernels csrc/simd) ;; esac
    [ -f "$obj" ] && [ -z "$(find "${deps[@]}" -newer "$obj" -print -quit)" ] && continue
    # shellcheck disable=SC2086  # $extra is a list of flags
    "$CC" -std=gnu11 -O1 -g -ffp-contract=off -fno-math-errno -Icsrc $extra "$@" -c "$src" -o "$obj" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  "$CC" "$@" "$objs"/*.o -lm -o "$out"
}
