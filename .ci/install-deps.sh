#!/bin/sh
# Installs, on Debian 12, everything Vitrine needs to build, run and test.
# Works as root or through sudo. One list, used by the README and .ci/run.
set -eu

packages="
  build-essential meson ninja-build pkg-config gettext
  libgtk-4-dev libjson-glib-dev libopenblas-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev
  libgtk-4-bin libgl1-mesa-dri fonts-dejavu-core
  xvfb xauth xdotool dbus at-spi2-core python3-pyatspi imagemagick
  desktop-file-utils appstream
  clang libclang-rt-14-dev
  dataset-fashion-mnist
"

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages
