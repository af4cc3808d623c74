#!/usr/bin/env bash
# Build the extension with AddressSanitizer + UndefinedBehaviorSanitizer and
# run the test suite against it (not the scenes: they test drawing, not C).
#
#   bash tools/sanitize.sh [pytest arguments]
#
# Needs the test environment of tools/test.sh (.venv); pyneuron is loaded
# from the sanitizer build via PYTHONPATH, from a venv without pyneuron.
cd "$(dirname "$0")/.."
source tools/setup.sh
need_system_packages "${BUILD_PACKAGES[@]}" ninja-build cmake
[ -x .venv-asan/bin/python ] || python3 -m venv .venv-asan
.venv-asan/bin/python -m pip install -q numpy cffi tqdm pytest mpmath scipy
root=$PWD
out=build/asan
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" -DPython_EXECUTABLE="$root/.venv-asan/bin/python" >/dev/null
ninja -C "$out" >/dev/null
rm -rf "$out/pkg" && mkdir -p "$out/pkg" && cp -r pyneuron "$out/pkg/" && cp "$out"/_ffi*.so "$out/pkg/pyneuron/"
cd tests
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
PYTHONPATH="$root/$out/pkg" exec "$root/.venv-asan/bin/python" -m pytest -q -p no:cacheprovider \
  --ignore-glob='test_scene*.py' "$@"
