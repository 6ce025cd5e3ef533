"""Answers about another request, and numbers no parser expects, from a scripted ACS over real TCP.

An ACS (or a proxy before it) that answers with another item's or another patron's message must
never make the kiosk say something happened: such an answer is in doubt, and repeats of it become
a dead letter with words for the technician. A number the kiosk reads must never crash it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from stdnum import luhn

from kiosk_app.screens.member import MemberScreen
from kiosk_data.codes import KIM, PARK
from kiosk_testing.pilot import screen_text
from sync_agent.agent.dispatch import send
from sync_agent.agent.relay import Relay
from sync_agent.agent.saga import Intents
from sync_agent.central.results import DoubtReason, InDoubt, Ok, Refused
from sync_agent.central.sip2.answers import doubt, number
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox
from sync_agent.wire.rest import MemberStatus
from sync_agent.wire.sip2 import Frame
from tests.app.conftest import SIZE, scan_and_settle
from tests.sip2.conftest import sip2_kiosk, sip2_settings
from tests.sip2.scripted_acs import (
    SIP_DATE,
    ScriptedAcs,
    checkin,
    checkout,
    item_info,
    patron_info,
    renewal,
)


def label(sequence: int) -> str:
    """An item label of the demo institution with its check digit."""
    body = f"30042{sequence:08d}"
    return body + luhn.calc_check_digit(body)


ITEMS = [label(n) for n in range(101, 106)]
OTHER_ITEM = label(999)


def end_session(request: Frame) -> Frame:
    return Frame("36", "Y" + SIP_DATE, (("AO", "0042"), ("AA", request.get("AA"))))


def rent_entry(tmp_path: Path, client: Sip2Client, barcode: str, *, tried: bool = True) -> Any:
    """A loan intent as the app writes it, tried before (its answer was lost)."""
    store = Store.open(tmp_path / f"entries-{uuid.uuid4().hex}.sqlite3")
    entry = Intents(Outbox(store, "kiosk-07")).begin_rent(client.patron_id(KIM), barcode, datetime.now(UTC),
                                                 visit="v1", owner="test", lease_s=30)
    store.close()
    assert entry is not None
    return replace(entry, attempts=1) if tried else entry


def return_entry(config: Any, barcode: str) -> Any:
    """A return as the app writes it, in the kiosk's store on disk."""
    store = Store.open(config.db_path)
    entry = Outbox(store, config.id).append_return(barcode, datetime.now(UTC))
    store.close()
    return entry


async def test_checkins_answered_about_another_item_are_dead_letters_never_delivered(tmp_path) -> None:
    answers = {"09": lambda request: checkin("1", OTHER_ITEM),
               "17": lambda request: item_info(request.get("AB"), "04")}  # still on loan
    async with ScriptedAcs(answers) as acs:
        config = sip2_settings(tmp_path, acs)
        store = Store.open(config.db_path)
        outbox = Outbox(store, config.id)
        for barcode in ITEMS:
            outbox.append_return(barcode, datetime.now(UTC))
        client = Sip2Client(config, owner="agent")
        try:
            drained = await Relay(store, client, config, role="agent").drain(20)
            dead = outbox.dead_letters()
        finally:
            await client.aclose()
            store.close()
    assert drained.delivered == 0 and drained.dead == len(ITEMS)
    assert {entry.barcode for entry in dead} == set(ITEMS)
    assert all("mismatched" in (entry.last_error or "") and OTHER_ITEM in (entry.last_error or "")
               for entry in dead)


async def test_checkouts_answered_about_another_item_are_never_told_as_borrowed(tmp_path) -> None:
    answers = {"63": lambda request: patron_info(request.get("AA")),
               "11": lambda request: checkout("1", OTHER_ITEM, request.get("AA"), AH=SIP_DATE),
               "17": lambda request: item_info(request.get("AB"), "03"),
               "35": end_session}
    async with ScriptedAcs(answers) as acs:
        k = sip2_kiosk(sip2_settings(tmp_path, acs, lang="en", borrow_wait_s=1.0))
        try:
            async with k.app.run_test(size=SIZE) as pilot:
                await scan_and_settle(pilot, KIM)
                assert isinstance(k.app.screen, MemberScreen)
                told = []
                for barcode in ITEMS[:2]:
                    await scan_and_settle(pilot, barcode)
                    told.append(screen_text(k.app))
                assert not k.app.session.borrows
                assert [doubt.barcode for doubt in k.app.session.doubts] == ITEMS[:2]
                assert not any("Borrowed" in text for text in told)
        finally:
            await k.close()


async def test_an_item_about_another_copy_settles_no_loan_in_doubt(tmp_path) -> None:
    answers = {"17": lambda request: item_info(OTHER_ITEM, "04", AH=SIP_DATE),
               "11": lambda request: checkout("0", request.get("AB"), request.get("AA"))}
    async with ScriptedAcs(answers) as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as client:
            outcomes = [await send(client, rent_entry(tmp_path, client, barcode)) for barcode in ITEMS[:3]]
    assert not any(isinstance(outcome, Ok) for outcome in outcomes)
    assert all(isinstance(o, InDoubt) and o.reason is DoubtReason.MISMATCHED for o in outcomes)
    assert "11" not in acs.commands()  # in doubt: never sent again on an answer about another copy


async def test_a_loan_in_doubt_counts_only_when_charged_to_this_patron(tmp_path) -> None:
    mine: list[str] = []
    answers = {"17": lambda request: item_info(request.get("AB"), "04", AH=SIP_DATE),
               "63": lambda request: patron_info(request.get("AA"), charged=tuple(mine)),
               "11": lambda request: checkout("0", request.get("AB"), request.get("AA"),
                                              AF="Item checked out to another patron")}
    async with ScriptedAcs(answers) as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as client:
            elsewhere = await send(client, rent_entry(tmp_path, client, ITEMS[0]))
            mine.append(ITEMS[1])
            charged = await send(client, rent_entry(tmp_path, client, ITEMS[1]))
    assert not isinstance(elsewhere, Ok)  # charged, but to someone else: not this loan
    assert isinstance(charged, Ok) and charged.replayed and charged.value["dueAt"]
    summaries = [frame.fixed[21:31] for frame in acs.sent("63")]
    assert summaries and all(summary[2] == "Y" for summary in summaries)  # charged items asked


async def test_a_patron_answer_about_another_patron_is_not_this_member(tmp_path) -> None:
    answers = {"63": lambda request: patron_info(PARK, AE="Someone Else")}
    async with ScriptedAcs(answers) as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as client:
            member = await client.member_by_card(KIM)
    assert isinstance(member, InDoubt) and member.reason is DoubtReason.MISMATCHED


async def test_a_renewal_answered_about_another_item_is_not_renewed(tmp_path) -> None:
    answers = {"63": lambda request: patron_info(request.get("AA"), charged=(ITEMS[0],)),
               "29": lambda request: renewal("1", OTHER_ITEM, request.get("AA"), AH=SIP_DATE)}
    async with ScriptedAcs(answers) as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as client:
            member = await client.member_by_card(KIM)
            assert isinstance(member, Ok)
            renewed = await client.renew(member.value.id, ITEMS[0], "key")
    assert isinstance(renewed, InDoubt) and renewed.reason is DoubtReason.MISMATCHED


async def test_numbers_no_parser_expects_never_crash_the_client(tmp_path) -> None:
    answers = {"09": lambda request: checkin("1", request.get("AB"), BV="1e999"),
               "63": lambda request: patron_info(request.get("AA"), BV="nan", CB="1e999", BH="KRW")}
    async with ScriptedAcs(answers) as acs:
        config = sip2_settings(tmp_path, acs)
        entry = return_entry(config, ITEMS[0])
        async with Sip2Client(config) as client:
            returned = await send(client, entry)
            member = await client.member_by_card(KIM)
    assert isinstance(returned, Ok) and returned.value["fine"] == 0
    assert isinstance(member, Ok) and member.value.fines == 0 and member.value.status is MemberStatus.ACTIVE


@pytest.mark.parametrize("text, read", [
    ("12000", 12000), (" 12.50 ", 12), ("-3", -3), ("", 7), ("abc", 7), ("1e999", 7), ("-1e999", 7),
    ("nan", 7), ("inf", 7), ("9" * 400, 7), ("1e13", 7), ("0012", 12),
])
def test_a_number_is_read_bounded_or_is_the_default(text, read) -> None:
    assert number(text, 7) == read


async def test_a_charged_copy_settles_no_loan_for_a_patron_the_agent_cannot_ask_about(tmp_path) -> None:
    """The agent never knows a patron's barcode: a copy charged to someone is not proof that this
    patron's lost checkout was applied, so nothing is undone on it (no checkin of another's loan)."""
    answers = {"17": lambda request: item_info(request.get("AB"), "04", AH=SIP_DATE)}
    async with ScriptedAcs(answers) as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as app_client:
            entry = rent_entry(tmp_path, app_client, ITEMS[0])
        async with Sip2Client(sip2_settings(tmp_path, acs), owner="agent") as agent_client:
            outcome = await send(agent_client, entry)
    assert isinstance(outcome, InDoubt) and outcome.reason is DoubtReason.MISMATCHED
    assert "charged" in outcome.detail and acs.commands().count("17") == 1


async def test_an_unreadable_outcome_is_in_doubt_never_a_no_or_on_the_shelf(tmp_path) -> None:
    answers = {"09": lambda request: checkin("X", request.get("AB")),
               "17": lambda request: item_info(request.get("AB"), "9Z", AJ="A Title")}
    async with ScriptedAcs(answers) as acs:
        config = sip2_settings(tmp_path, acs)
        entry = return_entry(config, ITEMS[0])
        async with Sip2Client(config) as client:
            returned = await send(client, entry)
            state = await client.item_state(ITEMS[1])
    assert isinstance(returned, InDoubt) and returned.reason is DoubtReason.MALFORMED
    assert isinstance(state, InDoubt) and "circulation status" in state.detail


def test_an_answer_about_another_patron_names_no_card_number() -> None:
    request = Frame("63", "", (("AO", "0042"), ("AA", KIM)))
    found = doubt("sip2", request, patron_info(PARK))
    assert found is not None and found.reason is DoubtReason.MISMATCHED
    assert KIM not in found.detail and PARK not in found.detail and "patron" in found.detail


async def test_a_copy_returned_in_the_visit_may_be_borrowed_again(tmp_path) -> None:
    """The charged items a 64 listed are not a standing refusal: once the copy is checked in, a
    checkout of it is sent (and not refused as "already yours" from the remembered list)."""
    answers = {"63": lambda request: patron_info(request.get("AA"), charged=(ITEMS[0],)),
               "09": lambda request: checkin("1", request.get("AB")),
               "11": lambda request: checkout("1", request.get("AB"), request.get("AA"), AH=SIP_DATE),
               "17": lambda request: item_info(request.get("AB"), "03"),
               "35": end_session}
    async with ScriptedAcs(answers) as acs:
        config = sip2_settings(tmp_path, acs)
        client = Sip2Client(config)
        try:
            member = await client.member_by_card(KIM)
            assert isinstance(member, Ok)
            await client.mypage(member.value.id)  # the 64 with the charged items: ITEMS[0] is on the card
            refused = await send(client, rent_entry(tmp_path, client, ITEMS[0], tried=False))
            assert isinstance(refused, Refused) and refused.code == "already_yours", refused
            assert "11" not in acs.commands()
            assert isinstance(await send(client, return_entry(config, ITEMS[0])), Ok)
            lent = await send(client, rent_entry(tmp_path, client, ITEMS[0], tried=False))
        finally:
            await client.aclose()
    assert isinstance(lent, Ok), lent
    assert acs.commands().count("11") == 1
