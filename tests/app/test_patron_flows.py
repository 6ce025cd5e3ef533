"""Patron flows against the real stand-in, store and relay: return, member, borrow, reserve,
cancel, refusals, wrong input, receipt."""


import httpx
import pytest
from stdnum import luhn

from hardware.escpos_sim import decode
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen, OfferScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.returns import ReturnRow, ReturnScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import (
    AT_LIMIT,
    AT_LIMIT_LOAN,
    AVAILABLE,
    BLOCKED,
    CHOI,
    HOLD_READY,
    HOLD_READY_ISBN,
    KIM,
    LOST,
    ON_LOAN,
    OTHERS_HOLD,
    OVERDUE,
    PARK,
    WITHDRAWN_CARD,
)
from kiosk_testing.pilot import screen_text
from kiosk_testing.waiting import wait_until_async

from .conftest import SIZE, held_borrows, scan, scan_and_settle, settle


def rentals(central, **params):
    return httpx.get(f"{central.url}/rentals", params=params).json()


def outbox_counts(k):
    return k.lending.outbox.counts()


async def test_welcome_says_what_to_do_and_patrons_cannot_quit(kiosk):
    k = kiosk()
    async with k.app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(k.app)
        assert "빌리기: 회원증을 스캔하세요" in text and "회원증 필요 없음" in text
        await pilot.click("#lang")
        await settle(pilot)
        text = screen_text(k.app)
        assert "Borrow: scan your library card" in text and "no card needed" in text
        assert "한국어" in text
        await pilot.press("ctrl+q")
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert k.app.is_running and isinstance(k.app.screen, WelcomeScreen)


async def test_the_language_button_never_takes_the_focus(kiosk):
    """After a screen change an Enter must not switch the patron's language."""
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        assert isinstance(k.app.screen, ReturnScreen)
        assert k.app.focused is None or k.app.focused.id != "lang"
        await pilot.press("enter")
        await settle(pilot)
        assert k.app.lang == "en" and "Returns" in screen_text(k.app)
        await pilot.click("#lang")
        await settle(pilot)
        assert k.app.lang == "ko", "a touch still switches it"


async def test_a_terminal_too_small_is_told_the_size_it_needs(kiosk):
    """A developer's terminal (no display size set) below the smallest grid, 22x7."""
    k = kiosk(lang="en")
    async with k.app.run_test(size=(21, 7)) as pilot:
        await settle(pilot)
        toasts = [n.message for n in k.app._notifications]
        assert any("the kiosk needs 22×7 (now 21×7)" in text and "22×7 이상이 필요합니다" in text
                   for text in toasts), toasts
        await pilot.resize_terminal(22, 7)
        await settle(pilot)
        assert not list(k.app._notifications), "the words go once it is big enough"


async def test_return_without_card_builds_a_list_then_receipt(kiosk, central, tmp_path, cjk_font):
    printer = tmp_path / "receipts.bin"
    k = kiosk(receipt_printer=printer, lang="en")
    assert await k.relay.refresh_read_model()
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        assert isinstance(k.app.screen, ReturnScreen)
        text = screen_text(k.app)
        assert "The Pragmatic Programmer" in text and "Returned" in text
        await scan_and_settle(pilot, AT_LIMIT_LOAN)
        assert "불편한 편의점" in screen_text(k.app)
        assert [line.barcode for line in k.app.session.returns] == [ON_LOAN, AT_LIMIT_LOAN]
        assert outbox_counts(k)["pending"] == 2, "each return is committed before it is shown"
        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, ReceiptScreen)
        text = screen_text(k.app)
        assert "Returned  The Pragmatic Programmer" in text and k.app.session.id in text
        await pilot.click("#print")
        await settle(pilot)
        assert "Receipt printed." in screen_text(k.app)
        printed = decode(printer.read_bytes())
        assert printed.barcodes == [k.app.session.id] and printed.cuts == 1 and printed.pictures
        await pilot.click("#finish")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.session.is_empty
    drained = await k.relay.drain(10)
    assert drained.delivered == 2
    assert {r["barcode"] for r in rentals(central, status="returned")} >= {ON_LOAN}


async def test_late_return_shows_the_fine_estimate(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)  # caches the member's view, as a visit would
        await pilot.click("#done")
        await settle(pilot)
        await scan_and_settle(pilot, OVERDUE)
        line = k.app.session.returns[0]
        assert line.days_late == 5 and line.fine == 500
        assert "5 days late · estimated fine 500 won" in screen_text(k.app)


async def test_member_screen_shows_reservations_loans_and_overdue(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen)
        text = screen_text(k.app)
        assert "Hello, Kim Min-ji" in text and "김민지" not in text
        assert "채식주의자" in text and "Cancel reservation" in text
        assert "The Pragmatic Programmer" in text and "소년이 온다" in text and "OVERDUE" in text
        assert len(k.app.screen.query(".row.overdue")) == 1


async def test_borrow_reserved_book_shows_due_date(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM, HOLD_READY)
        [line] = k.app.session.borrows
        assert not line.queued and line.title == "채식주의자"
        assert "Borrowed · due" in screen_text(k.app)
    [rental] = rentals(central, memberId=1, status="rented", bookId=1)
    assert rental["kioskNo"] == "kiosk-07"


async def test_one_moment_is_shown_only_while_a_borrow_is_slow(kiosk):
    """A borrow answered at once shows its row without "one moment…" drawn first; one still
    asked after WORKING_SHOWN_AFTER_S says "one moment…" until its answer."""
    k = kiosk(lang="en")
    gate = held_borrows(k)

    def hint() -> str:
        return str(k.app.screen.query_one("#hint").render())

    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        scan(k.app, HOLD_READY)
        await pilot.pause()
        assert k.app.working and hint() == "Scan a book's library label to borrow it.", "not yet slow"
        await wait_until_async(lambda: hint() == "One moment…", 5, "one moment… once the borrow is slow")
        gate.set()
        await settle(pilot)
        assert not k.app.working and hint() == "Scan a book's library label to borrow it."
        assert "Borrowed · due" in screen_text(k.app)


def column_text(app, column_id: str) -> str:
    """What one column of the member screen says, as the patron reads it."""
    column = app.screen.query_one(f"#{column_id}")
    return "\n".join(str(static.render()) for static in column.query("Static"))


async def test_the_loans_column_counts_this_visits_loans(kiosk, central):
    """A patron with no loans borrows: "books on loan" must not still say none."""
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, CHOI)
        assert "None" in column_text(k.app, "loans")
        await scan_and_settle(pilot, AVAILABLE)
        await pilot.click("#accept")
        await settle(pilot)
        [line] = k.app.session.borrows
        loans = column_text(k.app, "loans")
        assert "Clean Code" in loans and "None" not in loans, loans
        assert "just borrowed" in loans.lower(), loans
        k.app.screen.refresh(recompose=True)  # a redraw (a change of language) keeps it there
        await settle(pilot)
        assert "Clean Code" in column_text(k.app, "loans")


async def test_reserve_and_borrow_in_one_step_pays(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, CHOI, AVAILABLE)
        assert isinstance(k.app.screen, OfferScreen)
        assert "Clean Code" in screen_text(k.app)
        await pilot.click("#accept")
        await settle(pilot)
        assert isinstance(k.app.screen, MemberScreen)
        [line] = k.app.session.borrows
        assert line.title == "Clean Code" and not line.queued
    assert rentals(central, memberId=6, status="rented")
    payments = httpx.get(f"{central.url}/payments", params={"memberId": 6}).json()
    assert len(payments) == 1 and payments[0]["status"] == "paid"


async def test_declining_the_offer_changes_nothing(kiosk, central):
    k = kiosk()
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, CHOI, AVAILABLE)
        await pilot.click("#decline")
        await settle(pilot)
        assert isinstance(k.app.screen, MemberScreen) and not k.app.session.borrows
    assert rentals(central, memberId=6) == []


@pytest.mark.parametrize(("card", "item", "why"), [
    (KIM, OTHERS_HOLD, "This book is reserved for another member."),
    (KIM, LOST, "This copy has been withdrawn from the collection."),
    (AT_LIMIT, AVAILABLE, "You have reached your loan limit."),
    (BLOCKED, None, "Your card is blocked because of unpaid fines."),
    (WITHDRAWN_CARD, None, "This card has been withdrawn."),
    ("20042000000990", None, "This card is not registered."),
    (CHOI, ON_LOAN, "This book's return has not been processed yet."),
])
async def test_refusals_say_why_and_what_next(kiosk, central, card, item, why):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, card)
        if item:
            await scan_and_settle(pilot, item)
            if isinstance(k.app.screen, OfferScreen):
                await pilot.click("#accept")
                await settle(pilot)
        assert isinstance(k.app.screen, NoticeScreen), screen_text(k.app)
        text = screen_text(k.app)
        assert why in text
        assert len(text.splitlines()) >= 3, "a next step and an OK button follow the reason"
        assert not k.app.session.borrows
        await pilot.click("#ok")
        await settle(pilot)
        assert not isinstance(k.app.screen, NoticeScreen)
    assert outbox_counts(k)["pending"] == 0


async def test_cancel_reservation_goes_through_the_outbox_and_refunds(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.click("#cancel-1")
        k.app.cancel_reservation(1)   # a second tap before the screen caught up
        await settle(pilot)
        assert [line.barcode for line in k.app.session.cancels] == [HOLD_READY]
        text = screen_text(k.app)
        assert "Cancelled · 1,000 won refund on its way" in text
        assert "Cancel reservation" not in text
    assert outbox_counts(k)["pending"] == 1
    assert (await k.relay.drain(10)).delivered == 1
    assert rentals(central, memberId=1, bookId=1)[0]["status"] == "cancelled"


async def test_wrong_input_gets_a_message_and_writes_nothing(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, HOLD_READY_ISBN)
        text = screen_text(k.app)
        assert "That was the ISBN on the back cover." in text and "starts with 30042" in text
        assert "library label" in text and "ISBN (not this)" in text  # the drawing's captions
        await scan_and_settle(pilot, KIM, PARK)
        assert "Another card is already in use." in screen_text(k.app)
        assert k.app.session.card == KIM
    assert outbox_counts(k)["pending"] == 0  # nothing written


async def test_a_card_scanned_after_returns_opens_the_visit_with_them(kiosk):
    """Return first, then borrow: the most common visit at a self-check. The card opens the
    member's visit (no "tap 완료 first" dead end), the returns stay on it, and a returned loan is
    not listed among the loans."""
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        assert isinstance(k.app.screen, ReturnScreen)
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen), screen_text(k.app)
        assert k.app.session.card == KIM and [line.barcode for line in k.app.session.returns] == [ON_LOAN]
        assert "The Pragmatic Programmer" in column_text(k.app, "visit")
        assert "The Pragmatic Programmer" not in column_text(k.app, "loans")
        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, ReceiptScreen) and "The Pragmatic Programmer" in screen_text(k.app)
    assert outbox_counts(k)["pending"] == 1


async def test_a_long_run_of_returns_shows_the_latest_and_counts_the_rest(offline_kiosk):
    k = offline_kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        codes = [f"30042{n:08d}" + luhn.calc_check_digit(f"30042{n:08d}") for n in range(900, 911)]
        await scan_and_settle(pilot, *codes)
        shown = [row.line.barcode for row in k.app.screen.query(ReturnRow)]
        assert shown == codes[::-1][:8], "newest first, eight at most"
        assert "3 earlier returns are on the receipt." in screen_text(k.app)
        assert len(k.app.session.returns) == 11
