#!/bin/sh
# Configures (once) and builds Vitrine in build/. Extra arguments go to
# `meson setup`, e.g. -Dwerror=true.
set -eu
cd "$(dirname "$0")/.."
if [ -f build/build.ninja ]; then
  meson setup --reconfigure build "$@" >/dev/null
else
  meson setup build "$@"
fi
meson compile -C build
