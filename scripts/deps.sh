#!/usr/bin/env bash
# deps.sh — make sure the Debian 12 packages certkiosk builds, runs and tests
# with are installed. Quick and silent when everything is already present.
#
# As root it installs what is missing with apt-get; otherwise it prints the
# exact command to run and fails, so `make` stops with a clear message.
#
#   scripts/deps.sh            # build + run + test packages
#   DEPS_EXTRA="pkg ..." scripts/deps.sh   # add more packages (used by CI)
set -euo pipefail

# Build: cgo toolchains for Fyne (GLFW/OpenGL), gocv (OpenCV 4.6), dlib.
# Run: opencv-data has the cascades, libdlib-data the 68-point model,
#      fonts-noto-cjk is the source of the bundled font subset, and
#      unicode-data's Unihan lists the characters of 通用规范汉字表.
# Test: xvfb for screenshots, sqlite3/age/zbar-tools/poppler-utils/ffmpeg
#      as honest outside clients, espeak-ng renders voice prompts, chromium
#      drives the central's web console in a real browser.
PKGS=(
  pkg-config gcc g++ make
  libopencv-dev opencv-data
  libdlib-dev libdlib-data liblapack-dev libblas-dev
  libgl1-mesa-dev xorg-dev libasound2-dev
  xvfb x11-apps
  fonts-noto-cjk python3-fonttools unicode-data
  espeak-ng sox ffmpeg sqlite3 age zbar-tools poppler-utils
  chromium
)
# shellcheck disable=SC2206
PKGS+=(${DEPS_EXTRA:-})

missing=()
for p in "${PKGS[@]}"; do
  # dpkg-query is fast (no lock, no network); "install ok installed" means present.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "certkiosk: missing system packages: ${missing[*]}" >&2
  echo "certkiosk: run this once, then try again:" >&2
  echo "  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi

echo "certkiosk: installing missing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are missing or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -1440 2>/dev/null | head -n1)" ]; then
  apt-get update -q >&2
fi
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
