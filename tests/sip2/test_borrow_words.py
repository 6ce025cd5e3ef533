"""What the patron reads of a borrow over SIP2: the title the ACS names (AJ) on screen and on the
receipt, a copy already on the card never checked out again, and a checkout the ACS turned into a
renewal told as a renewal with its new due date."""

from __future__ import annotations

from kiosk_app.receipt import build_receipt
from kiosk_app.screens.member import MemberScreen
from kiosk_data.codes import AVAILABLE, KIM, ON_LOAN
from kiosk_testing.pilot import screen_text
from tests.app.conftest import SIZE, scan_and_settle
from tests.sip2.conftest import sip2_kiosk, sip2_settings
from tests.sip2.scripted_acs import ScriptedAcs, checkout, item_info, patron_info


async def test_a_borrow_from_the_shelf_shows_the_title_the_acs_names(tmp_path, acs) -> None:
    server = acs()
    title = server.library.items[AVAILABLE].title
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM, AVAILABLE)
            [line] = k.app.session.borrows
            assert line.title == title
            assert title in screen_text(k.app) and AVAILABLE not in screen_text(k.app)
            assert any(title in printed for printed in build_receipt(k.app.session, "en").lines)
    finally:
        await k.close()


async def test_a_copy_on_the_patrons_card_is_never_checked_out_again(tmp_path, acs) -> None:
    server = acs()  # Koha's way: a second checkout of the patron's own copy renews it
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM, ON_LOAN)
            assert not k.app.session.borrows
            assert [line.barcode for line in k.app.session.recorded_returns] == [ON_LOAN]
    finally:
        await k.close()
    assert "11" not in server.commands() and server.library.items[ON_LOAN].renewals == 0


async def test_a_checkout_the_acs_answers_as_a_renewal_is_told_as_one(tmp_path) -> None:
    """The patron's page did not list the copy (say, read before a desk checkout), so the kiosk
    asked an 11; the ACS renewed the loan instead (12 with renewal Y)."""
    answers = {"63": lambda request: patron_info(request.get("AA")),
               "11": lambda request: checkout("1", request.get("AB"), request.get("AA"), renewal="Y",
                                              AJ="Already Yours", AH="20261205    235900"),
               "17": lambda request: item_info(request.get("AB"), "04", AJ="Already Yours")}
    async with ScriptedAcs(answers) as acs:
        k = sip2_kiosk(sip2_settings(tmp_path, acs, lang="en"))
        try:
            async with k.app.run_test(size=SIZE) as pilot:
                await scan_and_settle(pilot, KIM, AVAILABLE)
                assert isinstance(k.app.screen, MemberScreen)
                assert not k.app.session.borrows
                [renewed] = k.app.session.renewals
                assert renewed.renewed and renewed.title == "Already Yours"
                text = screen_text(k.app)
                assert "Renewed · now due Dec 5, 2026" in text and "Borrowed" not in text
                receipt = build_receipt(k.app.session, "en").lines
                assert any("Already Yours" in printed for printed in receipt)
                assert not any("Borrowed" in printed for printed in receipt)
        finally:
            await k.close()
