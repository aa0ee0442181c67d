#!/usr/bin/env bash
# voices.sh — render the Mandarin voice prompts listed in
# assets/voice/prompts.txt to WAV files beside it, with espeak-ng's cmn voice,
# a little slower than normal for older listeners. The WAVs are committed;
# run this after changing the list (`make voices`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=assets/voice
rm -f "$dir"/*.wav
grep -v '^#' "$dir/prompts.txt" | while IFS='|' read -r key text; do
  [ -n "$key" ] || continue
  espeak-ng -v cmn -s 135 -a 180 -w "$dir/$key.wav" "$text"
done
ls "$dir"/*.wav | wc -l
