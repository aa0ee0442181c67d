# otf2ttf.py SRC.otf DST.ttf — convert a CFF-outline font to TrueType outlines
# (quadratic curves), for PDF libraries that embed only TrueType (go-pdf/fpdf).
# Used by font-subset.sh on the bundled subset.
import sys
from fontTools.ttLib import TTFont, newTable
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen

src, dst = sys.argv[1], sys.argv[2]
font = TTFont(src)
gs = font.getGlyphSet()
glyf = newTable("glyf")
glyf.glyphOrder = font.getGlyphOrder()
glyf.glyphs = {}
for name in font.getGlyphOrder():
    pen = TTGlyphPen(gs)
    gs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
    glyf.glyphs[name] = pen.glyph()
font["glyf"] = glyf
font["loca"] = newTable("loca")
del font["CFF "]
if "VORG" in font: del font["VORG"]
font["maxp"] = newTable("maxp"); m = font["maxp"]
m.tableVersion = 0x00010000
for a in ("maxZones","maxTwilightPoints","maxStorage","maxFunctionDefs","maxInstructionDefs","maxStackElements","maxSizeOfInstructions","maxComponentElements"):
    setattr(m, a, 0)
m.maxZones = 1
font["head"].glyphDataFormat = 0
font["post"].formatType = 3.0
font.sfntVersion = "\x00\x01\x00\x00"
font.recalcTimestamp = False  # the same bytes from the same source
font.save(dst)
