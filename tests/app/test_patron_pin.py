"""The patron PIN (``patron_pin = "required"``) through the real app, the REST stand-in over real
HTTP and a store on disk: the pad follows the card scan, the library system judges the PIN (and
counts and locks, not the kiosk), and the patron is told the truth about what happens next."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.notice import NoticeScreen
from kiosk_app.screens.patron_pin import PatronPinScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import KIM, KIM_PIN
from kiosk_testing.pilot import screen_text

from .conftest import SIZE, scan_and_settle, settle


async def type_pin(pilot, pin: str, *, by: str = "touch") -> None:
    """The PIN on the pad's keys (touch) or a keypad's (keys), then OK / Enter."""
    for digit in pin:
        if by == "touch":
            await pilot.click(f"#patron-key-{digit}")
        else:
            await pilot.press(digit)
    await settle(pilot)
    if by == "touch":
        await pilot.click("#patron-key-enter")
    else:
        await pilot.press("enter")
    await settle(pilot)


async def test_without_a_required_pin_the_card_opens_the_member_at_once(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen)


async def test_the_right_pin_opens_the_member_and_nothing_is_asked_before_it(kiosk):
    k = kiosk(lang="en", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, PatronPinScreen)
        assert k.app.session.patron is None, "nothing of the member before the PIN"
        assert "Enter your PIN" in screen_text(k.app) and "Kim Min-ji" not in screen_text(k.app)
        for digit in KIM_PIN[:3]:
            await pilot.click(f"#patron-key-{digit}")
        await settle(pilot)
        assert k.app.screen.query_one("#patron-pin-dots").visual.plain == "● ● ●"
        assert KIM_PIN[:3] not in screen_text(k.app), "digits are shown as dots only"
        await pilot.click("#patron-key-back")
        await pilot.click("#patron-key-clear")
        await settle(pilot)
        assert k.app.screen.typed == 0
        await type_pin(pilot, KIM_PIN)
        assert isinstance(k.app.screen, MemberScreen)
        assert k.app.session.patron is not None and "Kim Min-ji" in screen_text(k.app)


async def test_a_wrong_pin_says_how_many_tries_are_left_and_the_pad_stays(kiosk):
    k = kiosk(lang="en", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await type_pin(pilot, "000000")
        assert isinstance(k.app.screen, PatronPinScreen)
        assert "Wrong PIN. 2 tries left." in screen_text(k.app)
        assert k.app.screen.typed == 0 and k.app.session.patron is None
        await type_pin(pilot, "111111")
        assert "Wrong PIN. 1 try left." in screen_text(k.app)
        await type_pin(pilot, KIM_PIN)
        assert isinstance(k.app.screen, MemberScreen)


async def test_the_central_side_locks_the_card_and_the_patron_reads_until_when(kiosk, central):
    k = kiosk(lang="ko", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        for wrong in ("000000", "111111", "222222"):
            await type_pin(pilot, wrong)
        assert isinstance(k.app.screen, NoticeScreen)
        shown = screen_text(k.app)
        assert "비밀번호를 입력할 수 없습니다" in shown and "데스크 직원에게 문의해 주세요" in shown
        until = k.app.screen.refusal.fields["until"]
        assert until.written_in("ko") in shown, "the time the lock ends, on the library's clock"
        assert until.moment.utcoffset() is not None
        assert k.app.session.patron is None
        k.app.toggle_lang()
        await settle(pilot)
        assert f"locked for PIN entry until {until.written_in('en')}" in screen_text(k.app)

        await pilot.click("#ok")
        await scan_and_settle(pilot, KIM)
        await type_pin(pilot, KIM_PIN)
        assert isinstance(k.app.screen, NoticeScreen), "locked: not even the right PIN lets in"
        assert k.app.session.patron is None


async def test_central_down_while_asking_lets_nobody_in(kiosk, central):
    """A member seen before has a cached view; with the PIN required and the library system away
    the kiosk still opens nothing: the PIN could not be checked, try again shortly."""
    k = kiosk(lang="en", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await type_pin(pilot, KIM_PIN)
        assert isinstance(k.app.screen, MemberScreen)
        k.app.end_session()
        await settle(pilot)
        assert k.lending.cards.find(KIM) is not None, "the card is known offline"

        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, PatronPinScreen)
        central.stop()
        await type_pin(pilot, KIM_PIN)
        assert isinstance(k.app.screen, NoticeScreen)
        assert "cannot be checked" in screen_text(k.app) and "try borrowing again shortly" in screen_text(k.app)
        assert k.app.session.patron is None


async def test_a_whole_visit_by_keyboard_alone(kiosk):
    k = kiosk(lang="en", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.press("1", "2", "backspace")
        await settle(pilot)
        assert k.app.screen.typed == 1
        await pilot.press("delete")
        await type_pin(pilot, "0000", by="keys")
        assert "Wrong PIN. 2 tries left." in screen_text(k.app)
        await type_pin(pilot, KIM_PIN, by="keys")
        assert isinstance(k.app.screen, MemberScreen)
        assert k.app.session.patron is not None and k.app.session.patron.member.id == 1


@pytest.mark.parametrize("cancel", ["escape", "touch"])
async def test_cancel_forgets_the_card_and_a_late_answer_opens_nothing(kiosk, cancel):
    k = kiosk(lang="en", patron_pin="required")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.press("4")
        if cancel == "escape":
            await pilot.press("escape")
        else:
            await pilot.click("#patron-key-cancel")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.session.patron is None
        await k.app._check_pin(SecretStr(KIM_PIN))  # an answer that comes after the cancel
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen) and k.app.session.patron is None


async def test_a_check_that_fails_closes_the_pad_and_says_ask_at_the_desk(kiosk, monkeypatch):
    k = kiosk(lang="en", patron_pin="required")

    async def broken(card, pin):
        raise RuntimeError("a fault no rule foresaw")

    monkeypatch.setattr(k.lending, "check_pin", broken)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await type_pin(pilot, KIM_PIN)
        assert isinstance(k.app.screen, NoticeScreen)
        assert not any(isinstance(screen, PatronPinScreen) for screen in k.app.screen_stack)
        assert k.app.session.patron is None


async def test_an_open_breaker_answers_at_once_and_lets_nobody_in(kiosk, central):
    """The rental service down: each PIN check is refused by it (503), the lending breaker opens
    after three, and the next check is not even sent; every time the patron reads "try again
    shortly" and no member opens."""
    k = kiosk(lang="en", patron_pin="required", breaker_sustained_s=0)
    central.set_fault("rental", down=True)
    async with k.app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            await scan_and_settle(pilot, KIM)
            await type_pin(pilot, KIM_PIN)
            assert isinstance(k.app.screen, NoticeScreen)
            assert "cannot be checked" in screen_text(k.app)
            assert k.app.session.patron is None
            await pilot.click("#ok")
            await settle(pilot)
        assert k.client.breakers.states()["lending"] == "open"
    assert central.requests().get("rental") == 3, "the fourth PIN was not sent"
