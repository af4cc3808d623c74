#!/usr/bin/env bash
# Build the extension with AddressSanitizer + UndefinedBehaviorSanitizer and
# run the test suite against it -- not the scenes, videos, plots,
# notebooks and the Dask sweep (they test drawing and orchestration, not C,
# and need extras this venv lacks)
# and not the RSS leak tests (ASan's quarantine holds freed memory, so RSS
# would measure the sanitizer).
#
#   bash tools/sanitize.sh [pytest arguments]
#
# Needs the test environment of tools/test.sh (.venv); pyneuron is loaded
# from the sanitizer build via PYTHONPATH, from a venv without pyneuron.
cd "$(dirname "$0")/.."
source tools/setup.sh
need_system_packages "${BUILD_PACKAGES[@]}" ninja-build cmake
[ -x .venv-asan/bin/python ] || python3 -m venv .venv-asan
# pyneuron's run-time and test requirements, as pyproject.toml lists them
.venv-asan/bin/python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(p["dependencies"] + p["optional-dependencies"]["test"]))' |
  xargs .venv-asan/bin/python -m pip install -q
root=$PWD
out=build/asan
cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" -DPython_EXECUTABLE="$root/.venv-asan/bin/python" >/dev/null
ninja -C "$out" >/dev/null
rm -rf "$out/pkg" && mkdir -p "$out/pkg" && cp -r pyneuron "$out/pkg/" && cp "$out"/_ffi*.so "$out/pkg/pyneuron/"
cd tests
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 PYTHONPATH="$root/$out/pkg"
"$root/.venv-asan/bin/python" -m pyneuron info | grep "^sanitizer build: yes" >/dev/null ||
  { echo "sanitize.sh: the build under test is not the sanitizer build" >&2; exit 1; }
exec "$root/.venv-asan/bin/python" -m pytest -q -p no:cacheprovider \
  --ignore-glob='test_scene*.py' --ignore=test_video.py --ignore=test_plotting.py --ignore=test_notebook.py \
  --ignore=test_leaks.py --deselect tests/test_sweep.py::test_a_dask_cluster_gives_the_local_results "$@"
