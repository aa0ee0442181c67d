#!/usr/bin/env bash
# screenshots.sh — start the kiosk under Xvfb in demo mode and save PNGs of
# what a person would see to build/screenshots/. Uses a throw-away data
# directory, so it never touches a real roster.
#
#   scripts/screenshots.sh [path/to/certkiosk]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/certkiosk}
out=build/screenshots
mkdir -p "$out"
size=1280x800
display=:${SCREENSHOT_DISPLAY:-97}
data=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  [ -S "/tmp/.X11-unix/X${display#:}" ] && break
  sleep 0.1
done

# Software OpenGL: there is no GPU under Xvfb.
DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 LANG=zh_CN.UTF-8 \
  "$bin" --demo --data "$data" --camera -1 >"$out/certkiosk.log" 2>&1 &
kiosk=$!
pids+=($kiosk)

shot() { # name, after seconds
  sleep "$2"
  kill -0 "$kiosk" 2>/dev/null || { echo "certkiosk exited early; see $out/certkiosk.log" >&2; cat "$out/certkiosk.log" >&2; exit 1; }
  ffmpeg -loglevel error -y -f x11grab -video_size "$size" -i "$display" -frames:v 1 "$out/$1.png"
  echo "$out/$1.png"
}
shot shell 6
