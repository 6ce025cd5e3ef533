"""The 14 patron-status flags and the validity fields of a 64, as SIP 2.00 means them, from a
scripted ACS over real TCP: only charge privileges denied stops a borrow, renewal privileges
denied stops a renewal, and each flag is its own reason for the patron, in both languages."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen
from kiosk_data.codes import AVAILABLE, HOLD_READY, KIM
from kiosk_testing.pilot import screen_text
from sync_agent.central.results import Ok
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.central.sip2.patron import PATRON_STATUS
from sync_agent.wire.rest import MemberStatus
from sync_agent.wire.sip2 import Frame
from tests.app.conftest import SIZE, scan_and_settle, settle
from tests.sip2.conftest import sip2_kiosk, sip2_settings
from tests.sip2.scripted_acs import SIP_DATE, ScriptedAcs, checkout, item_info, patron_info, renewal


@contextlib.asynccontextmanager
async def signed_in(tmp_path: Path, acs: ScriptedAcs, lang: str = "en") -> AsyncIterator[tuple[Any, Any]]:
    """The real app over ``acs``, after the patron's card was scanned: (kiosk, pilot)."""
    k = sip2_kiosk(sip2_settings(tmp_path, acs, lang=lang))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            yield k, pilot
    finally:
        await k.close()


def flags(*codes: str) -> str:
    return "".join("Y" if code in codes else " " for code in PATRON_STATUS)


def acs_for(status: str, *, loans: tuple[str, ...] = (), **fields: str) -> ScriptedAcs:
    """An ACS whose patron has ``status`` and ``loans``, and that lends and renews anything."""
    return ScriptedAcs({
        "63": lambda request: patron_info(request.get("AA"), status, charged=loans, **fields),
        "17": lambda request: item_info(request.get("AB"), "04" if request.get("AB") in loans else "03",
                                        AJ="Title of " + request.get("AB"), AH=SIP_DATE),
        "11": lambda request: checkout("1", request.get("AB"), request.get("AA"), AH=SIP_DATE,
                                       AJ="Title of " + request.get("AB")),
        "29": lambda request: renewal("1", request.get("AB"), request.get("AA"), AH=SIP_DATE),
        "35": lambda request: Frame("36", "Y" + SIP_DATE, (("AA", request.get("AA")),)),
    })


@pytest.mark.parametrize("position, code", list(enumerate(PATRON_STATUS)))
async def test_each_flag_is_its_own_block_and_only_charge_denied_stops_borrowing(tmp_path, position,
                                                                                 code) -> None:
    async with acs_for(flags(code)) as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as client:
            member = await client.member_by_card(KIM)
    assert isinstance(member, Ok) and member.value.blocks == [code]
    expected = MemberStatus.BLOCKED if position == 0 else MemberStatus.ACTIVE
    assert member.value.status is expected


async def test_validity_fields_money_and_the_librarys_words(tmp_path) -> None:
    async with acs_for(flags("excessive_fines"), BL="N", CQ="N", BV="12.50", BH="USD",
                       AF="Please see the circulation desk") as acs:
        async with Sip2Client(sip2_settings(tmp_path, acs)) as client:
            member = await client.member_by_card(KIM)
    assert isinstance(member, Ok)
    assert member.value.blocks == ["excessive_fines", "card_invalid", "password_invalid"]
    assert member.value.status is MemberStatus.BLOCKED  # not a valid patron: nothing is lent
    assert member.value.fines_written == "12.50 USD" and member.value.said == "Please see the circulation desk"


async def test_recall_and_hold_denied_still_borrow_on_screen(tmp_path) -> None:
    async with acs_for(flags("recall_denied", "hold_denied")) as acs, signed_in(tmp_path, acs) as (k, pilot):
        assert isinstance(k.app.screen, MemberScreen)
        await scan_and_settle(pilot, AVAILABLE)
        assert [line.barcode for line in k.app.session.borrows] == [AVAILABLE]
        assert "fines" not in screen_text(k.app).lower()
    assert "11" in acs.commands()


@pytest.mark.parametrize("lang, words", [
    ("en", ["cannot borrow", "Too many items overdue", "Card reported lost",
            "Unpaid fines over the library's limit", "Amount owed: 12,000 won",
            "The library says: Go to the desk"]),
    ("ko", ["대출할 수 없습니다", "연체된 자료가 너무 많습니다", "분실 신고된 카드입니다",
            "미납 연체료가 도서관 한도를 넘었습니다", "미납 금액: 12,000원", "도서관 안내: Go to the desk"]),
])
async def test_a_card_that_may_not_borrow_is_told_each_true_reason(tmp_path, lang, words) -> None:
    status = flags("charge_denied", "card_lost", "too_many_overdue", "excessive_fines")
    async with acs_for(status, BV="12000", BH="KRW", AF="Go to the desk") as acs, \
            signed_in(tmp_path, acs, lang) as (k, _):
        assert isinstance(k.app.screen, NoticeScreen)
        text = screen_text(k.app)
        for said in words:
            assert said in text, said


async def test_a_card_blocked_without_fines_never_names_fines(tmp_path) -> None:
    async with acs_for(flags("charge_denied", "too_many_charged")) as acs, signed_in(tmp_path, acs) as (k, _):
        text = screen_text(k.app)
        assert "Too many items checked out" in text
        assert "fine" not in text.lower()


async def test_renewal_denied_stops_renewals_not_borrowing(tmp_path) -> None:
    async with acs_for(flags("renewal_denied", "too_many_renewals"), loans=(AVAILABLE,)) as acs, \
            signed_in(tmp_path, acs) as (k, pilot):
        assert isinstance(k.app.screen, MemberScreen)
        k.app.renew_loans(AVAILABLE)
        await settle(pilot)
        [line] = k.app.session.renewals
        assert not line.renewed
        assert "does not allow renewals" in screen_text(k.app) and "Too many renewals" in screen_text(k.app)
        await scan_and_settle(pilot, HOLD_READY)
        assert [line.barcode for line in k.app.session.borrows] == [HOLD_READY]
    assert "29" not in acs.commands()  # the kiosk knew: no renewal was asked


@pytest.mark.parametrize("lang, words", [
    ("en", ["The library says: Your hold is ready", "Amount owed: 3.50 USD"]),
    ("ko", ["도서관 안내: Your hold is ready", "미납 금액: 3.50 USD"]),
])
async def test_a_card_that_may_borrow_sees_the_librarys_words_and_the_amount_in_its_currency(
        tmp_path, lang, words) -> None:
    async with acs_for(flags("hold_denied"), AF="Your hold is ready", BV="3.50", BH="USD") as acs, \
            signed_in(tmp_path, acs, lang) as (k, _):
        assert isinstance(k.app.screen, MemberScreen)
        text = screen_text(k.app)
        for said in words:
            assert said in text, said
        # No amount in won: "원" alone is also the last syllable of 직원 (staff) on the top bar.
        assert not re.search(r"\d\s*원|\bwon\b", text), text


async def test_a_checkout_refused_for_the_card_names_no_fines_the_library_did_not_name(tmp_path) -> None:
    acs = acs_for(flags())
    acs.answers["11"] = lambda request: checkout("0", request.get("AB"), request.get("AA"),
                                                 AF="Patron card expired")
    async with acs, signed_in(tmp_path, acs) as (k, pilot):
        await scan_and_settle(pilot, AVAILABLE)
        text = screen_text(k.app)
        assert "cannot borrow" in text and "The library says: Patron card expired" in text
        assert "fine" not in text.lower() and not k.app.session.borrows
