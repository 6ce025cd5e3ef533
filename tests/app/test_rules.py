"""Plain rules of a visit: fines, scan routing, inactivity and receipts (the words: test_i18n.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from barcode import Code128

from hardware.codes import CodeKind
from kiosk_app.fines import LIBRARY_TZ, days_late, fine_estimate
from kiosk_app.idle import IdleClock, IdleState
from kiosk_app.receipt import build_receipt, code128_bars
from kiosk_app.session import (
    Action,
    BorrowLine,
    CancelLine,
    DoubtLine,
    Patron,
    ReserveLine,
    Returned,
    ReturnLine,
    Session,
    new_session_id,
    technician_card,
)
from kiosk_data.codes import (
    AVAILABLE,
    AVAILABLE_EN,
    AVAILABLE_KO,
    HOLD_READY,
    HOLD_READY_ISBN,
    KIM,
    ON_LOAN,
    OTHERS_HOLD,
    PARK,
)
from sync_agent.wire.rest import Member, MyPage, MyPageEntry

NOW = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)


def seoul(y, m, d, h=12):
    return datetime(y, m, d, h, tzinfo=LIBRARY_TZ)


@pytest.mark.parametrize(("due", "returned", "days"), [
    (seoul(2026, 11, 20, 23), seoul(2026, 11, 20, 23) + timedelta(minutes=30), 0),  # same day
    (seoul(2026, 11, 20, 23), seoul(2026, 11, 21, 0), 1),
    (seoul(2026, 11, 10), seoul(2026, 11, 15, 9), 5),
    (seoul(2026, 11, 25), seoul(2026, 11, 21), 0),
    (None, seoul(2026, 11, 21), 0),
])
def test_fine_counts_seoul_calendar_days(due, returned, days):
    assert days_late(due, returned) == days
    assert fine_estimate(due, returned) == days * 100


def test_technician_card_is_a_valid_member_code():
    from hardware.codes import classify
    code = technician_card("0042")
    assert code == "20042999999996"
    assert classify(code, "0042").kind is CodeKind.MEMBER_CARD


def patron():
    member = Member(id=1, card_number=KIM, name="김민지", status="active", loan_limit=5, fines=0)
    loan = MyPageEntry(rental_id=2, book_id=2, barcode=ON_LOAN, title="The Pragmatic Programmer",
                       status="rented", due_at=NOW)
    page = MyPage(member_id=1, name="김민지", fines=0, reservations=[], loans=[loan], as_of=NOW)
    return Patron(member, page, cached=False)


def test_routing_on_the_welcome_screen():
    s = Session("1", NOW)
    assert s.route(CodeKind.ITEM, HOLD_READY, "0042") is Action.RETURN
    assert s.route(CodeKind.MEMBER_CARD, KIM, "0042") is Action.OPEN_MEMBER
    assert s.route(CodeKind.ISBN, HOLD_READY_ISBN, "0042") is Action.ISBN_HELP
    assert s.route(CodeKind.INVALID, "123", "0042") is Action.INVALID
    assert s.route(CodeKind.MEMBER_CARD, "20042999999996", "0042") is Action.TECHNICIAN


def test_routing_mid_return_and_mid_session():
    s = Session("1", NOW, returns=[ReturnLine(HOLD_READY, "t", 0, 0)])
    assert s.route(CodeKind.MEMBER_CARD, KIM, "0042") is Action.OPEN_MEMBER  # the visit goes on
    assert s.route(CodeKind.ITEM, HOLD_READY, "0042") is Action.RETURN
    s = Session("1", NOW, patron=patron(), card=KIM)
    assert s.route(CodeKind.ITEM, HOLD_READY, "0042") is Action.BORROW
    assert s.route(CodeKind.ITEM, ON_LOAN, "0042") is Action.RETURN  # own loan
    assert s.route(CodeKind.MEMBER_CARD, KIM, "0042") is Action.SAME_MEMBER
    assert s.route(CodeKind.MEMBER_CARD, PARK, "0042") is Action.SECOND_CARD
    s.borrows.append(BorrowLine(HOLD_READY, "t", NOW, queued=False))
    assert s.route(CodeKind.ITEM, HOLD_READY, "0042") is Action.SAME_ITEM, "borrowed a moment ago"


def test_session_ids_are_14_digits():
    sid = new_session_id(NOW)
    assert len(sid) == 14 and sid.isdigit() and sid.startswith("261121143000")


def test_visits_begun_in_the_same_second_never_share_an_id():
    """A visit's id keys what it left in doubt (told at the next visit, not this one): two visits
    within a second, Done and the card again at once, must differ."""
    ids = [new_session_id(NOW) for _ in range(100)]
    assert len(set(ids)) == 100


def test_idle_warns_then_expires_and_touch_resets():
    idle = IdleClock(timeout_s=60, warn_s=15)
    assert idle.tick(44) is IdleState.ACTIVE
    assert idle.tick(1) is IdleState.WARN and idle.remaining_s == 15
    idle.touch()
    assert idle.state is IdleState.ACTIVE
    assert idle.tick(60) is IdleState.EXPIRED and idle.remaining_s == 0
    assert IdleClock(timeout_s=10, warn_s=15).warn_s == 5


def test_code128_bars_encode_the_session_id():
    bars = code128_bars("26112114300042")
    modules = "".join({"█": "11", "▌": "10", "▐": "01", " ": "00"}[c] for c in bars)
    assert Code128("26112114300042", writer=None).build()[0] in modules
    assert set(bars) <= set("█▌▐ ")


def test_receipt_lists_the_visit_in_the_patron_language(tmp_path):
    s = Session("26112114300042", NOW,
                returns=[ReturnLine(HOLD_READY, "채식주의자", 5, 500, Returned.SAVED),
                         ReturnLine(HOLD_READY, "채식주의자", 0, 0, Returned.ALREADY),
                         ReturnLine(OTHERS_HOLD, "Sapiens", 0, 0, Returned.ON_HOLD)],
                borrows=[BorrowLine(AVAILABLE, "Clean Code", NOW + timedelta(days=14), False)],
                reservations=[ReserveLine(AVAILABLE, "Clean Code", 1000, None)],
                cancels=[CancelLine(AVAILABLE_KO, "아몬드", 1000)],
                doubts=[DoubtLine("rent", AVAILABLE_EN, "Dune")])
    ko = build_receipt(s, "ko", LIBRARY_TZ)
    en = build_receipt(s, "en", LIBRARY_TZ)
    assert "반납  채식주의자" in ko.lines and "Returned  채식주의자" in en.lines
    assert sum("채식주의자" in line for line in en.lines) == 1, "a re-scan is not printed twice"
    assert not any("Sapiens" in line for line in en.lines), "a book not returned is not on it"
    assert "Reserved  Clean Code" in en.lines and "    fee 1,000 won paid" in en.lines
    assert "    1,000 won to be refunded" in en.lines and "Refunds due in total: 1,000 won" in en.lines
    assert "Fees paid in total: 1,000 won" in en.lines
    assert "Not confirmed (does not count)  Dune" in en.lines
    assert any("2026년 12월 5일" in line for line in ko.lines)
    assert any("Dec 5, 2026" in line for line in en.lines)
    assert "Estimated fines in total: 500 won" in en.lines
    assert ko.barcode_rows(100) and not ko.barcode_rows(20)
    assert en.lines[-1] == f"Visit no. {s.id}"
    headed = build_receipt(s, "en", LIBRARY_TZ, "Hanbit Library")
    assert headed.lines[:3] == ("Hanbit Library", "Receipt", "Nov 21, 2026, 23:30"), "name, date and time"


def test_empty_visit_says_so():
    assert "Nothing was borrowed or returned." in build_receipt(Session("1", NOW), "en").lines
