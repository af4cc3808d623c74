#!/usr/bin/env bash
# Render a video: the README's quick start.
#
#   bash tools/render.sh [manim options] [scene file]     default: scenes/fit.py at 720p30
#   bash tools/render.sh -qh                              1080p60
#
# Installs missing system packages (apt; run as root or with sudo) and
# pyneuron with its video extra into .venv, then runs manim.  The video
# lands in media/videos/<scene file>/<quality>/.
cd "$(dirname "$0")/.."
source tools/setup.sh
need_system_packages "${BUILD_PACKAGES[@]}"
install_into_venv "video"
args=("$@")
[[ " ${args[*]-} " == *".py "* ]] || args+=(scenes/fit.py)
exec .venv/bin/manim "${args[@]}"
