"""Renew all over SIP2 as one 65/66, over the real socket: 66 lists the renewed (BM) and the
unrenewed (BN) items but not why, so the adapter learns a true reason per unrenewed item where
one can be learnt (17: a hold queue, a due date past; the last 64: a blocked card) and otherwise
says honestly that it was not renewed; the patron still reads one outcome per loan, in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk_data.codes import AVAILABLE, HOLD_READY, KIM, ON_LOAN, OVERDUE, PARK
from kiosk_testing.pilot import screen_text
from sync_agent.central.results import Busy, InDoubt, Ok, Refused
from sync_agent.central.sip2.client import Sip2Client
from tests.app.conftest import (
    SIZE,
    scan_and_settle,
    settle,
)
from tests.sip2.conftest import opened_patron, sip2_kiosk, sip2_settings

LOANS = (AVAILABLE, ON_LOAN, OVERDUE, HOLD_READY)


def _mixed_loans(server) -> None:
    """CARD's loans: one renewable, one with a hold queue, one overdue, one at the renewal limit."""
    now = datetime.now(UTC)
    for barcode in (AVAILABLE, HOLD_READY):
        item = server.library.items[barcode]
        item.status, item.patron, item.hold_for, item.due = "04", KIM, "", now + timedelta(days=3)
    server.library.items[ON_LOAN].hold_for = PARK
    server.library.items[HOLD_READY].renewals = 2


def _keys() -> dict[str, str]:
    return {barcode: f"k:{barcode}" for barcode in LOANS}


async def test_one_65_and_a_true_reason_for_each_unrenewed_item(tmp_path, acs) -> None:
    server = acs()
    _mixed_loans(server)
    due_before = server.library.items[AVAILABLE].due
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        outcome = await client.renew_all(member_id, _keys())
    renewed = outcome[AVAILABLE]
    assert isinstance(renewed, Ok)
    assert renewed.value.due_at == server.library.items[AVAILABLE].due.replace(microsecond=0)
    assert renewed.value.due_at > due_before
    codes = {barcode: result.code for barcode, result in outcome.items() if isinstance(result, Refused)}
    assert codes == {ON_LOAN: "reserved_for_other", OVERDUE: "overdue", HOLD_READY: "refused"}
    assert "did not say why" in outcome[HOLD_READY].message
    commands = server.commands()
    assert commands.count("65") == 1 and "29" not in commands
    assert server.library.items[AVAILABLE].renewals == 1 and server.library.items[ON_LOAN].renewals == 0


async def test_a_card_blocked_at_the_last_64_is_the_reason_for_every_item(tmp_path, acs) -> None:
    server = acs()
    server.library.patrons[KIM].blocked = True
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        outcome = await client.renew_all(member_id, {ON_LOAN: "a", OVERDUE: "b"})
    assert {b: r.code for b, r in outcome.items() if isinstance(r, Refused)} == {
        ON_LOAN: "renewal_denied", OVERDUE: "renewal_denied"}


async def test_an_acs_without_renew_all_in_its_bx_gets_one_29_per_loan(tmp_path, acs) -> None:
    server = acs("evergreen", supported="Y" * 15 + "N")
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        outcome = await client.renew_all(member_id, {ON_LOAN: "a", OVERDUE: "b"})
    assert isinstance(outcome[ON_LOAN], Ok)
    assert isinstance(outcome[OVERDUE], Refused) and outcome[OVERDUE].code == "overdue"
    assert server.commands().count("29") == 2 and "65" not in server.commands()


async def test_no_answer_to_65_is_every_loans_outcome(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member_id = await opened_patron(client, KIM)
        server.stop()
        outcome = await client.renew_all(member_id, {ON_LOAN: "a", OVERDUE: "b"})
    assert set(outcome) == {ON_LOAN, OVERDUE}
    [answer] = set(outcome.values())  # the one 65's fate, for every loan
    assert isinstance(answer, Busy | InDoubt)


async def test_renew_all_on_screen_says_per_loan_what_became_of_it(tmp_path, acs) -> None:
    server = acs()
    _mixed_loans(server)
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            k.app.renew_loans(None)
            await settle(pilot)
            outcome = {line.barcode: (line.renewed, line.why) for line in k.app.session.renewals}
            assert outcome == {AVAILABLE: (True, ""), ON_LOAN: (False, "renew_no_reserved"),
                               OVERDUE: (False, "renew_no_overdue"),
                               HOLD_READY: (False, "renew_no_other")}
            text = screen_text(k.app)
            assert "Renewed · now due" in text
            assert "another member has reserved this book" in text
            assert "an overdue book cannot be renewed" in text
            assert "Not renewed. Please ask at the desk." in text
        assert server.commands().count("65") == 1 and "29" not in server.commands()
    finally:
        await k.close()
