#!/usr/bin/env bash
# Set up everything the test suite needs and run it: the README's test command.
#
#   bash tools/test.sh [pytest arguments]
#
# Installs missing system packages (apt; run as root or with sudo), builds
# and installs pyneuron with its test, video, notebook, slides and dask extras into .venv from this
# checkout -- the same build `pip install .` runs -- and runs the whole
# suite against the installed package.
cd "$(dirname "$0")/.."
source tools/setup.sh
need_system_packages "${BUILD_PACKAGES[@]}"
install_into_venv "test,video,notebook,slides,dask"
# The pytest command, not `python -m pytest`: the latter would put the
# source pyneuron/ (which has no compiled module) first on sys.path.
exec .venv/bin/pytest "$@"
