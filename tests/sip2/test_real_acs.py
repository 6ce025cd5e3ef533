"""The kiosk against a real ACS: the Evergreen SIPServer peer in every run, or the library's own.

The fake ACS agrees with the kiosk because we wrote both; these tests put the kiosk's real SIP2
adapter (and, where the patron sees the outcome, the real app through Pilot) in front of an ACS
nobody on the team wrote. By default that is the Evergreen SIPServer peer, started once per session
with the records of ``evergreen_fixtures.json`` (:mod:`tests.sip2.evergreen_peer`); each test uses
its own patrons and items. ``KIOSK_TEST_SIP2=host:port`` points the suite at another ACS instead
(docs/operations.md), each test then needing its records as ``KIOSK_TEST_SIP2_<ROLE>``.

"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from kiosk_app.screens.member import MemberScreen
from kiosk_testing.pilot import screen_text
from sync_agent.agent.dispatch import send
from sync_agent.agent.saga import Intents
from sync_agent.central.results import Ok, Refused
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox
from sync_agent.store.status import kiosk_state
from sync_agent.wire.rest import Circulation, Member, MemberStatus
from sync_agent.wire.sip2 import Frame
from tests.app.conftest import SIZE, Agent, scan_and_settle
from tests.sip2.conftest import sip2_kiosk
from tests.sip2.evergreen_peer import AcsTarget

PATRON_STATUS = "patron-status semantics (issue 19): "


class Adapter:
    """A kiosk's SIP2 adapter (the test's own, or the app's) and every frame it sent and got back:
    what went on the wire is part of what a test checks (no 11 for a copy already lent, a 35)."""

    def __init__(self, client: Sip2Client, outbox: Outbox) -> None:
        self.client = client
        self.outbox = outbox
        self.exchanges: list[tuple[Frame, object]] = []
        ask = client.connection.ask

        async def recorded(frame: Frame) -> object:
            answer = await ask(frame)
            self.exchanges.append((frame, answer))
            return answer

        client.connection.ask = recorded  # type: ignore[method-assign]  # its own ask wrapped: every exchange recorded

    def sent(self) -> list[str]:
        return [frame.command for frame, _ in self.exchanges]

    async def member(self, card: str) -> Member:
        """The patron as the kiosk reads the 64 (the barcode is then known for 11, 29, 65, 35)."""
        found = await self.client.member_by_card(card)
        assert isinstance(found, Ok), found
        return found.value

    async def borrow(self, member_id: int, barcode: str) -> object:
        rent = Intents(self.outbox).begin_rent(member_id, barcode, datetime.now(UTC), visit="test", owner="test",
                                      lease_s=30)
        assert rent is not None
        return await send(self.client, rent)

    async def give_back(self, barcode: str) -> object:
        return await send(self.client, self.outbox.append_return(barcode, datetime.now(UTC)))

    async def circulation(self, barcode: str) -> tuple[Circulation, datetime | None]:
        """The ACS's own word on the copy (17/18): charged or not, and until when."""
        state = await self.client.item_state(barcode)
        assert isinstance(state, Ok), state
        return state.value.circulation, state.value.due_at


@asynccontextmanager
async def adapter(target: AcsTarget, data_dir: Path, **overrides: object) -> AsyncIterator[Adapter]:
    settings = target.settings(data_dir, **overrides)
    store = Store.open(settings.db_path)
    try:
        async with Sip2Client(settings) as client:
            yield Adapter(client, Outbox(store, settings.id))
    finally:
        store.close()


async def test_a_real_acs_lends_and_takes_back(real_acs: AcsTarget, tmp_path) -> None:
    patron, item = real_acs.need("patron"), real_acs.need("item")
    async with adapter(real_acs, tmp_path) as acs:
        assert isinstance(await acs.client.health(), Ok)
        member = await acs.member(patron)
        assert member.status is MemberStatus.ACTIVE, member
        assert isinstance(await acs.client.mypage(member.id), Ok)
        assert (await acs.circulation(item))[0] is Circulation.ON_SHELF
        lent = await acs.borrow(member.id, item)
        assert isinstance(lent, Ok) and lent.value["dueAt"], lent
        assert (await acs.circulation(item))[0] is Circulation.ON_LOAN
        back = await acs.give_back(item)
        assert isinstance(back, Ok), back
        assert (await acs.circulation(item))[0] is not Circulation.ON_LOAN


async def test_return_borrow_renew_renew_all_and_end_of_session(real_acs: AcsTarget, tmp_path) -> None:
    patron = real_acs.need("patron_circulating")
    to_return, to_renew = real_acs.need("item_to_return"), real_acs.need("item_to_renew")
    held, to_borrow = real_acs.need("item_held_for_another"), real_acs.need("item_to_borrow")
    async with adapter(real_acs, tmp_path) as acs:
        member = await acs.member(patron)
        assert member.active_loans == 3, member
        page = await acs.client.mypage(member.id)
        assert isinstance(page, Ok)
        assert {loan.barcode for loan in page.value.loans} == {to_return, to_renew, held}
        assert isinstance(await acs.give_back(to_return), Ok)
        assert (await acs.circulation(to_return))[0] is Circulation.ON_SHELF
        lent = await acs.borrow(member.id, to_borrow)
        assert isinstance(lent, Ok), lent
        assert (await acs.circulation(to_borrow))[0] is Circulation.ON_LOAN
        _, due_before = await acs.circulation(to_renew)
        renewed = await acs.client.renew(member.id, to_renew, "renew-1")
        assert isinstance(renewed, Ok) and renewed.value.due_at is not None, renewed
        assert due_before is not None and renewed.value.due_at > due_before
        assert (await acs.circulation(to_renew))[1] == renewed.value.due_at
        keys = {to_renew: "all-1", held: "all-2", to_borrow: "all-3"}
        outcome = await acs.client.renew_all(member.id, keys)
        assert isinstance(outcome[to_renew], Ok) and isinstance(outcome[to_borrow], Ok), outcome
        assert isinstance(outcome[held], Refused) and outcome[held].code == "reserved_for_other"
        assert acs.sent().count("65") == 1
        ended = await acs.client.end_patron_session(member.id)
        assert isinstance(ended, Ok)
        frame, answer = acs.exchanges[-1]
        assert frame.command == "35" and isinstance(answer, Frame) and answer.flag(0) == "Y", answer
        assert not isinstance(await acs.client.mypage(member.id), Ok)  # the barcode is forgotten


async def test_a_checkin_of_an_item_not_on_loan_is_refused(real_acs: AcsTarget, tmp_path) -> None:
    item = real_acs.need("item_not_on_loan")
    async with adapter(real_acs, tmp_path) as acs:
        assert (await acs.circulation(item))[0] is Circulation.ON_SHELF
        back = await acs.give_back(item)
        assert isinstance(back, Refused), back  # never "delivered", never sent again blindly
        assert (await acs.circulation(item))[0] is Circulation.ON_SHELF


async def test_a_patron_denied_recall_and_holds_borrows(real_acs: AcsTarget, tmp_path) -> None:
    patron, item = real_acs.need("patron_recall_hold_denied"), real_acs.need("item_for_recall_hold_denied")
    settings = real_acs.settings(tmp_path / "kiosk")
    k = sip2_kiosk(settings)
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, patron)
            assert isinstance(k.app.screen, MemberScreen), screen_text(k.app)
            assert "blocked" not in screen_text(k.app).lower(), screen_text(k.app)
            await scan_and_settle(pilot, item)
            assert [line.barcode for line in k.app.session.borrows] == [item], screen_text(k.app)
            assert "Borrowed · due" in screen_text(k.app)
    finally:
        await k.close()
    async with adapter(real_acs, tmp_path / "check") as acs:
        assert (await acs.circulation(item))[0] is Circulation.ON_LOAN


async def test_a_copy_already_on_the_card_scanned_is_never_borrowed(real_acs: AcsTarget, tmp_path) -> None:
    patron, item = real_acs.need("patron_with_item_on_card"), real_acs.need("item_on_card")
    k = sip2_kiosk(real_acs.settings(tmp_path / "kiosk"))
    sent = Adapter(k.client, k.lending.outbox)
    try:
        async with adapter(real_acs, tmp_path / "check") as acs:
            _, due_before = await acs.circulation(item)
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, patron)
            assert isinstance(k.app.screen, MemberScreen), screen_text(k.app)
            await scan_and_settle(pilot, item)
            assert not k.app.session.borrows and "Borrowed" not in screen_text(k.app), screen_text(k.app)
    finally:
        await k.close()
    assert "63" in sent.sent() and "11" not in sent.sent()
    async with adapter(real_acs, tmp_path / "check") as acs:
        state, due = await acs.circulation(item)  # still lent as before (or given back): no 11 renewed it
        assert state is Circulation.ON_SHELF or due == due_before, (state, due, due_before)


async def test_the_adapter_never_checks_out_a_copy_already_on_the_card(real_acs: AcsTarget, tmp_path) -> None:
    patron, item = real_acs.need("patron_with_item_already_lent"), real_acs.need("item_already_lent")
    async with adapter(real_acs, tmp_path) as acs:
        member = await acs.member(patron)
        page = await acs.client.mypage(member.id)  # the 64 lists the copy among the loans
        assert isinstance(page, Ok) and [loan.barcode for loan in page.value.loans] == [item], page
        before = await acs.circulation(item)
        lent = await acs.borrow(member.id, item)
        assert await acs.circulation(item) == before, lent
        assert "11" not in acs.sent(), lent
        assert isinstance(lent, Refused) and lent.code == "already_yours", lent


async def test_a_patron_denied_charge_privileges_cannot_borrow(real_acs: AcsTarget, tmp_path) -> None:
    patron, item = real_acs.need("patron_charge_denied"), real_acs.need("item_for_charge_denied")
    async with adapter(real_acs, tmp_path) as acs:
        member = await acs.member(patron)
        assert member.status is MemberStatus.BLOCKED, member
        lent = await acs.borrow(member.id, item)
        assert isinstance(lent, Refused) and lent.code == "card_blocked", lent  # "Patron Blocked": no money named
        assert (await acs.circulation(item))[0] is Circulation.ON_SHELF


@pytest.mark.parametrize(("role", "told", "untold"), [
    ("patron_charge_denied", "12,500", "lost"),  # charge denied, excessive fines, BV 12500.00
    ("patron_card_lost", "lost", "fines"),  # charge denied, card reported lost, no fines
])
async def test_a_patron_denied_charge_privileges_is_told_the_true_reason(
        real_acs: AcsTarget, tmp_path, role: str, told: str, untold: str) -> None:
    k = sip2_kiosk(real_acs.settings(tmp_path / "kiosk"))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, real_acs.need(role))
            text = screen_text(k.app).lower()  # the refusal itself: ..._cannot_borrow
            assert told in text and untold not in text, text
    finally:
        await k.close()


async def test_a_patron_denied_renewals_is_refused_for_the_true_reason(real_acs: AcsTarget, tmp_path) -> None:
    patron, item = real_acs.need("patron_renew_denied"), real_acs.need("item_of_renew_denied")
    async with adapter(real_acs, tmp_path) as acs:
        member = await acs.member(patron)
        before = await acs.circulation(item)
        renewed = await acs.client.renew(member.id, item, "renew-1")
        assert await acs.circulation(item) == before
        assert isinstance(renewed, Refused), renewed
        assert renewed.code != "renewal_limit", renewed  # no limit was reached: renewals are denied


async def test_a_refused_login_is_a_kiosk_wide_state(real_acs: AcsTarget, tmp_path) -> None:
    async with adapter(real_acs, tmp_path / "right") as acs:
        assert isinstance(await acs.client.health(), Ok)  # the ACS is up: only the password is wrong
    agent = Agent(real_acs.settings(tmp_path / "wrong", sip2_password=real_acs.password + "-wrong"))
    try:
        agent.relay.outbox.append_return(real_acs.need("item_not_on_loan"), datetime.now(UTC))
        drained = await agent.relay.drain(1.0)
        assert (drained.delivered, drained.dead, drained.pending) == (0, 0, 1), drained  # it waits
        assert kiosk_state(agent.store)["state"] != "ok", kiosk_state(agent.store)
    finally:
        await agent.close()


async def test_a_real_acs_checks_a_patron_pin(real_acs: AcsTarget, tmp_path) -> None:
    """The PIN goes as the 63's patron password (AD); the 64's CQ says whether it is right."""
    patron = real_acs.need("patron_with_pin")
    pin = real_acs.need("pin_of_patron_with_pin")
    async with adapter(real_acs, tmp_path) as acs:
        right = await acs.client.check_pin(patron, SecretStr(pin))
        assert isinstance(right, Ok) and right.value.valid, right
        wrong = await acs.client.check_pin(patron, SecretStr("000000" if pin != "000000" else "111111"))
        assert isinstance(wrong, Ok) and not wrong.value.valid, wrong
        assert wrong.value.locked_until is None and wrong.value.tries_left is None, "SIP2 says neither"
        (asked, _), (asked_wrong, answer) = acs.exchanges[-2:]
        assert asked.command == "63" and asked.get("AD") == pin
        assert isinstance(answer, Frame) and answer.get("CQ") == "N", answer
        assert pin not in repr(asked_wrong) and pin not in repr(asked)
