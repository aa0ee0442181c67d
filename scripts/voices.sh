#!/usr/bin/env bash
# voices.sh — render the Mandarin voice prompts listed in
# assets/voice/prompts.txt to WAV files beside it, with espeak-ng, a little
# slower than normal for older listeners. A line's pinyin (third field) is
# read by the cmn-Latn-pinyin voice: Debian's cmn voice reads most
# characters as English. A line with no pinyin is read from its text by the
# cmn voice. The WAVs are committed; run this after changing the list
# (`make voices`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=assets/voice
rm -f "$dir"/*.wav
grep -v '^#' "$dir/prompts.txt" | while IFS='|' read -r key text pinyin; do
  [ -n "$key" ] || continue
  if [ -n "$pinyin" ]; then
    espeak-ng -v cmn-latn-pinyin -s 135 -a 180 -w "$dir/$key.wav" "$pinyin"
  else
    espeak-ng -v cmn -s 135 -a 180 -w "$dir/$key.wav" "$text"
  fi
done
ls "$dir"/*.wav | wc -l
