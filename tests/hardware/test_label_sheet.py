"""The printable label sheet of the demo data."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from hardware.codes import CodeKind, RejectReason, classify
from hardware.labels import SVG_NS, demo_labels
from hardware.sim import main

DATA = Path(__file__).resolve().parents[2] / "data"
NS = {"svg": SVG_NS}


def bar_count(symbol: ET.Element) -> int:
    return sum(1 for rect in symbol.iter(f"{{{SVG_NS}}}rect") if "black" in rect.get("style", ""))


def test_labels_command_writes_every_demo_code_with_the_right_symbology(tmp_path: Path, capsys) -> None:
    out = tmp_path / "labels.svg"
    assert main(["labels", "--out", str(out), "--data", str(DATA)]) == 0
    sheet = ET.parse(out).getroot()
    symbols = {symbol.findall("svg:g/svg:text", NS)[0].text: symbol
               for symbol in sheet.findall("svg:svg", NS)}
    members = json.loads((DATA / "members.json").read_text("utf-8"))
    items = json.loads((DATA / "items.json").read_text("utf-8"))
    for code in [m["cardNumber"] for m in members] + [i["barcode"] for i in items]:
        assert bar_count(symbols[code]) == 16 * 4  # Codabar: A + 14 digits + B, 4 bars each
    for item in items:
        assert bar_count(symbols[item["isbn"]]) == 30  # EAN-13: 12 digits x 2 bars + 3 guards
    captions = [text.text for text in sheet.findall("svg:text", NS)]
    assert members[0]["name"] in captions[1] and "Member cards" in captions
    assert f"{len(symbols)} labels written" in capsys.readouterr().out
    assert sheet.get("width") == "210mm"


def test_refusal_labels_are_refused_for_the_reasons_they_name() -> None:
    *_, (title, refusals) = demo_labels(DATA)
    assert title == "Refusal tests"
    assert [classify(label.code).reason for label in refusals] == [
        RejectReason.WRONG_CHECK_DIGIT, RejectReason.OTHER_INSTITUTION]
    cards, books, _ = demo_labels(DATA)
    assert {classify(label.code).kind for label in cards[1]} == {CodeKind.MEMBER_CARD}
    assert {classify(label.code).kind for label in books[1]} == {CodeKind.ITEM, CodeKind.ISBN}


def test_missing_data_folder_is_a_clear_error(tmp_path: Path, capsys) -> None:
    assert main(["labels", "--out", str(tmp_path / "x.svg"), "--data", str(tmp_path)]) == 1
    assert "no demo data at" in capsys.readouterr().err
