#!/usr/bin/env bash
# Set up everything the test suite needs and run it: the README's test command.
#
#   bash tools/test.sh [pytest arguments]
#
# Builds and installs pyneuron (with its test extra) into .venv from this
# checkout -- the same build a user's `pip install .` runs -- then runs the
# whole suite against the installed package.  On a fresh Debian/Ubuntu
# machine, run as root (or with sudo available) once so that missing system
# packages (python3-venv, python3-dev) can be installed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
python3 -c "import venv, ensurepip" 2>/dev/null || need_apt+=(python3-venv)
python3 - <<'PY' 2>/dev/null || need_apt+=(python3-dev)
import os, sysconfig, sys
sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")) else 1)
PY
command -v cc >/dev/null || need_apt+=(build-essential)
if ((${#need_apt[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need_apt[@]}"
  else
    echo "tools/test.sh: please install: ${need_apt[*]} (a C compiler, Python headers and venv)" >&2
    exit 1
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".[test]"
# The pytest command, not `python -m pytest`: the latter would put the
# source pyneuron/ (which has no compiled module) first on sys.path.
exec .venv/bin/pytest "$@"
