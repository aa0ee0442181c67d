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

# -noreset: see scripts/perf.sh (a client meeting a server reset fails).
Xvfb "$display" -screen 0 "${size}x24" -nolisten tcp -noreset >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  [ -S "/tmp/.X11-unix/X${display#:}" ] && break
  sleep 0.1
done

# blank reports whether a PNG is one flat colour (a window not drawn yet,
# or an all-black screen): its grey levels, scaled to 80x50, span < 8.
blank() {
  ffmpeg -loglevel error -i "$1" -vf scale=80:50,format=gray -f rawvideo - |
    od -An -v -tu1 | awk '{for (i = 1; i <= NF; i++) { if (min == "" || $i < min) min = $i; if ($i > max) max = $i }}
      END { exit !(max - min < 8) }'
}

# capture writes the display to a PNG once it shows a drawn screen: on a
# loaded machine the window may not have painted yet, so it looks again for
# up to 20 s, and fails rather than write a blank picture.
capture() { # png, kiosk pid, name
  local png=$1 kiosk=$2 name=$3
  for _ in $(seq 40); do
    ffmpeg -loglevel error -y -f x11grab -video_size "$size" -i "$display" -frames:v 1 "$png"
    blank "$png" || return 0
    kill -0 "$kiosk" 2>/dev/null || break
    sleep 0.5
  done
  rm -f "$png"
  echo "screenshot $name: the screen stayed blank; its log:" >&2; cat "$out/$name.log" >&2
  return 1
}

# One start per screen; screens behind the sign-in get the demo account's
# PIN on stdin. Software OpenGL: there is no GPU under Xvfb.
shot() { # name, [screen], [seconds to wait]
  local name=$1 screen=${2:-} wait=${3:-${SCREENSHOT_WAIT:-5}}
  local args=(--demo --data "$data" --camera -1 ${SHOT_ARGS:-})
  [ -n "$screen" ] && args+=(--staff 9001 --screen "$screen")
  echo 246810 | DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 LANG=zh_CN.UTF-8 \
    "$bin" "${args[@]}" >"$out/$name.log" 2>&1 &
  local kiosk=$!
  sleep "$wait"
  if ! kill -0 "$kiosk" 2>/dev/null; then
    echo "certkiosk exited early on $name; its log:" >&2; cat "$out/$name.log" >&2; exit 1
  fi
  if ! capture "$out/$name.png" "$kiosk" "$name"; then
    kill "$kiosk" 2>/dev/null || true; exit 1
  fi
  kill "$kiosk"; wait "$kiosk" 2>/dev/null || true
  echo "$out/$name.png"
}
# The first start renders the demo clip behind the window: let it finish
# before the screens that show the camera.
DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 LANG=zh_CN.UTF-8 "$bin" --demo --data "$data" --camera -1 \
  >"$out/first-start.log" 2>&1 &
first=$!
for _ in $(seq 1500); do
  ls "$data"/demo/demo-clip*.avi >/dev/null 2>&1 && break
  kill -0 "$first" 2>/dev/null || { echo "certkiosk exited on its first start:" >&2; cat "$out/first-start.log" >&2; exit 1; }
  sleep 0.2
done
kill "$first"; wait "$first" 2>/dev/null || true
ls "$data"/demo/demo-clip*.avi >/dev/null || { echo "no demo clip after 5 minutes" >&2; exit 1; }
shot login
shot home home
shot retiree retiree
shot records records
shot sync sync
shot device device
shot settings settings
shot certify certify 3.5
shot certify-digits certify-digits 4
shot pass certify 16
shot contacts contacts
# The identity card on demo mode's reader opens the retiree's card.
shot card card 6
# The retiree certified just now comes back: the pass's best frame stands
# beside the live face as the reference photo.
shot certify-reference certify-again 6
# A failure: the held-photo attack clip (it never blinks) as the camera.
"$(dirname "$bin")/kioskctl" fixture --out "$data/clips" --only photo >/dev/null
SHOT_ARGS="--video $data/clips/photo.avi" shot fail certify 17
# A head turned too far: the check says which way to move (issue 9).
"$(dirname "$bin")/kioskctl" fixture --out "$data/turned" --only photo --face '2008_002079.jpg#4' >/dev/null
SHOT_ARGS="--video $data/turned/photo.avi" shot turned certify 8
# The central's web console, in headless Chromium (console-*.png).
CONSOLE_SCREENSHOTS="$PWD/$out" go test -count=1 -run '^TestBrowser$' ./central/console >&2
ls "$out"/console-*.png
