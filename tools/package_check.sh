#!/usr/bin/env bash
# The package as users get it: build an sdist of this checkout, build a
# wheel from that sdist (so the sdist provably holds everything the build
# needs), install the wheel into a fresh venv, and run the test suite
# (all but the scenes, which tools/test.sh runs) against it -- the sdist's
# own tests, with the source tree nowhere on sys.path.
#
#   bash tools/package_check.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/setup.sh
need_system_packages "${BUILD_PACKAGES[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/build-env"
"$work/build-env/bin/pip" install -q build
"$work/build-env/bin/python" -m build --sdist --outdir "$work/dist" . >/dev/null
sdist=$(echo "$work"/dist/pyneuron-*.tar.gz)
"$work/build-env/bin/pip" wheel -q --no-deps --wheel-dir "$work/dist" "$sdist"
wheel=$(echo "$work"/dist/pyneuron-*.whl)
echo "built $(basename "$sdist") and, from it, $(basename "$wheel")"

members=$(python3 -m zipfile -l "$wheel")
for member in pyneuron/py.typed pyneuron/accuracy.json pyneuron/_ffi.abi3.so; do
  grep -q "$member" <<<"$members" || { echo "the wheel lacks $member" >&2; exit 1; }
done

python3 -m venv "$work/env"
"$work/env/bin/pip" install -q "$wheel[test]"
mkdir "$work/src" && tar -xzf "$sdist" -C "$work/src" --strip-components=1
cd "$work/src/tests"
"$work/env/bin/python" -c 'import pyneuron, sys; sys.exit("site-packages" not in pyneuron.__file__)' ||
  { echo "the tests would not import the installed wheel" >&2; exit 1; }
# The wheel with its test extra only: the tests of the video, notebook and
# dask extras (manim, matplotlib, a Jupyter kernel, Dask) run in tools/test.sh.
"$work/env/bin/python" -m pytest -q -p no:cacheprovider --ignore-glob='test_scene*.py' --ignore=test_video.py \
  --ignore=test_plotting.py --ignore=test_notebook.py \
  --deselect tests/test_sweep.py::test_a_dask_cluster_gives_the_local_results "$@"
