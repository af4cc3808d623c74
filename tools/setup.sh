# Shared set-up for the tools/ and fuzz/ scripts (sourced, not run).
#   need_system_packages PKG...   install the Debian/Ubuntu packages that are missing
#   install_into_venv EXTRAS      build and install this checkout into .venv
#   manifest_levels [ARCH]        the SIMD levels that build for ARCH (default: this machine's)
set -euo pipefail

# One line per level of the manifest csrc/ops.def that compiles for ARCH
# (x86_64, aarch64; levels of architecture "any" everywhere), read as
# CMakeLists.txt reads it: "csrc/isa_N.c FLAGS...".
manifest_levels() {
  local arch=${1:-$(uname -m)}
  case $arch in x86_64 | amd64) arch=x86_64 ;; aarch64 | arm64) arch=aarch64 ;; esac
  sed -n 's/^ *X(PN_SIMD_[A-Z0-9_]*, \([a-z0-9_]*\), \([a-z0-9_]*\), "\([^"]*\)".*/\1 \2 \3/p' csrc/ops.def |
    while read -r name level_arch flags; do
      if [ "$level_arch" = any ] || [ "$level_arch" = "$arch" ]; then echo "csrc/isa_$name.c $flags"; fi
    done
}

need_system_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "installing system packages: ${missing[*]}" >&2
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "$(basename "$0"): please install these system packages: ${missing[*]}" >&2
    exit 1
  fi
}

install_into_venv() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "$(basename "$0"): Python >= 3.11 is needed (manim's requirement); found $(python3 --version)" >&2
    exit 1
  }
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q ".[$1]"
}

# What building pyneuron and manim needs: a C compiler, Python headers and
# venv, and the cairo/pango development files manim's wheels compile against.
BUILD_PACKAGES=(build-essential python3-dev python3-venv pkg-config libcairo2-dev libpango1.0-dev)
