"""Snapshots of every screen and every refusal, in Korean and English, at 100x32.

Deterministic by construction: a fixed clock and visit number, no central server (the state is set
directly), the online indicator set by hand, no timers. Update with ``--snapshot-update`` and look
at the SVGs under ``__snapshots__`` before committing them.
"""

from datetime import timedelta

import pytest

from hardware.display import OutputScale
from hardware.escpos_sim import VirtualPrinter
from kiosk_app.card_blocks import reasons
from kiosk_app.notices import SAVE_FAILED, STORE_OUT_OF_ORDER, WRONG_INPUT
from kiosk_app.outcomes import (
    BOOK_UNKNOWN,
    BUSY,
    MEMBER_UNKNOWN,
    OUT_OF_SERVICE,
    PAYMENT_BUSY,
    RENT_UNCONFIRMED,
    RESERVE_UNCONFIRMED,
    Offer,
    Refusal,
)
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import OfferScreen, StillHereScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.screens.technician import TechScreen
from kiosk_app.session import (
    Action,
    Became,
    BorrowLine,
    CancelLine,
    DoubtLine,
    Earlier,
    Patron,
    RenewLine,
    ReserveLine,
    Returned,
    ReturnLine,
)
from kiosk_data.codes import (
    AT_LIMIT_LOAN,
    AT_LIMIT_OTHER_LOAN,
    AVAILABLE,
    AVAILABLE_EN,
    AVAILABLE_KO,
    BLOCKED,
    HOLD_READY,
    HOLD_READY_ISBN,
    KIM,
    ON_LOAN,
    OTHERS_HOLD,
    OVERDUE,
)
from kiosk_testing.display_grids import DISPLAY_GRIDS, size_setting
from sync_agent.wire.rest import Book, Member, MyPage, MyPageEntry

from .conftest import FIXED_NOW, SIZE

LANGS = ["ko", "en"]
DAY = timedelta(days=1)

REFUSALS = {code: Refusal.for_code(code) for code in (
    "reserved_for_other", "limit_reached", "member_blocked", "member_withdrawn", "book_withdrawn",
    "return_pending", "book_unavailable", "payment_declined", "invalid_state")}
REFUSALS |= {"member_unknown": MEMBER_UNKNOWN, "book_unknown": BOOK_UNKNOWN, "busy": BUSY,
             "save_failed": SAVE_FAILED,
             "offline_limit": Refusal("why_offline_limit", "next_offline_limit", {"max": 3}),
             "member_offline": Refusal("why_member_offline", "next_member_offline"),
             "lending_out_of_service": OUT_OF_SERVICE,
             "payment_busy": PAYMENT_BUSY, "rent_unconfirmed": RENT_UNCONFIRMED,
             "reserve_unconfirmed": RESERVE_UNCONFIRMED,
             "reserved_kept": Refusal("why_busy", "next_reserved_kept", {"fee": "1,000"}),
             "library_says": Refusal.for_code("member_blocked",
                                              "[b]Fines[/b] over 10,000 won: see the [red]desk")}
STOPPED_CARD = Member(id=3, card_number=BLOCKED, name="-", status="blocked", loan_limit=5,
                      fines=12000, said="Card reported lost",
                      blocks=["charge_denied", "card_lost", "too_many_overdue", "excessive_fines"])
REFUSALS["card_cannot_borrow"] = Refusal("why_card_cannot_borrow", "next_card_cannot_borrow",
                                         said=STOPPED_CARD.said, reasons=reasons(STOPPED_CARD))
REFUSALS |= {action.value: refusal for action, refusal in WRONG_INPUT.items()}
REFUSALS |= {f"store_{reason}": refusal for reason, refusal in STORE_OUT_OF_ORDER.items()}
assert isinstance(Action.INVALID.value, str)


def patron(cached=False):
    member = Member(id=1, card_number=KIM, name="김민지", status="active", loan_limit=5,
                    fines=1500, email="minji.kim@example.org")
    page = MyPage(member_id=1, name="김민지", fines=1500, as_of=FIXED_NOW - timedelta(hours=3), reservations=[
        MyPageEntry(rental_id=1, book_id=1, barcode=HOLD_READY, title="채식주의자",
                    status="reserved", hold_until=FIXED_NOW + 2 * DAY),
    ], loans=[
        MyPageEntry(rental_id=2, book_id=2, barcode=ON_LOAN, title="The Pragmatic Programmer",
                    status="rented", due_at=FIXED_NOW + 7 * DAY),
        MyPageEntry(rental_id=3, book_id=3, barcode=OVERDUE, title="소년이 온다",
                    status="rented", due_at=FIXED_NOW - 5 * DAY, overdue=True),
    ])
    return Patron(member, page, cached=cached, pending=frozenset({ON_LOAN}) if cached else frozenset())


def visit(app, *, member=False, cached=False):
    session = app.session
    if member:
        session.card, session.patron = KIM, patron(cached)
        session.borrows.append(BorrowLine(HOLD_READY, "채식주의자", FIXED_NOW + 14 * DAY, queued=cached))
    outcome = Returned.SAVED if cached else Returned.RETURNED
    session.returns.append(ReturnLine(OVERDUE, "소년이 온다", 5, 500, outcome))
    session.returns.append(ReturnLine(AT_LIMIT_OTHER_LOAN, "Dune", 0, 0, outcome))


@pytest.fixture
def app_in(offline_kiosk):
    def build(lang, **overrides):
        app = offline_kiosk(lang=lang, **overrides).app
        app.set_reactive(type(app).online, True)
        return app
    return build


def snapshot(snap_compare, app, before, size=SIZE):
    async def run_before(pilot):
        await pilot.pause()
        await before(pilot.app)
        await pilot.pause()
        await pilot.app.drain()
        await pilot.pause()
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def _nothing(app):
    return None


@pytest.mark.parametrize("lang", LANGS)
def test_welcome(snap_compare, app_in, lang):
    snapshot(snap_compare, app_in(lang), _nothing)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("view", ["high-contrast", "low"])
@pytest.mark.parametrize("member", [False, True], ids=["welcome", "member"])
def test_seen_otherwise(snap_compare, app_in, lang, view, member):
    """The library's high-contrast theme; low position (F10): the top bar at the foot, every
    control in the lower half."""
    async def before(app):
        app.low = view == "low"
        if member:
            visit(app, member=True)
            await app.show_base(MemberScreen)
    snapshot(snap_compare, app_in(lang, theme="high-contrast" if view == "high-contrast" else "standard"), before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("member", [False, True], ids=["welcome", "member"])
def test_enlarged(snap_compare, app_in, lang, member):
    """Everything at 200 % on a 21.5-inch 1920x1080 panel: the grid the display's scale of 2 leaves
    (measured on the real stack), with the app told the display's size as ``kiosk screen`` does."""
    display = DISPLAY_GRIDS[0]

    async def before(app):
        app.set_reactive(type(app).enlarged, True)
        if member:
            visit(app, member=True)
            await app.show_base(MemberScreen)
    snapshot(snap_compare, app_in(lang, display_size_mm=size_setting(display)), before, display.grid_200)


@pytest.mark.parametrize("lang", LANGS)
def test_view_chooser_with_enlargement(snap_compare, offline_kiosk, lang):
    """The view as the kiosk's own display stack offers it: enlargement first, focused for OK."""
    app = offline_kiosk({"scale": OutputScale()}, lang=lang).app
    app.set_reactive(type(app).online, True)

    async def before(app):
        app.action_choose_view()
    snapshot(snap_compare, app, before)


@pytest.mark.parametrize("lang", LANGS)
def test_welcome_offline(snap_compare, app_in, lang):
    async def before(app):
        app.online = False
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_returns(snap_compare, app_in, lang, offline):
    async def before(app):
        app.online = not offline
        visit(app, cached=offline)
        await app.show_base(ReturnScreen)
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_returns_that_add_nothing(snap_compare, app_in, lang):
    """Only a return the central side confirmed is "returned ✓"; the rest say what to do."""
    async def before(app):
        returns = app.session.returns
        returns.append(ReturnLine(AT_LIMIT_LOAN, "불편한 편의점", 0, 0, Returned.UNCHECKED))
        returns.append(ReturnLine(AVAILABLE, "Clean Code", 0, 0, Returned.NOT_ON_LOAN))
        returns.append(ReturnLine(OTHERS_HOLD, "Sapiens", 0, 0, Returned.ON_HOLD))
        returns.append(ReturnLine(AT_LIMIT_LOAN, "불편한 편의점", 0, 0, Returned.ALREADY))
        await app.show_base(ReturnScreen)
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("cached", [False, True], ids=["central", "cached"])
def test_member(snap_compare, app_in, lang, cached):
    async def before(app):
        app.online = not cached
        visit(app, member=True, cached=cached)
        app.session.cancels.append(CancelLine(AVAILABLE_KO, "아몬드", 1000))
        await app.show_base(MemberScreen)
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_member_with_earlier_visits_and_unconfirmed(snap_compare, app_in, lang):
    """What became of an earlier visit's unconfirmed reservation and loan, and this visit's
    reservation (fee paid) and loan that could not be confirmed."""
    async def before(app):
        visit(app, member=True)
        session = app.session
        session.patron.earlier = [
            Earlier("reserve", AVAILABLE, "Clean Code", FIXED_NOW - 2 * DAY, Became.UNDONE, 1000),
            Earlier("rent", AT_LIMIT_OTHER_LOAN, "Dune", FIXED_NOW - DAY, Became.NOT_MADE)]
        session.reservations.append(ReserveLine(AVAILABLE_EN, "아몬드", 1000, FIXED_NOW + 3 * DAY))
        session.doubts.append(DoubtLine("rent", AVAILABLE_EN, "아몬드"))
        await app.show_base(MemberScreen)
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_member_renewals(snap_compare, app_in, lang):
    """Each loan with "renew", one "renew all", and a renewal of each outcome in this visit."""
    async def before(app):
        session = app.session
        session.card, session.patron = KIM, patron()
        session.renewals += [
            RenewLine(ON_LOAN, "The Pragmatic Programmer", True, FIXED_NOW + 21 * DAY),
            RenewLine(OVERDUE, "소년이 온다", False, why="renew_no_overdue"),
            *(RenewLine(AT_LIMIT_OTHER_LOAN, "Dune", False, why=why) for why in (
                "renew_no_limit", "renew_no_reserved", "renew_no_blocked", "renew_busy",
                "renew_unconfirmed"))]
        await app.show_base(MemberScreen)
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_member_whose_card_may_not_renew(snap_compare, app_in, lang):
    """The library's words about the card under the greeting, an amount owed in its own currency,
    and a renewal refused with the reasons the library gave."""
    async def before(app):
        session = app.session
        session.card, session.patron = KIM, patron()
        member = session.patron.member.model_copy(update={
            "blocks": ["renewal_denied", "too_many_renewals", "recall_overdue"],
            "said": "Renewals are stopped on this card", "fines_written": "3.50 USD"})
        session.patron.member = member
        session.renewals.append(RenewLine(ON_LOAN, "The Pragmatic Programmer", False,
                                          why="renew_no_denied", said=member.said,
                                          reasons=reasons(member)))
        await app.show_base(MemberScreen)
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_reserve_offer(snap_compare, app_in, lang):
    async def before(app):
        visit(app, member=True)
        await app.show_base(MemberScreen)
        await app.push_screen(OfferScreen(Offer(Book(
            id=4, barcode=AVAILABLE, isbn="9780132350884", title="Clean Code",
            author="Robert C. Martin", status="available", updated_at=FIXED_NOW), 1000)))
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_still_here(snap_compare, app_in, lang):
    async def before(app):
        visit(app)
        await app.show_base(ReturnScreen)
        app.idle.tick(50)
        await app.push_screen(StillHereScreen())
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_receipt(snap_compare, app_in, lang, tmp_path):
    async def before(app):
        visit(app, member=True)
        app.session.cancels.append(CancelLine(AVAILABLE_KO, "아몬드", 1000))
        app.session.reservations.append(ReserveLine(AVAILABLE, "Clean Code", 1000, None))
        app.session.doubts.append(DoubtLine("rent", AVAILABLE_EN, "아몬드"))
        await app.receipts.check_printer()
        await app.show_base(ReceiptScreen)
    snapshot(snap_compare, app_in(lang, receipt_printer=tmp_path / "printer", smtp_host="127.0.0.1"), before)


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_printer_out_of_paper(snap_compare, app_in, lang):
    async def before(app):
        visit(app, member=True)
        await app.receipts.check_printer()
        await app.show_base(ReceiptScreen)
    with VirtualPrinter() as printer:
        printer.state = "paper_out"
        snapshot(snap_compare, app_in(lang, receipt_printer=printer.path, smtp_host="127.0.0.1"), before)


@pytest.mark.parametrize("lang", LANGS)
def test_isbn_help(snap_compare, app_in, lang):
    async def before(app):
        await app.handle_scan(*_isbn())
    snapshot(snap_compare, app_in(lang), before)


def _isbn():
    from hardware.codes import CodeKind
    return CodeKind.ISBN, HOLD_READY_ISBN


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusal(snap_compare, app_in, lang, name):
    async def before(app):
        await app.show_notice(REFUSALS[name])
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_pin_pad(snap_compare, app_in, lang):
    async def before(app):
        await app.open_pin_pad()
    snapshot(snap_compare, app_in(lang), before)


@pytest.mark.parametrize("lang", LANGS)
def test_technician(snap_compare, app_in, lang):
    """The devices tab with its detail lines: a scanner that lost its cable, a rejected read."""
    from hardware.status import DeviceState, DeviceStatus

    async def before(app):
        await app.push_screen(TechScreen())
        app.screen.device_changed(DeviceStatus(
            "scanner", "/dev/kiosk-scanner", DeviceState.RECONNECTING, reason="device disconnected",
            good=12, rejected=2, rejected_by_reason={"wrong check digit": 1, "other institution": 1}))
    snapshot(snap_compare, app_in(lang), before)


def test_out_of_service(snap_compare):
    """Shown at start when the store cannot be opened: both languages at once, no toggle."""
    from pathlib import Path

    from kiosk_app.out_of_service import OutOfServiceApp
    from sync_agent.store.database import StoreError

    app = OutOfServiceApp(Path("/var/lib/kiosk/kiosk.sqlite3"), StoreError("corrupt", "file is not a database"),
                          retry_s=3600)
    assert snap_compare(app, terminal_size=SIZE)
