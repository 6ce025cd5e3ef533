"""The SIP2 adapter against the fake ACS over real TCP: reads, commands, refusals in the
library's words, settling in doubt with 17, both families' replays, and hostile peers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk_data.codes import AVAILABLE, BLOCKED, HOLD_READY, KIM, LOST, ON_LOAN, OTHERS_HOLD, OVERDUE, WITHDRAWN_CARD
from kiosk_testing.waiting import wait_until_async
from sync_agent.agent.dispatch import send
from sync_agent.agent.saga import Intents
from sync_agent.central.results import Busy, BusyReason, DoubtReason, InDoubt, NotFound, Ok, Refused
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.store.database import Store
from sync_agent.store.outbox import Kind, Outbox
from sync_agent.wire.rest import BookStatus, Circulation, MemberStatus
from sync_agent.wire.sip2 import Frame
from tests.sip2.conftest import sip2_settings


def _entry(tmp_path: Path, kind: Kind, barcode: str, client: Sip2Client | None = None,
           member: str | None = None, occurred: datetime | None = None) -> Any:
    """A real outbox entry in a store on disk, as the app writes it (a store of its own: an
    intent is not written behind an unsettled entry of its copy)."""
    store = Store.open(tmp_path / f"entries-{uuid.uuid4().hex}.sqlite3")
    outbox = Outbox(store, "kiosk-07")
    when = occurred or datetime.now(UTC)
    if kind is Kind.RETURN:
        entry = outbox.append_return(barcode, when)
    else:
        assert client is not None  # a checkout names the patron by the client's opaque id
        entry = Intents(outbox).begin_rent(client.patron_id(member or KIM), barcode, when, visit="v1",
                                  owner="test", lease_s=30)
    store.close()
    return entry


async def test_member_view_holds_loans_due_dates_fines_and_blocks(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        member = await client.member_by_card(KIM)
        assert isinstance(member, Ok) and member.value.name == "김민지"
        assert member.value.status is MemberStatus.ACTIVE and member.value.loan_limit == 5
        page = await client.mypage(member.value.id)
        assert isinstance(page, Ok)
        assert [r.barcode for r in page.value.reservations] == [HOLD_READY]
        loans = {loan.barcode: loan for loan in page.value.loans}
        assert set(loans) == {ON_LOAN, OVERDUE}
        assert loans[OVERDUE].overdue and not loans[ON_LOAN].overdue
        assert loans[ON_LOAN].title == "The Pragmatic Programmer" and loans[ON_LOAN].due_at is not None
        blocked = await client.member_by_card(BLOCKED)
        assert isinstance(blocked, Ok) and blocked.value.status is MemberStatus.BLOCKED
        assert blocked.value.fines == 12000
        assert isinstance(await client.member_by_card(WITHDRAWN_CARD), NotFound)
    assert server.commands()[:2] == ["93", "99"]  # login, then the ACS status


async def test_items_as_the_acs_sees_them(tmp_path, acs) -> None:
    async with Sip2Client(sip2_settings(tmp_path, acs())) as client:
        state = await client.item_state(OVERDUE)
        assert isinstance(state, Ok) and state.value.circulation is Circulation.ON_LOAN
        assert state.value.title == "소년이 온다" and state.value.due_at is not None
        book = await client.book(AVAILABLE)
        assert isinstance(book, Ok) and book.value.status is BookStatus.AVAILABLE
        held = await client.item_state(OTHERS_HOLD)
        assert isinstance(held, Ok) and held.value.circulation is Circulation.ON_HOLD
        lost = await client.item_state(LOST)
        assert isinstance(lost, Ok) and lost.value.circulation is Circulation.WITHDRAWN
        assert isinstance(await client.item_state("30042999999999"), NotFound)
        health = await client.health()
        assert isinstance(health, Ok) and health.value.status == "ok"


@pytest.mark.parametrize("family", ["koha", "evergreen"])
async def test_checkout_with_renewal_policy_n_and_checkin_with_the_patrons_time(tmp_path, acs,
                                                                              family) -> None:
    server = acs(family)
    dropped = datetime.now(UTC) - timedelta(hours=3)
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        rented = await send(client, _entry(tmp_path, Kind.RENT, HOLD_READY, client))
        assert isinstance(rented, Ok) and rented.value["status"] == "rented" and rented.value["dueAt"]
        checkout = next(f for f in server.received if f.command == "11")
        assert checkout.flag(0) == "N"  # renewal policy N
        again = await send(client, _entry(tmp_path, Kind.RENT, HOLD_READY, client))
        if family == "evergreen":
            assert isinstance(again, Refused)  # Evergreen honours policy N: not renewed
        else:  # Koha renews whatever the policy: the patron has the copy, to its new due date
            assert isinstance(again, Ok) and server.library.items[HOLD_READY].renewals == 1
        returned = await send(client, _entry(tmp_path, Kind.RETURN, OVERDUE, occurred=dropped))
        assert isinstance(returned, Ok) and returned.value["status"] == "returned"
    checkin = next(f for f in server.received if f.command == "09")
    assert checkin.flag(0) == "Y"  # stored offline (three hours ago): no-block
    returned_at = dropped.replace(microsecond=0)
    if family == "evergreen":  # by day only, as Evergreen's backdate
        returned_at = returned_at.astimezone(server.dialect.timezone).replace(hour=0, minute=0, second=0)
    assert server.library.items[OVERDUE].returned_at == returned_at
    assert server.library.applied == {f"checkout:{HOLD_READY}": 1, f"checkin:{OVERDUE}": 1}


async def test_refusals_carry_the_librarys_own_words(tmp_path, acs) -> None:
    async with Sip2Client(sip2_settings(tmp_path, acs())) as client:
        other = await send(client, _entry(tmp_path, Kind.RENT, OTHERS_HOLD, client))
        assert isinstance(other, Refused) and other.code == "reserved_for_other"
        assert "hold for another patron" in other.message
        blocked = await send(client, _entry(tmp_path, Kind.RENT, AVAILABLE, client, member=BLOCKED))
        assert isinstance(blocked, Refused) and blocked.code == "member_blocked"
        lost = await send(client, _entry(tmp_path, Kind.RENT, LOST, client))
        assert isinstance(lost, Refused) and lost.code == "book_withdrawn"
        not_lent = await send(client, _entry(tmp_path, Kind.RETURN, AVAILABLE))
        assert isinstance(not_lent, Refused) and not_lent.code == "not_rented"


@pytest.mark.parametrize("family, checked_in_ok", [("koha", False), ("koha", True), ("evergreen", False)])
async def test_a_lost_checkin_answer_is_settled_by_the_items_state(tmp_path, acs, family,
                                                                   checked_in_ok) -> None:
    server = acs(family, checked_in_ok=checked_in_ok)
    entry = _entry(tmp_path, Kind.RETURN, ON_LOAN)
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        assert isinstance(await client.health(), Ok)
        server.hostile.append("close_mid")  # applied, then the answer is cut
        lost = await send(client, entry)
        assert isinstance(lost, InDoubt) and lost.reason is DoubtReason.CONNECTION_LOST
        again = await send(client, entry)
        assert isinstance(again, Ok) and again.replayed
    assert server.library.applied == {f"checkin:{ON_LOAN}": 1}
    assert server.commands().count("09") == 1  # settled by 17, never sent again


async def test_a_replayed_checkin_is_answered_by_family(tmp_path, acs) -> None:
    """Without the 17 first, what a second checkin answers differs: Koha ok=0, Evergreen ok=1."""
    for family, ok in (("koha", "0"), ("evergreen", "1")):
        server = acs(family)
        async with Sip2Client(sip2_settings(tmp_path, server)) as client:
            await send(client, _entry(tmp_path, Kind.RETURN, ON_LOAN))
            await client.connection.ask(client.connection.sc_status())
            second = await client.connection.ask(Frame("09", "N" + "20261121    143000" * 2, (
                ("AP", "kiosk-07"), ("AO", "0042"), ("AB", ON_LOAN), ("AC", ""))))
            assert isinstance(second, Frame) and second.flag(0) == ok, family


async def test_a_lost_checkout_answer_is_settled_without_a_second_checkout(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        entry = _entry(tmp_path, Kind.RENT, HOLD_READY, client)
        assert isinstance(await client.health(), Ok)
        server.hostile.append("close_mid")
        assert isinstance(await send(client, entry), InDoubt)
        again = await send(client, entry)
        assert isinstance(again, Ok) and again.replayed and again.value["dueAt"]
    assert server.library.applied == {f"checkout:{HOLD_READY}": 1}


async def test_evergreen_drops_an_idle_connection_and_the_client_reconnects(tmp_path, acs) -> None:
    server = acs("evergreen", idle_timeout_s=0.2)
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        assert isinstance(await client.health(), Ok)
        await wait_until_async(lambda: server.connections != 1 or client.connection._reader.at_eof(),
                               what="the idle connection dropped by the ACS")
        state = await client.item_state(ON_LOAN)
        assert isinstance(state, Ok)
    assert server.connections == 2


async def test_evergreen_honours_the_supported_messages(tmp_path, acs) -> None:
    no_checkout = "Y" + "N" + "Y" * 14
    async with Sip2Client(sip2_settings(tmp_path, acs("evergreen", supported=no_checkout))) as client:
        refused = await send(client, _entry(tmp_path, Kind.RENT, HOLD_READY, client))
        assert isinstance(refused, Refused) and "not supported" in refused.message


@pytest.mark.parametrize("behaviour, reason", [
    ("garbage", DoubtReason.MALFORMED),
    ("bad_checksum", DoubtReason.MALFORMED),
    ("half", DoubtReason.TIMEOUT),
    ("silence", DoubtReason.TIMEOUT),
    ("huge", DoubtReason.MALFORMED),
    ("close_mid", DoubtReason.CONNECTION_LOST),
])
async def test_hostile_peers_are_in_doubt_and_the_next_call_works(tmp_path, acs, behaviour, reason) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server, call_timeout_ms=300)) as client:
        assert isinstance(await client.health(), Ok)
        server.hostile.extend([behaviour] * 3)  # a bad checksum is asked for again (97) twice
        answer = await client.item_state(ON_LOAN)
        assert isinstance(answer, InDoubt) and answer.reason is reason
        server.hostile.clear()
        assert isinstance(await client.item_state(ON_LOAN), Ok)


async def test_one_bad_checksum_is_asked_again_and_read(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        assert isinstance(await client.health(), Ok)
        server.hostile.append("bad_checksum")
        assert isinstance(await client.item_state(ON_LOAN), Ok)
    assert "97" in server.commands()


async def test_a_refused_connection_is_busy_and_backs_off(tmp_path, acs) -> None:
    server = acs()
    settings = sip2_settings(tmp_path, server)
    server.stop()
    async with Sip2Client(settings) as client:
        first = await client.item_state(ON_LOAN)
        assert isinstance(first, Busy) and first.reason is BusyReason.UNREACHABLE
        second = await client.connection.ask(client.connection.sc_status())
        assert isinstance(second, Busy) and second.detail == "reconnect backoff"


async def test_a_wrong_password_is_busy_never_in_doubt(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server, sip2_password="wrong")) as client:
        answer = await client.member_by_card(KIM)
        assert isinstance(answer, Busy) and "login refused" in answer.detail
