"""The demo library: every barcode valid, every fixture the design asks for present."""

import json
from pathlib import Path

from stdnum import isbn, luhn

DATA = Path(__file__).resolve().parents[2] / "data"


def load(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def test_member_and_item_barcodes_follow_the_library_convention():
    for prefix, rows, key in (("2", load("members"), "cardNumber"), ("3", load("items"), "barcode")):
        for row in rows:
            code = row[key]
            assert len(code) == 14 and code.startswith(prefix + "0042"), code
            assert luhn.is_valid(code), code


def test_isbns_are_valid_and_titles_bilingual():
    items = load("items")
    assert all(isbn.is_valid(item["isbn"]) for item in items)
    assert any(any("\uac00" <= ch <= "\ud7a3" for ch in item["title"]) for item in items)
    assert any(item["title"].isascii() for item in items)


def test_required_fixtures_exist():
    members = {m["id"]: m for m in load("members")}
    items = {i["id"]: i for i in load("items")}
    rentals = load("rentals")
    statuses = {m["status"] for m in members.values()}
    assert {"active", "blocked", "withdrawn"} <= statuses
    assert {"available", "reserved", "rented", "withdrawn"} <= {i["status"] for i in items.values()}
    ready = [r for r in rentals if r["status"] == "reserved"]
    loans = [r for r in rentals if r["status"] == "rented"]
    overdue = [r for r in loans if r["rentedDaysAgo"] > r["loanDays"]]
    assert ready and overdue and len(loans) > len(overdue)
    # a book reserved for someone other than the member with a ready reservation
    assert len({r["memberId"] for r in ready}) >= 2
    for rental in rentals:
        assert rental["memberId"] in members and rental["bookId"] in items
        assert items[rental["bookId"]]["status"] == rental["status"]
