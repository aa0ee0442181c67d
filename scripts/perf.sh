#!/usr/bin/env bash
# perf.sh — the kiosk's performance figures (issue 16), in demo mode under
# Xvfb with a throw-away data directory:
#   - time from start to the sign-in window (first start, then warm starts:
#     the window counts once X reports it viewable, polled every 10 ms);
#   - resident memory at the sign-in screen, during a check and after
#     PERF_CHECKS blink checks on the demo clip, one after another, and
#     after the home screen then stood 95 s (longer than Fyne keeps the
#     screens just left in its cache: a counter's pace, not a benchmark's).
# The checks are run by the kiosk itself (CERTKIOSK_PERF_CHECKS, a
# measurement-only switch refused outside demo mode; cmd/certkiosk/perf.go).
#
# With a second argument, the perffloor program (cmd/perffloor), it
# also prints the floor of the stack: a Fyne window with the kiosk's theme
# and a gocv capture of the demo clip, nothing else — the least any kiosk
# built on Fyne and gocv holds here.
#
# With PERF_SOAK=1 it runs a day at the counter instead (`make soak`,
# issue 26): PERF_CHECKS checks back to back, both methods, passes and
# failures, receipts and contact confirmations (the kiosk's own soak
# scenario, cmd/certkiosk/soak.go), then prints, last, one line
#   soak: checks=N rss_mb_after_20=A rss_mb_end=B floor_mb=F model_mb=M goroutines_start=G0 …
# and fails unless B − A ≤ 10 MB, the in-check peak ≤ F + M + 40 MB, the
# sign-in ≤ F + 30 MB, and goroutines and file descriptors are back to
# where they started (SOAK_SIZE_BUDGETS=0 holds only the growth rules, as
# CI's short soak does).
#
#   scripts/perf.sh [path/to/certkiosk [path/to/perffloor]]     PERF_CHECKS=20 PERF_STARTS=5 [PERF_SOAK=1]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/perf/certkiosk}
floor=${2:-}
checks=${PERF_CHECKS:-20}
starts=${PERF_STARTS:-5}
display=:${PERF_DISPLAY:-96}
title=养老金领取资格认证 # app.title in zh_Hans.json
data=$(mktemp -d)
log=$(mktemp)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$data" "$log"
}
trap cleanup EXIT

for tool in Xvfb xwininfo; do
  command -v "$tool" >/dev/null || { echo "perf.sh: $tool is missing (apt-get install xvfb x11-utils)" >&2; exit 1; }
done
if xwininfo -display "$display" -root >/dev/null 2>&1; then
  echo "perf.sh: display $display is in use; choose another with PERF_DISPLAY" >&2; exit 1
fi
# -noreset: without it the server resets whenever its last client leaves,
# and a client connecting during that reset cannot open the display. The
# window poll below runs xwininfo every 10 ms, so the starting kiosk could
# meet a reset and panic in GLFW's init (CI failed so on 4b5be03). Measured:
# xdpyinfo against such a poll failed 7 times in 400, with -noreset 0.
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb=$!
pids+=("$xvfb")
up=
for _ in $(seq 300); do # until our server answers (at most 30 s on a busy machine)
  kill -0 "$xvfb" 2>/dev/null || break
  if xwininfo -display "$display" -root >/dev/null 2>&1; then up=1; break; fi
  sleep 0.1
done
[ -n "$up" ] && kill -0 "$xvfb" 2>/dev/null || { echo "perf.sh: Xvfb $display did not start" >&2; exit 1; }

kiosk() { # args… ; starts the kiosk in the background, its pid in $kpid
  DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 LANG=zh_CN.UTF-8 \
    "$bin" --demo --data "$data" --camera -1 "$@" >"$log" 2>&1 &
  kpid=$!
}

# wait_clip: until the demo clip the first start renders in the background
# is there (at most 5 minutes).
wait_clip() {
  for _ in $(seq 1500); do
    ls "$data"/demo/demo-clip*.avi >/dev/null 2>&1 && return
    kill -0 "$kpid" 2>/dev/null || break
    sleep 0.2
  done
  echo "perf.sh: the demo clip was not rendered; the kiosk's log:" >&2; cat "$log" >&2; exit 1
}

# window_time [first]: seconds from the kiosk's start until its window is
# viewable; then the kiosk is stopped (with first, once the demo clip it
# renders in the background is there).
window_time() {
  local t0 t1 first=${1:-}
  t0=$(date +%s.%N)
  kiosk
  for _ in $(seq 3000); do
    if xwininfo -display "$display" -name "$title" 2>/dev/null | grep -q 'IsViewable'; then
      t1=$(date +%s.%N)
      [ -n "$first" ] && wait_clip
      kill "$kpid"; wait "$kpid" 2>/dev/null || true
      echo "$t0 $t1" | awk '{printf "%.2f", $2 - $1}'
      return
    fi
    if ! kill -0 "$kpid" 2>/dev/null; then
      echo "perf.sh: the kiosk exited before showing its window; its log:" >&2; cat "$log" >&2; exit 1
    fi
    sleep 0.01
  done
  echo "perf.sh: no window after 30 s" >&2; kill "$kpid"; exit 1
}

# floorrss preview(true|false) → the floor program's RSS in MB.
floorrss() {
  local clip
  clip=$(ls "$data"/demo/demo-clip*.avi | head -1)
  DISPLAY=$display LIBGL_ALWAYS_SOFTWARE=1 LANG=zh_CN.UTF-8 "$floor" -clip "$clip" -preview="$1" 2>"$log" |
    sed -n 's/^floor: rss_mb=\([0-9.]*\).*/\1/p'
}

soak() {
  [ -n "$floor" ] || { echo "perf.sh: PERF_SOAK needs the perffloor program as the second argument" >&2; exit 1; }
  CERTKIOSK_SOAK=1 CERTKIOSK_PERF_CHECKS=$checks kiosk
  if ! wait "$kpid"; then
    echo "perf.sh: the soaking kiosk failed; its log:" >&2; cat "$log" >&2; exit 1
  fi
  local out line f
  out=$(grep '^soak: ' "$log" || true)
  echo "$out" | grep -v '^soak: checks=' | sed 's/^soak: /  /'
  line=$(echo "$out" | grep '^soak: checks=' || true)
  if [ -z "$line" ] || echo "$out" | grep -q '^soak: error'; then
    echo "perf.sh: the soak did not finish; the kiosk's log:" >&2; cat "$log" >&2; exit 1
  fi
  f=$(floorrss true)
  [ -n "$f" ] || { echo "perf.sh: the floor program failed; its log:" >&2; cat "$log" >&2; exit 1; }
  echo "$line floor_mb=$f" | awk -v sizes="${SOAK_SIZE_BUDGETS:-1}" '
    function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } }
    {
      a = field("rss_mb_after_20"); b = field("rss_mb_end"); f = field("floor_mb"); m = field("model_mb")
      printf "soak: checks=%s rss_mb_after_20=%s rss_mb_end=%s floor_mb=%s model_mb=%s goroutines_start=%s goroutines_end=%s fds_start=%s fds_end=%s sqlite_mb=%s\n",
        field("checks"), a, b, f, m, field("goroutines_start"), field("goroutines_end"), field("fds_start"), field("fds_end"), field("sqlite_mb")
      bad = 0
      if (b - a > 10) { print "soak: FAIL: grew " b - a " MB from check 20 to the end (budget 10)" > "/dev/stderr"; bad = 1 }
      if (sizes && field("peak_mb") > f + m + 40) { print "soak: FAIL: in-check peak " field("peak_mb") " MB > floor " f " + model " m " + 40" > "/dev/stderr"; bad = 1 }
      if (sizes && field("signin_mb") > f + 30) { print "soak: FAIL: sign-in " field("signin_mb") " MB > floor " f " + 30" > "/dev/stderr"; bad = 1 }
      if (field("goroutines_end") > field("goroutines_start")) { print "soak: FAIL: goroutines " field("goroutines_start") " -> " field("goroutines_end") > "/dev/stderr"; bad = 1 }
      if (field("fds_end") > field("fds_start")) { print "soak: FAIL: file descriptors " field("fds_start") " -> " field("fds_end") > "/dev/stderr"; bad = 1 }
      exit bad
    }'
}

first=$(window_time first)
if [ -n "${PERF_SOAK:-}" ]; then
  echo "first start to window: ${first} s"
  soak
  exit
fi
warm=()
for _ in $(seq "$starts"); do
  warm+=("$(window_time)")
  sleep 1
done
median=$(printf '%s\n' "${warm[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "time to window: first start ${first} s; warm starts ${warm[*]} s (median ${median} s)"

CERTKIOSK_PERF_CHECKS=$checks kiosk
if ! wait "$kpid"; then
  echo "perf.sh: the measuring kiosk failed; its log:" >&2; cat "$log" >&2; exit 1
fi
grep '^perf: ' "$log" | sed 's/^perf: /  /'
if grep -q '^perf: error' "$log" || ! grep -q '^perf: idle' "$log"; then
  echo "perf.sh: the measurement did not finish; the kiosk's log:" >&2; cat "$log" >&2; exit 1
fi
awk -v starts="$median" -v n="$checks" '
  function field(name,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] } }
  /^perf: signin/ { signin = field("rss_mb") }
  /^perf: check/  { d = field("peak_rss_mb"); if (d > during) during = d; if ($3 == "1") first = field("rss_mb") }
  /^perf: done/   { after = field("rss_mb") }
  /^perf: idle/   { idle = field("rss_mb") }
  END {
    printf "summary: warm start to window %.2f s | RSS at sign-in %.0f MB | during a check (peak) %.0f MB | after check 1 %.0f MB | after %d checks %.0f MB | 95 s later %.0f MB\n",
      starts, signin, during, first, n, after, idle
  }' "$log"

if [ -n "$floor" ]; then
  hidden=$(floorrss false)
  shown=$(floorrss true)
  if [ -z "$hidden" ] || [ -z "$shown" ]; then
    echo "perf.sh: the floor program failed; its log:" >&2; cat "$log" >&2; exit 1
  fi
  echo "floor of the stack (a Fyne window with the kiosk's theme + a gocv capture of the demo clip, nothing else): ${hidden} MB capturing behind a screen, ${shown} MB showing the preview; a check adds the landmark model (65 MB)"
fi
