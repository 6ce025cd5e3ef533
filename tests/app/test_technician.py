"""Technician diagnostics: reached by card or by five taps on the logo, PIN with lockout, and the
screen's facts and actions against the real store, relay and stand-in."""

import re
import time
from datetime import datetime

import pytest
from textual.widgets import TabbedContent

from hardware.sim import VirtualScanner
from hardware.status import DeviceState, DeviceStatus
from kiosk_app.i18n import fmt_time
from kiosk_app.pin_guard import FIRST_LOCK_S, PinGuard
from kiosk_app.screens.pin import PinScreen
from kiosk_app.screens.technician import TechScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.techpin import hash_pin
from kiosk_data.codes import KIM, ON_LOAN
from kiosk_testing.pilot import screen_text, wait_on_screen
from sync_agent.store import sync_state
from sync_agent.store.status import record_kiosk_state

from .conftest import SIZE, scan_and_settle, settle

PIN = "246813"
TECH_CARD = "20042999999996"


@pytest.fixture(scope="module")
def pin_hash():
    return hash_pin(PIN)


async def enter(pilot, pin):
    pad = pilot.app.screen
    checked = pad.checked
    for digit in pin:
        await pilot.click(f"#key-{digit}")
    await pilot.click("#key-enter")
    await wait_on_screen(pilot, lambda: pad.checked > checked)
    await settle(pilot)


def clocked(kiosk, pin_hash):
    """An English kiosk whose PIN guard runs on a clock the test moves (``now[0]``)."""
    k = kiosk(tech_pin_hash=pin_hash, lang="en")
    now = [1_800_000_000.0]
    k.app.pin_lock = PinGuard(k.store, clock=lambda: now[0])
    return k, now


async def lock_out(pilot):
    """The technician card, then five wrong PINs."""
    await scan_and_settle(pilot, TECH_CARD)
    for _ in range(5):
        await enter(pilot, "111111")
    assert "Locked: try again in 5 min" in screen_text(pilot.app)


async def test_technician_card_then_pin_with_lockout(kiosk, pin_hash):
    k, now = clocked(kiosk, pin_hash)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, TECH_CARD)
        assert isinstance(k.app.screen, PinScreen)
        for left in (4, 3, 2, 1):
            await enter(pilot, "111111")
            assert f"Wrong PIN. {left} tries left" in screen_text(k.app)
        await enter(pilot, "111111")
        assert "Locked: try again in 5 min 0 s." in screen_text(k.app)
        await enter(pilot, PIN)
        assert isinstance(k.app.screen, PinScreen), "the right PIN is refused while locked"
        now[0] += FIRST_LOCK_S
        await enter(pilot, PIN)
        assert isinstance(k.app.screen, TechScreen)


async def test_the_lock_counts_down_on_screen(kiosk, pin_hash):
    k, now = clocked(kiosk, pin_hash)
    async with k.app.run_test(size=SIZE) as pilot:
        await lock_out(pilot)
        assert "Locked: try again in 5 min 0 s." in screen_text(k.app)
        now[0] += 10
        await wait_on_screen(pilot, lambda: "Locked: try again in 4 min 50 s." in screen_text(k.app))
        now[0] += 4 * 60 + 49
        await wait_on_screen(pilot, lambda: "Locked: try again in 0 min 1 s." in screen_text(k.app))
        now[0] += 1
        await wait_on_screen(pilot, lambda: "Locked" not in screen_text(k.app))


async def test_a_restart_during_a_lock_keeps_it(kiosk, pin_hash):
    """The app is stopped while the pad is locked, and a new one starts on the same store file."""
    first = kiosk(tech_pin_hash=pin_hash, lang="en")
    async with first.app.run_test(size=SIZE) as pilot:
        await lock_out(pilot)
    await first.close()

    second = kiosk(tech_pin_hash=pin_hash, lang="en")
    assert second.store.path == first.store.path
    async with second.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, TECH_CARD)
        assert "Locked: try again in " in screen_text(second.app)
        await enter(pilot, PIN)
        assert isinstance(second.app.screen, PinScreen), "the right PIN is still refused"


async def test_a_keyboard_types_the_pin(kiosk, pin_hash):
    """Digits, Backspace and Enter from a technician's keyboard work on the pad; Enter is the
    pad's OK, not a press of the focused key."""
    k = kiosk(tech_pin_hash=pin_hash, lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, TECH_CARD)
        pad = k.app.screen
        assert isinstance(pad, PinScreen)
        await pilot.press(*"9", "backspace", *PIN)
        assert pad.digits == PIN
        await pilot.press("enter")
        await wait_on_screen(pilot, lambda: pad.checked == 1)
        await settle(pilot)
        assert isinstance(k.app.screen, TechScreen)


async def test_the_devices_tab_shows_a_working_scanner_at_once(kiosk, pin_hash):
    """Troubleshooting sends technicians here for "nothing happens on a scan": the scanner's
    state must be there before any test scan."""
    with VirtualScanner() as scanner:
        k = kiosk({"with_devices": True}, tech_pin_hash=pin_hash, lang="en", scanner_port=scanner.path)
        async with k.app.run_test(size=SIZE) as pilot:
            await wait_on_screen(pilot, lambda: all(d.state is DeviceState.CONNECTED
                                              for d in k.app.devices.statuses()))
            await open_technician(pilot, k)
            text = detail_text(k.app.screen)
            assert "connected" in text and scanner.path in text


async def test_five_logo_taps_open_the_pin_pad_and_cancel_returns(kiosk, pin_hash):
    k = kiosk(tech_pin_hash=pin_hash)
    async with k.app.run_test(size=SIZE) as pilot:
        for _ in range(4):
            await pilot.click("#logo")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen), "four taps are not enough"
        await pilot.click("#logo")
        await settle(pilot)
        assert isinstance(k.app.screen, PinScreen)
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, PinScreen) and k.app.session.is_empty, "scans wait"
        await pilot.click("#pin-cancel")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen)


async def test_no_pin_configured_never_opens(kiosk):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, TECH_CARD)
        await enter(pilot, "000000")
        assert "No technician PIN is configured" in screen_text(k.app)
        assert isinstance(k.app.screen, PinScreen)


async def open_technician(pilot, k):
    await scan_and_settle(pilot, TECH_CARD)
    await enter(pilot, PIN)
    assert isinstance(k.app.screen, TechScreen)
    await wait_on_screen(pilot, lambda: k.app.screen.report is not None)
    await settle(pilot)


async def show_tab(pilot, tab):
    pilot.app.screen.query_one(TabbedContent).active = tab
    await settle(pilot)


UNKNOWN_COPY = "30042000009999"


async def test_diagnostics_show_and_act(kiosk, central, pin_hash):
    k = kiosk(tech_pin_hash=pin_hash, api_token="s3cret-token", lang="en")
    for _ in range(2):   # a copy the library does not know: the central side refuses both
        k.lending.outbox.append_return(UNKNOWN_COPY, k.app.clock())
    k.lending.outbox.append_return(ON_LOAN, k.app.clock())  # delivered: a last successful sync
    drained = await k.relay.drain(10)
    assert (drained.dead, drained.delivered) == (2, 1)
    async with k.app.run_test(size=SIZE) as pilot:
        await open_technician(pilot, k)
        scan_text = screen_text(k.app)
        await scan_and_settle(pilot, KIM)
        assert "member card **********0016" in screen_text(k.app), "test scans show masked cards"
        assert KIM not in screen_text(k.app) and scan_text
        assert k.app.session.is_empty, "a test scan is not a patron scan"

        await show_tab(pilot, "tab-outbox")
        text = screen_text(k.app)
        assert "dead 2" in text and f"return {UNKNOWN_COPY}: not_found" in text
        first, second = k.lending.outbox.dead_letters()
        await pilot.click(f"#resolve-{first.id}")
        await wait_on_screen(pilot, lambda: len(k.lending.outbox.dead_letters()) == 1)
        assert k.lending.outbox.get(first.id).status == "resolved"
        await wait_on_screen(pilot, lambda: "dead 1" in screen_text(k.app))
        await settle(pilot)
        await pilot.click(f"#retry-{second.id}")
        await wait_on_screen(pilot, lambda: not k.lending.outbox.dead_letters())
        assert k.lending.outbox.get(second.id).status == "pending"

        await show_tab(pilot, "tab-central")
        assert "rental: up  payment: up  book: up" in screen_text(k.app)
        synced = datetime.fromisoformat(sync_state.get(k.store, sync_state.LAST_SUCCESS))
        assert f"last successful sync: {fmt_time(synced, 'en', k.app.screen.view.tz)} (" in screen_text(k.app)
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", screen_text(k.app)), "no raw ISO time"
        k.client.breakers["lending"].open()
        k.app.screen.reload()
        await wait_on_screen(pilot, lambda: "app · lending: open" in screen_text(k.app))
        await settle(pilot)
        await pilot.click("#reset-lending")
        await wait_on_screen(pilot, lambda: "app · lending: closed" in screen_text(k.app))

        await show_tab(pilot, "tab-system")
        await pilot.click("#integrity")
        await wait_on_screen(pilot, lambda: k.app.screen.integrity == "ok")
        text = screen_text(k.app)
        assert "api_token = (set)" in text and "s3cret-token" not in text and "scrypt$" not in text
        assert "version " in text and "disk free" in text

        await pilot.click("#tech-close")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen)


async def test_exit_kiosk_lives_on_the_technician_screen(kiosk, pin_hash):
    k = kiosk(tech_pin_hash=pin_hash)
    async with k.app.run_test(size=SIZE) as pilot:
        await open_technician(pilot, k)
        await pilot.click("#tech-exit")
        await pilot.pause()
    assert k.app.return_code == 0 and not k.app.is_running


ENGLISH = ("pending", "in flight", "dead", "delivered", "oldest", "last scan", "good", "rejected",
           "s ago", "last successful sync", "app ·", "agent ·", "closed", "open", "up", "down",
           "unreachable", "version", "schema", "disk", "member", "return",
           "connected", "unknown")
"""Words of the English screen. Left as they are: setting names, the central side's refusals and
the log lines."""


def detail_text(screen) -> str:
    from textual.widgets import Button, Static
    kept = []
    for widget in screen.query("#devices, #test-scans, #outbox-body *, #central-body *, #system-body *"):
        if widget.id in ("config", "integrity-result") or not isinstance(widget, Static | Button):
            continue
        kept.append(str(widget.label) if isinstance(widget, Button) else widget.visual.plain)
    return "\n".join(kept)


async def test_the_technician_screen_speaks_korean(kiosk, central, pin_hash):
    k = kiosk(tech_pin_hash=pin_hash, lang="ko")
    k.lending.outbox.append_return(UNKNOWN_COPY, k.app.clock())  # refused: a dead letter
    assert (await k.relay.drain(10)).dead == 1
    async with k.app.run_test(size=SIZE) as pilot:
        await open_technician(pilot, k)
        await scan_and_settle(pilot, KIM)
        k.app.screen.device_changed(DeviceStatus(
            "scanner", "/dev/kiosk-scanner", DeviceState.RECONNECTING, reason="device disconnected",
            last_scan_at=time.time() - 5, good=3, rejected=1,
            rejected_by_reason={"wrong check digit": 1}))
        await settle(pilot)
        text = detail_text(k.app.screen)
    assert "다시 연결 중 (장치 연결 끊김)" in text and "정상 3 · 거부 1 (검증 숫자 틀림: 1)" in text
    assert "대기 0 · 전송 중 0 · 실패 1" in text and "회원증 **********0016" in text
    assert "대출: 정상  결제: 정상  도서: 정상" in text and "앱 · 대출: 닫힘" in text and "앱 · 반납: 닫힘" in text
    assert "버전 " in text and "디스크 여유" in text
    english = [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]
    assert english == [], text


@pytest.mark.parametrize(("lang", "shown"), [
    ("en", "Kiosk-wide state: this kiosk's clock runs ahead · delivery paused · check time sync (NTP)"),
    ("ko", "키오스크 전체 상태: 키오스크 시계가 빠름 · 전송 멈춤 · 시간 동기화(NTP)를 확인하세요"),
])
async def test_the_kiosk_wide_state_and_what_to_do_are_shown(kiosk, central, pin_hash, lang, shown):
    k = kiosk(tech_pin_hash=pin_hash, lang=lang)
    record_kiosk_state(k.lending.store, "clock_skew", "422 validation_error: occurredAt is in the future")
    async with k.app.run_test(size=SIZE) as pilot:
        await open_technician(pilot, k)
        await show_tab(pilot, "tab-central")
        await wait_on_screen(pilot, lambda: shown in detail_text(k.app.screen))
        record_kiosk_state(k.lending.store, "ok")
        k.app.screen.reload()
        await wait_on_screen(pilot, lambda: shown.split(":")[0] + ": " + ("ok" if lang == "en" else "정상")
                             in detail_text(k.app.screen))
