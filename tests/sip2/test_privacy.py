"""Privacy in SIP2 mode: the ACS knows patrons by barcode, the kiosk keeps none in clear. A whole
visit over SIP2 (card, checkout, renewal, return, finish, drain) through the real app, store and
log file: the card number is in none of the raw bytes of the store, its write-ahead log or the
logs, during the visit or after it. And since a stored checkout would need the barcode later, the
kiosk lends nothing offline over SIP2 even where the library allows offline checkout."""

from __future__ import annotations

from kiosk_app import logbook
from kiosk_app.outcomes import BUSY
from kiosk_app.screens.member import MemberScreen
from kiosk_data.codes import AVAILABLE, HOLD_READY, KIM, ON_LOAN
from tests.app.conftest import (
    SIZE,
    Agent,
    scan_and_settle,
    settle,
)
from tests.app.test_privacy import found_in
from tests.sip2.conftest import sip2_kiosk, sip2_settings


async def test_a_sip2_visit_leaves_no_card_number_on_the_disk(tmp_path, acs, root_logger) -> None:
    server = acs()
    settings = sip2_settings(tmp_path, server, lang="en")
    k = sip2_kiosk(settings)
    agent = Agent(settings)
    folder = settings.data_dir
    logbook.install(folder)
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM, HOLD_READY)
            assert [line.barcode for line in k.app.session.borrows] == [HOLD_READY]
            k.app.renew_loans(ON_LOAN)
            await settle(pilot)
            assert k.app.session.renewals[0].renewed
            await scan_and_settle(pilot, ON_LOAN)
            member_id = k.app.session.patron.member.id
            assert KIM not in str(member_id)
            assert found_in(folder, KIM) == [], "no card number during the visit"
            await pilot.click("#done")
            await settle(pilot)
        assert (await agent.relay.drain(15)).delivered >= 1
        assert server.library.items[ON_LOAN].patron == ""
        for handler in root_logger.handlers:
            handler.flush()
        assert found_in(folder, KIM) == []
        assert k.store.rows("SELECT count(*) AS n FROM outbox WHERE member_id = ?", (member_id,))[0]["n"] >= 1
    finally:
        await k.close()
        await agent.close()


async def test_no_offline_checkout_over_sip2(tmp_path, acs) -> None:
    server = acs()
    settings = sip2_settings(tmp_path, server, lang="en", offline_checkout="allow", borrow_wait_s=0.5)
    k = sip2_kiosk(settings)
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            assert isinstance(k.app.screen, MemberScreen)
            server.stop()
            await scan_and_settle(pilot, AVAILABLE)
            assert k.app.session.borrows == []
            assert k.app.screen.refusal is BUSY
        assert k.lending.outbox.counts()["pending"] == 0
    finally:
        await k.close()
