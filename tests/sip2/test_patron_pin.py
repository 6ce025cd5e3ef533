"""The patron PIN over SIP2 against the fake ACS on real TCP: the PIN travels as the 63's patron
password (AD), the 64's CQ answers it; a 64 without CQ checked nothing and is never a yes."""

from __future__ import annotations

import logging

from pydantic import SecretStr

from kiosk_app import logbook
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.patron_pin import PatronPinScreen
from kiosk_data.codes import KIM, KIM_PIN
from kiosk_testing.pilot import screen_text
from sync_agent.central.results import Busy, DoubtReason, InDoubt, NotFound, Ok
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.wire.sip2 import Frame
from tests.app.conftest import SIZE, scan_and_settle, settle
from tests.app.test_privacy import found_in
from tests.sip2.conftest import sip2_kiosk, sip2_settings

WRONG = "460213"  # six digits no date, id or amount in the store contains


async def test_the_right_pin_is_valid_and_a_wrong_one_is_not(tmp_path, acs) -> None:
    server = acs()
    seen: list[Frame] = []
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        ask = client.connection.ask

        async def recorded(frame: Frame) -> object:
            seen.append(frame)
            return await ask(frame)

        client.connection.ask = recorded  # type: ignore[method-assign]  # its own ask wrapped: the frames sent seen
        right = await client.check_pin(KIM, SecretStr(KIM_PIN))
        assert isinstance(right, Ok) and right.value.valid
        wrong = await client.check_pin(KIM, SecretStr("000000"))
        assert isinstance(wrong, Ok) and not wrong.value.valid
        assert wrong.value.tries_left is None and wrong.value.locked_until is None
        assert not client._opened and not client._cards and not client._blocked, \
            "a PIN check leaves no barcode behind in the adapter"
    sent = [frame for frame in seen if frame.command == "63"]
    assert [frame.get("AD") for frame in sent] == [KIM_PIN, "000000"]
    assert all(KIM_PIN not in repr(frame) for frame in seen), "a frame's repr hides the password"


async def test_an_unknown_card_is_not_found_and_an_acs_away_is_busy(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        assert isinstance(await client.check_pin("20042999999988", SecretStr(KIM_PIN)), NotFound)
        server.stop()
        away = await client.check_pin(KIM, SecretStr(KIM_PIN))
        assert isinstance(away, Busy | InDoubt), away
        assert KIM_PIN not in repr(away)


async def test_a_64_without_cq_did_not_check_the_pin(tmp_path, acs) -> None:
    server = acs()
    async with Sip2Client(sip2_settings(tmp_path, server)) as client:
        ask = client.connection.ask

        async def without_cq(frame: Frame) -> object:
            answer = await ask(frame)
            if isinstance(answer, Frame) and answer.command == "64":
                return Frame(answer.command, answer.fixed,
                             tuple(f for f in answer.fields if f[0] != "CQ"), answer.sequence)
            return answer

        client.connection.ask = without_cq  # type: ignore[method-assign]  # its own ask wrapped: CQ taken out of the 64
        unchecked = await client.check_pin(KIM, SecretStr(KIM_PIN))
        assert isinstance(unchecked, InDoubt) and unchecked.reason is DoubtReason.MALFORMED, unchecked


async def test_a_visit_over_sip2_with_a_wrong_then_the_right_pin(tmp_path, acs, root_logger) -> None:
    """The same pad over SIP2: a wrong PIN is "wrong" with no count (SIP2 gives none), the right
    one opens the member; the ACS saw the PIN as AD, the kiosk's files never did."""
    server = acs()
    k = sip2_kiosk(sip2_settings(tmp_path, server, lang="en", patron_pin="required"))
    logbook.install(k.settings.data_dir)
    root_logger.setLevel(logging.DEBUG)
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            assert isinstance(k.app.screen, PatronPinScreen)
            for typed in (WRONG, KIM_PIN):
                await pilot.press(*typed, "enter")
                await settle(pilot)
                if typed != KIM_PIN:
                    assert "Wrong PIN. Please try again." in screen_text(k.app)
                    assert "tries left" not in screen_text(k.app)
            assert isinstance(k.app.screen, MemberScreen) and "김민지" in screen_text(k.app)
    finally:
        await k.close()
    for handler in root_logger.handlers:
        handler.flush()
    assert found_in(k.settings.data_dir, KIM_PIN, WRONG) == []
