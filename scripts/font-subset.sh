#!/usr/bin/env bash
# font-subset.sh — regenerate the bundled Chinese font from Debian's
# fonts-noto-cjk: Noto Sans CJK SC (face 2 of the collection), cut down to
# the GB 2312 repertoire and the 8,105 characters of 通用规范汉字表 (the 2013
# table names are written in: 喆, 堃, 玥 and 1,464 more are not in GB 2312),
# plus ASCII, the Latin-1 and Latin Extended-A letters the font has, and
# the punctuation the UI uses, so the kiosk renders Chinese on a machine
# with no CJK fonts installed, and never looks for one.
# Needs fonts-noto-cjk, python3-fonttools and unicode-data (its Unihan
# kTGH field); scripts/deps.sh installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/share/fonts/opentype/noto
out=assets/fonts
chars=$(mktemp); trap 'rm -f "$chars"' EXIT
# GB 2312: rows 0xA1-0xF7, cells 0xA1-0xFE; decode what is defined.
py=/usr/bin/python3  # Debian python, which has python3-fonttools
"$py" - "$chars" <<'PY'
import bz2, sys
cs = {chr(c) for c in range(0x20, 0x7f)}
with bz2.open("/usr/share/unicode/Unihan_OtherMappings.txt.bz2", "rt", encoding="utf-8") as f:
    tgh = {chr(int(l.split("\t")[0][2:], 16)) for l in f if "\tkTGH\t" in l}
if len(tgh) != 8105:
    sys.exit(f"Unihan kTGH lists {len(tgh)} characters, not the 8,105 of 通用规范汉字表")
cs |= tgh
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            cs.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
cs.update("·—–•“”‘’…、。，：；！？（）《》【】￥×÷°℃々〇")  # • masks PINs (Fyne)
# Latin-1 and Latin Extended-A (ñ, ç, ß …): the kiosk has no fallback font.
cs.update(chr(c) for c in range(0xA0, 0x180) if chr(c).isprintable())
open(sys.argv[1], "w", encoding="utf-8").write("".join(sorted(cs)))
PY
# --no-hinting: Fyne's rasterizer (go-text) never reads CFF hints, so they
# only cost memory: without them the fonts are 15 % smaller, in the binary
# and again in the copy Fyne parses into its heap; the pixels are the same.
# --layout-features, --layout-scripts: the features HarfBuzz applies by
# default to horizontal text, under each script's default language. Fyne
# shapes with no language, so the Japanese, Korean and traditional forms
# (locl under JAN, KOR, ZHT, ZHH) and the vertical, width and alternate
# forms are never drawn, yet they kept 6,400 more glyphs (GB 2312 alone:
# 14,007 glyphs became 7,574). locl stays for the default languages: in a
# Latin run it gives "…" and "—" their proportional forms.
features=abvm,blwm,calt,ccmp,clig,curs,dist,dnom,frac,kern,liga,locl,mark,mkmk,numr,rclt,rlig,rvrn
scripts=DFLT.dflt,cyrl.dflt,grek.dflt,hang.dflt,hani.dflt,kana.dflt,latn.dflt
for w in Regular Bold; do
  "$py" -m fontTools.subset "$src/NotoSansCJK-$w.ttc" --font-number=2 \
    --text-file="$chars" --layout-features="$features" \
    --layout-scripts="$scripts" --name-IDs='*' --no-hinting \
    --output-file="$out/NotoSansSC-$w.subset.otf"
done
# The receipt PDF needs TrueType outlines (go-pdf/fpdf embeds no CFF). It
# ships gzipped (2.6 -> 1.7 MB): the kiosk reads it only to print, and what
# it read stays resident for the day (assets.ReceiptFont). -n: no name or
# time in the header, so the same font gives the same bytes.
ttf=$(mktemp); trap 'rm -f "$chars" "$ttf"' EXIT
"$py" scripts/otf2ttf.py "$out/NotoSansSC-Regular.subset.otf" "$ttf"
gzip -9n < "$ttf" > "$out/NotoSansSC-Regular.subset.ttf.gz"
rm -f "$out/NotoSansSC-Regular.subset.ttf"
# The licence travels with the font (SIL OFL 1.1).
awk '/SIL OPEN FONT LICENSE Version 1.1/{p=1} p{print} /OTHER DEALINGS IN THE FONT SOFTWARE\./{if(p) exit}' \
  /usr/share/doc/fonts-noto-cjk/copyright | sed 's/^ //; s/^\.$//' > "$out/OFL.txt.tmp"
{ echo "Noto Sans CJK SC, subset to GB 2312 + 通用规范汉字表 + ASCII + Latin-1 by scripts/font-subset.sh from Debian fonts-noto-cjk."
  echo "Font copyright (from the font's name table):"
  "$py" -c "from fontTools.ttLib import TTFont; print(TTFont('$out/NotoSansSC-Regular.subset.otf')['name'].getDebugName(0))"
  echo; cat "$out/OFL.txt.tmp"; } > "$out/OFL.txt"
rm -f "$out/OFL.txt.tmp"
ls -l "$out"
