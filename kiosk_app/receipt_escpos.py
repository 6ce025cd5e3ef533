"""The receipt drawn for a thermal printer: its lines as a picture in a CJK font.

ESC/POS text modes print only what the printer's code pages hold; most have no Hangul, and a
text-mode library turns it into question marks. Drawn as a raster picture with Noto Sans CJK
(Debian's ``fonts-noto-cjk``), Korean and English print alike on any ESC/POS printer. Lines too
wide for the paper are wrapped; the first line (the library's name) is drawn larger.

Pillow is imported at the first receipt drawn, not with this module: the kiosk starts without it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from hardware.escpos_printer import dots_wide, receipt_stream
from kiosk_app.receipt import Receipt

if TYPE_CHECKING:
    from PIL import Image, ImageFont

FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKkr-Regular.otf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
FONT_FAMILY = "Noto Sans CJK KR"
"""The Korean face of the collection: its glyph shapes are the ones Korean readers expect."""
TEXT_PX = {80: 26, 58: 22}
TITLE_PX = {80: 34, 58: 28}
LINE_GAP = 6


class FontMissing(LookupError):
    """No Noto CJK font: install ``fonts-noto-cjk`` (deploy/install.sh does)."""


@cache
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    """Noto Sans CJK KR at ``size`` pixels, from the first collection or file found."""
    from PIL import ImageFont

    for path in FONT_FILES:
        if not path.exists():
            continue
        for index in range(10):
            try:
                font = ImageFont.truetype(str(path), size, index=index)
            except OSError:
                break
            if font.getname()[0] == FONT_FAMILY or path.suffix == ".otf":
                return font
    raise FontMissing("no Noto Sans CJK font found (apt-get install fonts-noto-cjk)")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """``text`` cut into pieces that fit ``width`` pixels, at spaces where possible (a Korean
    title may have none: then anywhere)."""
    pieces: list[str] = []
    rest = text
    while font.getlength(rest) > width:
        cut = len(rest)
        while cut > 1 and font.getlength(rest[:cut]) > width:
            cut -= 1
        space = rest.rfind(" ", 0, cut)
        cut = space if space > len(rest) // 4 and space > 0 else cut
        pieces.append(rest[:cut].rstrip())
        rest = "    " + rest[cut:].lstrip()
    return [*pieces, rest]


def receipt_picture(receipt: Receipt, width_mm: int) -> Image.Image:
    """The receipt's lines, black on white, one bit per dot, as wide as the paper prints."""
    from PIL import Image, ImageDraw

    width = dots_wide(width_mm)
    title, text = cjk_font(TITLE_PX[width_mm]), cjk_font(TEXT_PX[width_mm])
    rows: list[tuple[str, ImageFont.FreeTypeFont]] = []
    for number, line in enumerate(receipt.lines):
        font = title if number == 0 else text
        rows += [(piece, font) for piece in wrap(line, font, width)]
    heights = [int(font.size) + LINE_GAP for _, font in rows]  # Pillow types size as a float; ours are whole
    picture = Image.new("1", (width, sum(heights) + LINE_GAP), 1)
    draw = ImageDraw.Draw(picture)
    top = 0
    for (piece, font), height in zip(rows, heights, strict=True):
        draw.text((0, top), piece, font=font, fill=0)
        top += height
    return picture


def escpos_receipt(receipt: Receipt, width_mm: int) -> bytes:
    """The whole print job: the picture, the visit number's barcode, the cut."""
    return receipt_stream([receipt_picture(receipt, width_mm)], receipt.session_id)
