#!/usr/bin/env bash
# The test suite on AArch64, under emulation, from Debian packages alone:
# Debian's cross toolchain builds the extension (NEON and baseline levels)
# against an arm64 Debian tree (trixie) that holds python3, numpy, cffi and
# pytest, and qemu-aarch64 runs pytest in that tree.  The kernel tests
# sweep every level the CPU offers (tests/conftest.py), here neon and
# baseline.
#
#   bash tools/test_arm64.sh              the bounded run CI makes (ARM64_TESTS)
#   bash tools/test_arm64.sh --full       the suite as tools/package_check.sh runs it (hours)
#   bash tools/test_arm64.sh -- ARGS...   pytest ARGS instead (paths from tests/)
#   bash tools/test_arm64.sh --setup-only the tools, the tree and binfmt only
#   bash tools/test_arm64.sh --insn-plugin  also build qemu's instruction-counting plugin
#                                            (benchmarks/bench_arm64_insns.py uses it)
#
# The tree and the build are cached under build/arm64 (delete it to start
# over; ARM64_ROOT=DIR uses, or makes, the tree in DIR instead, as
# tools/mutants.py does to share one).  Needs root or sudo for apt-get and
# binfmt_misc, and network access to Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=${ARM64_ROOT:-$PWD/build/arm64/root}
BUILD=$PWD/build/arm64/build
PKG=$PWD/build/arm64/pkg
SUITE=trixie
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# What CI runs, bounded to about 7 minutes on 2 cores (paths from tests/):
# the manifest, dispatch, the C API's checks, accuracy against the
# references, losses, softmax and dense layers, and every kernel at every
# tail length against guard pages, at both levels.  --full adds the other
# memory-layout sweeps, gradients, training against the numpy trainer and
# the rest of the suite.
ARM64_TESTS=(test_manifest.py test_dispatch.py test_c_api.py test_accuracy.py test_losses.py
             test_softmax.py test_dense.py test_tails.py -k "not test_tails or guard_pages")

pytest_args=()
setup_only=0
insn_plugin=0
case ${1:-} in
  --setup-only) setup_only=1 ;;
  --insn-plugin) insn_plugin=1 ;;
  # the rest but what needs the video, notebook, dask and typing extras or
  # the build tools (as tools/package_check.sh leaves them to tools/test.sh)
  --full) pytest_args=(. --ignore-glob='test_scene*.py' --ignore=test_video.py --ignore=test_plotting.py
                       --ignore=test_notebook.py --ignore=test_typing.py --ignore=test_mutants.py
                       --deselect tests/test_sweep.py::test_a_dask_cluster_gives_the_local_results) ;;
  --) shift; pytest_args=("$@") ;;
  "") pytest_args=("${ARM64_TESTS[@]}") ;;
  *) echo "usage: $0 [--full | --setup-only | --insn-plugin | -- PYTEST_ARGS...]" >&2; exit 2 ;;
esac

# ---- tools: the cross compilers (gcc, and clang for a second opinion), qemu-user, mmdebstrap
source tools/setup.sh
need_system_packages crossbuild-essential-arm64 qemu-user mmdebstrap cmake ninja-build clang-14

# ---- the arm64 tree.  --variant=extract unpacks the packages without
# running their maintainer scripts (nothing runs under emulation), so the links
# those scripts would make are made here: the merged /usr and the BLAS and
# LAPACK alternatives numpy loads.
PACKAGES=python3,libpython3-dev,python3-numpy,python3-cffi,python3-tqdm,python3-pytest,python3-pytest-xdist,python3-hypothesis,python3-mpmath,python3-scipy
if [ "$(cat "$ROOT.packages" 2>/dev/null)" != "$SUITE $PACKAGES" ]; then
  rm -rf "$ROOT" "$ROOT.packages" && mkdir -p "$(dirname "$ROOT")"
  echo "making the arm64 $SUITE tree in $ROOT" >&2
  mmdebstrap --quiet --variant=extract --architectures=arm64 --include="$PACKAGES" "$SUITE" "$ROOT" "$MIRROR"
  for d in bin sbin lib; do ln -sfn "usr/$d" "$ROOT/$d"; done
  for lib in blas/libblas.so.3 lapack/liblapack.so.3; do
    ln -sfn "$lib" "$ROOT/usr/lib/aarch64-linux-gnu/$(basename "$lib")"
  done
  echo "$SUITE $PACKAGES" >"$ROOT.packages"
fi
PYVER=$(cd "$ROOT/usr/include" && ls -d python3.* | head -1)

# The tree's programs run under qemu-aarch64 through binfmt_misc (the
# tests start Python subprocesses: sys.executable must run as it is), with
# QEMU_LD_PREFIX pointing the emulated loader at the tree.
BINFMT=/proc/sys/fs/binfmt_misc
if [ ! -e $BINFMT/qemu-aarch64 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  [ -e $BINFMT/register ] || $sudo mount -t binfmt_misc binfmt_misc $BINFMT
  $sudo tee $BINFMT/register </usr/lib/binfmt.d/qemu-aarch64.conf >/dev/null ||
    { echo "cannot register qemu-aarch64 with binfmt_misc ($BINFMT)" >&2; exit 1; }
fi
# Bytecode is written: the tree has none (no maintainer scripts ran), and
# compiling numpy's modules under emulation at every start costs a minute.
PYTHON=$PWD/build/arm64/python3
mkdir -p "$(dirname "$PYTHON")"
cat >"$PYTHON" <<EOF
#!/bin/sh
unset PYTHONDONTWRITEBYTECODE
export QEMU_LD_PREFIX="$ROOT"
exec "$ROOT/usr/bin/python3" "\$@"
EOF
chmod +x "$PYTHON"
((setup_only)) && exit 0

# ---- cross-build.  Debian's pyconfig.h includes its multiarch twin by an
# <aarch64-linux-gnu/...> path; that one directory is offered on its own,
# not the tree's whole /usr/include, whose glibc headers are not the cross
# compiler's.
mkdir -p "$PWD/build/arm64/pyinclude/aarch64-linux-gnu"
ln -sfn "$ROOT/usr/include/aarch64-linux-gnu/$PYVER" "$PWD/build/arm64/pyinclude/aarch64-linux-gnu/$PYVER"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$PWD/tools/arm64-toolchain.cmake" \
    -DPython_EXECUTABLE="$PYTHON" -DPython_INCLUDE_DIR="$ROOT/usr/include/$PYVER" \
    -DCMAKE_C_FLAGS="-isystem $PWD/build/arm64/pyinclude" >/dev/null
fi
# exit status 3, not pytest's 1: a build that fails is no test failing
ninja -C "$BUILD" >/dev/null || { echo "the cross-build failed" >&2; exit 3; }
# The same sources compile with clang too (as a macOS arm64 build would use),
# warnings as errors; objects discarded.
sources=()
for src in csrc/*.c; do case $src in csrc/isa_*.c) ;; *) sources+=("$src") ;; esac; done
while read -r src _flags; do sources+=("$src"); done < <(manifest_levels aarch64)
for src in "${sources[@]}"; do
  clang-14 --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -std=gnu11 -O2 -ffp-contract=off \
    -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unused-function -Icsrc -c "$src" -o /dev/null ||
    { echo "clang cannot compile $src for AArch64" >&2; exit 3; }
done
rm -rf "$PKG" && mkdir -p "$PKG"
cp -r pyneuron "$PKG/" && cp "$BUILD"/_ffi*.so "$PKG/pyneuron/"

# ---- qemu's `insn` plugin, from Debian's qemu source package (deb-src)
if ((insn_plugin)); then
  need_system_packages dpkg-dev libglib2.0-dev
  if ! grep -qsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/*; then
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$MIRROR" "$(. /etc/os-release && echo "$VERSION_CODENAME")" >/etc/apt/sources.list.d/pyneuron-src.sources
    apt-get update -qq
  fi
  src=$PWD/build/arm64/qemu-src
  mkdir -p "$src"
  (cd "$src" && apt-get source -qq --download-only "qemu=$(dpkg-query -W -f='${source:Version}' qemu-user)" &&
   tar -xJf qemu_*.orig.tar.xz --strip-components=1 --wildcards '*/tests/plugin/insn.c' '*/include/qemu/qemu-plugin.h')
  # shellcheck disable=SC2046  # pkg-config prints lists of flags
  gcc -shared -fPIC -O2 -I"$src/include/qemu" $(pkg-config --cflags glib-2.0) "$src/tests/plugin/insn.c" \
    -o build/arm64/libinsn.so $(pkg-config --libs glib-2.0)
  echo "built build/arm64/libinsn.so" >&2
  exit 0
fi

# ---- run
cd tests
levels=$(PYTHONPATH=$PKG "$PYTHON" -c "import pyneuron; print(' '.join(pyneuron.simd_levels()))")
echo "arm64 under qemu: SIMD levels $levels" >&2
case " $levels " in *" neon "*) ;; *) echo "the neon level is missing: $levels" >&2; exit 1 ;; esac
# one pytest worker per core (pytest-xdist): qemu emulates one thread each
PYTHONPATH=$PKG "$PYTHON" -m pytest -q -p no:cacheprovider -n "$(nproc)" "${pytest_args[@]}"
