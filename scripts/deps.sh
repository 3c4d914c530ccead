#!/usr/bin/env bash
# Install the Debian packages gst-gan needs to build, test and run its demo.
# Does nothing when they are already there; needs root (or sudo) otherwise.
set -eu
pkgs=(build-essential pkg-config meson ninja-build
      libfftw3-dev libopenblas-dev
      libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
      gstreamer1.0-plugins-bad gstreamer1.0-libav
      ladspa-sdk lv2-dev lilv-utils sox libsox-fmt-all
      pipewire pipewire-bin gstreamer1.0-pipewire ffmpeg
      libopenmpi-dev openmpi-bin
      clang libclang-rt-dev)  # the sanitizer and fuzzing build (test.sh --sanitize)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
