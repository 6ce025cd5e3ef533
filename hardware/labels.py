"""A printable SVG sheet of the demo data's barcodes, to run the demo with a real handheld scanner.

Library codes are printed as Codabar (as on real member cards and item labels), ISBNs as EAN-13
beside the item they belong to, plus two labels that must be refused (a wrong check digit and
another library's card). python-barcode draws each symbol; this module only lays them out.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import barcode
from barcode.writer import SVGWriter
from stdnum import luhn

import kiosk_data

SVG_NS = "http://www.w3.org/2000/svg"
DEFAULT_DATA_DIR = kiosk_data.DATA_DIR
PAGE_WIDTH_MM = 210
MARGIN_MM = 10
COLUMN_MM = 95
ROW_MM = 36
HEADING_MM = 12
WRITER_OPTIONS = {"module_width": 0.2, "module_height": 15.0, "font_size": 9, "text_distance": 4}


@dataclass(frozen=True, slots=True)
class Label:
    caption: str
    code: str  # 14-digit library code or 13-digit ISBN


def demo_labels(data_dir: Path = DEFAULT_DATA_DIR) -> list[tuple[str, list[Label]]]:
    """The sections of the sheet: member cards, item labels beside their ISBNs, refusal tests."""
    members = _load(data_dir / "members.json")
    items = _load(data_dir / "items.json")
    cards = [Label(f"{m['name']} · {m['status']}", m["cardNumber"]) for m in members]
    books: list[Label] = []
    for item in items:
        books.append(Label(f"{item['title']} · {item['status']}", item["barcode"]))
        books.append(Label(f"ISBN (back cover): {item['title']}", item["isbn"]))
    wrong_check = cards[0].code[:-1] + str((int(cards[0].code[-1]) + 1) % 10)
    other_library = "29999" + cards[0].code[5:13]
    refusals = [Label("must be refused: wrong check digit", wrong_check),
                Label("must be refused: other library", other_library + luhn.calc_check_digit(other_library))]
    return [("Member cards", cards), ("Item labels and their ISBNs", books),
            ("Refusal tests", refusals)]


def render_sheet(sections: list[tuple[str, list[Label]]]) -> str:
    """One A4-wide SVG document, two labels per row, as long as the content needs."""
    ET.register_namespace("", SVG_NS)
    sheet = ET.Element(f"{{{SVG_NS}}}svg", version="1.1")
    y = float(MARGIN_MM)
    for title, labels in sections:
        _text(sheet, MARGIN_MM, y + 7, title, size_pt=14, bold=True)
        y += HEADING_MM
        for index, label in enumerate(labels):
            x = MARGIN_MM + (index % 2) * COLUMN_MM
            row_y = y + (index // 2) * ROW_MM
            _text(sheet, x + 2, row_y + 4, label.caption, size_pt=9)
            symbol = _symbol(label.code)
            symbol.set("x", f"{x}mm")
            symbol.set("y", f"{row_y + 5}mm")
            sheet.append(symbol)
        y += ((len(labels) + 1) // 2) * ROW_MM
    sheet.set("width", f"{PAGE_WIDTH_MM}mm")
    sheet.set("height", f"{y + MARGIN_MM}mm")
    return ET.tostring(sheet, encoding="unicode", xml_declaration=True)


def write_sheet(out: Path, data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Write the sheet of ``data_dir``'s demo data to ``out``; returns the number of labels."""
    sections = demo_labels(data_dir)
    out.write_text(render_sheet(sections), encoding="utf-8")
    return sum(len(labels) for _, labels in sections)


def _symbol(code: str) -> ET.Element:
    writer = SVGWriter()
    writer.with_doctype = False
    if len(code) == 13:
        symbol = barcode.get("ean13", code, writer=writer)
    else:
        symbol = barcode.get("codabar", f"A{code}B", writer=writer)
    return ET.fromstring(symbol.render(WRITER_OPTIONS, text=code))


def _text(parent: ET.Element, x: float, y: float, text: str, size_pt: int, bold: bool = False) -> None:
    style = f"font-family:sans-serif;font-size:{size_pt}pt" + (";font-weight:bold" if bold else "")
    element = ET.SubElement(parent, f"{{{SVG_NS}}}text", x=f"{x}mm", y=f"{y}mm", style=style)
    element.text = text


def _load(path: Path) -> list[dict]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no demo data at {path}; pass --data DIR") from None
