"""A SIP2 login the ACS refuses is a kiosk-wide state, as a refused REST token is: the agent pauses
delivery (no dead letter, the entry kept as it is), says ``login_refused`` in ``kiosk-sync status``,
the ``kiosk_state`` metric and one log line with what to check, however often it tries again; it
ends with the first login that succeeds. Patrons are told that borrowing is out of service, not
that the library system cannot be reached; the technician screen names the state in both
languages."""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from kiosk_app.screens.technician import TechScreen
from kiosk_data.codes import KIM, ON_LOAN
from kiosk_testing.pilot import screen_text, wait_on_screen
from kiosk_testing.processes import BIN, Process
from kiosk_testing.waiting import wait_until, wait_until_async
from sync_agent.agent.metrics import KioskCollector
from sync_agent.agent.relay import Relay
from sync_agent.central.results import Busy, BusyReason
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.settings import load_settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Status
from sync_agent.store.status import kiosk_state, record_kiosk_state, snapshot
from tests.app.conftest import SIZE, scan_and_settle
from tests.app.test_technician import detail_text, enter, show_tab
from tests.sip2.conftest import sip2_kiosk, sip2_settings
from tests.sip2.garbage_acs import GarbageAcs

TECH_CARD, PIN = "20042999999996", "246813"


def write_config(path: Path, folder: Path, port: int, password: str) -> Path:
    path.write_text(f'id = "kiosk-07"\ndata_dir = "{folder}"\ncentral = "sip2"\nsip2_host = "127.0.0.1"\n'
                    f'sip2_port = {port}\nsip2_user = "kiosk"\nsip2_password = "{password}"\n'
                    'sip2_institution = "0042"\nsip2_location = "kiosk-07"\nmetrics_listen = ""\n')
    return path


def agent(store: Store, config: Path) -> tuple[Relay, asyncio.Task]:
    """The agent's relay as ``kiosk-sync run`` builds it (settings read again before a probe),
    probing every 0.2 s instead of 30."""
    settings = load_settings(config)
    relay = Relay(store, Sip2Client(settings, owner="agent"), settings,
                  reload=lambda: load_settings(config))
    relay.gate.probe_every_s = 0.2
    return relay, asyncio.create_task(relay.run())


async def stop(relay: Relay, task: asyncio.Task) -> None:
    relay.stop()
    await asyncio.wait_for(task, 10)
    await relay.client.aclose()


async def test_a_refused_login_is_one_kiosk_wide_state_until_a_login_succeeds(tmp_path, acs, caplog) -> None:
    server = acs()
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk", server.port, "wrong-9431")
    settings = load_settings(config)
    store = Store.open(settings.db_path)
    outbox = Outbox(store, settings.id)
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    relay, task = agent(store, config)
    try:
        await wait_until_async(lambda: kiosk_state(store)["state"] == "login_refused")
        await wait_until_async(lambda: server.commands().count("93") >= 3)  # it keeps trying, with backoff
        assert "sip2_password" in kiosk_state(store)["reason"]
        assert status_of(config)["kiosk_state"]["state"] == "login_refused"  # kiosk-sync status
        registry = CollectorRegistry()
        registry.register(KioskCollector(store, settings))
        assert 'kiosk_state{state="login_refused"} 1.0' in generate_latest(registry).decode()
        assert outbox.get(entry.id).status is not Status.DEAD and snapshot(store)["dead"] == 0
        write_config(config, tmp_path / "kiosk", server.port, "secret")  # the technician's fix
        await wait_until_async(lambda: outbox.get(entry.id).status is Status.DELIVERED)
        await wait_until_async(lambda: kiosk_state(store)["state"] == "ok")
    finally:
        await stop(relay, task)
        store.close()
    assert not server.library.items[ON_LOAN].patron  # checked in
    assert caplog.text.count("refuses the login of user 'kiosk' at location 'kiosk-07'") == 1
    assert caplog.text.count("delivery paused, kiosk-wide state login_refused") == 1
    assert "wrong-9431" not in caplog.text and "secret" not in caplog.text


def status_of(config: Path) -> dict:
    done = subprocess.run([str(BIN / "kiosk-sync"), "--config", str(config), "status"],
                          capture_output=True, text=True, timeout=30)
    return json.loads(done.stdout)


def test_the_running_agent_says_so_and_a_restart_with_the_right_password_ends_it(tmp_path, acs) -> None:
    """``kiosk-sync run`` as a process: the state in ``kiosk-sync status``, the log line naming
    what to check, the return kept; the technician's fix and a restart deliver it and end it."""
    server = acs()
    folder = tmp_path / "kiosk"
    config = write_config(tmp_path / "kiosk.toml", folder, server.port, "wrong-9431")
    store = Store.open(folder / "kiosk.sqlite3")
    Outbox(store, "kiosk-07").append_return(ON_LOAN, datetime.now(UTC))
    store.close()
    log = tmp_path / "agent.log"
    agent = Process([str(BIN / "kiosk-sync"), "--config", str(config), "run"], None, log)
    agent.start()
    try:
        wait_until(lambda: status_of(config)["kiosk_state"]["state"] == "login_refused")
    finally:
        agent.stop()
    status = status_of(config)
    assert status["pending"] == 1 and status["dead"] == 0 and "sip2_location" in status["kiosk_state"]["reason"]
    text = log.read_text()
    assert text.count("refuses the login of user 'kiosk' at location 'kiosk-07'") == 1
    assert "wrong-9431" not in text

    write_config(config, folder, server.port, "secret")
    agent.start()
    try:
        wait_until(lambda: status_of(config)["kiosk_state"]["state"] == "ok")
    finally:
        agent.stop()
    assert status_of(config)["delivered"] == 1 and not server.library.items[ON_LOAN].patron


def test_the_agent_logs_in_at_start_so_a_refusal_shows_with_nothing_to_deliver(tmp_path, acs) -> None:
    server = acs()
    config = write_config(tmp_path / "kiosk.toml", tmp_path / "kiosk", server.port, "wrong-9431")
    agent = Process([str(BIN / "kiosk-sync"), "--config", str(config), "run"], None, tmp_path / "agent.log")
    agent.start()
    try:
        wait_until(lambda: (tmp_path / "kiosk" / "kiosk.sqlite3").exists()
                   and status_of(config)["kiosk_state"]["state"] == "login_refused")
    finally:
        agent.stop()
    write_config(config, tmp_path / "kiosk", server.port, "secret")
    agent.start()
    try:
        wait_until(lambda: status_of(config)["kiosk_state"]["state"] == "ok")
    finally:
        agent.stop()
    assert status_of(config)["pending"] == 0 and server.commands().count("93") == 2


async def test_a_hang_up_on_the_login_is_a_refused_login(tmp_path) -> None:
    server = GarbageAcs("hangup_login").start()
    try:
        async with Sip2Client(sip2_settings(tmp_path, server, call_timeout_ms=300)) as client:
            answer = await client.member_by_card(KIM)
            assert isinstance(answer, Busy) and answer.reason is BusyReason.LOGIN_REFUSED, answer
            again = await client.member_by_card(KIM)  # within the backoff: the same state, nothing sent
            assert isinstance(again, Busy) and again.reason is BusyReason.LOGIN_REFUSED
        assert server.logins == 1
    finally:
        server.stop()


async def test_a_login_left_unanswered_is_not_called_refused(tmp_path) -> None:
    """A slow or hung ACS is not a wrong password: the technician is not sent to the password."""
    server = GarbageAcs("silent_login").start()
    try:
        async with Sip2Client(sip2_settings(tmp_path, server, call_timeout_ms=300)) as client:
            answer = await client.member_by_card(KIM)
            assert isinstance(answer, Busy) and answer.reason is BusyReason.UNREACHABLE, answer
        assert server.logins == 1
    finally:
        server.stop()


@pytest.mark.parametrize(("lang", "patron", "health", "technician"), [
    ("en", "Borrowing is out of service at this kiosk for now.", "rental: login refused",
     "the library system's SIP2 server refuses this kiosk's login · delivery paused · check sip2_user"),
    ("ko", "지금 이 키오스크에서는 대출을 할 수 없습니다.", "대출: 로그인 거부됨",
     "도서관 시스템의 SIP2 서버가 이 키오스크의 로그인을 거부함 · 전송 멈춤 · sip2_user"),
])
async def test_patrons_are_told_lending_is_out_of_service_and_the_technician_why(
        tmp_path, acs, lang, patron, health, technician) -> None:
    """The health line comes from the app's own connection (at once); the state from the agent."""
    from kiosk_app.techpin import hash_pin
    server = acs()
    k = sip2_kiosk(sip2_settings(tmp_path, server, sip2_password="wrong", lang=lang,
                                 tech_pin_hash=hash_pin(PIN)))
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await scan_and_settle(pilot, KIM)
            text = screen_text(k.app)
            assert patron in text, text
            assert "unreachable" not in text and "연결할 수 없" not in text
            record_kiosk_state(k.lending.store, "login_refused", "SIP2 login refused (94 with ok=0)")
            await scan_and_settle(pilot, TECH_CARD)
            await enter(pilot, PIN)
            assert isinstance(k.app.screen, TechScreen)
            await wait_on_screen(pilot, lambda: k.app.screen.report is not None)
            await show_tab(pilot, "tab-central")
            await wait_on_screen(pilot, lambda: technician in detail_text(k.app.screen))
            assert health in detail_text(k.app.screen)
    finally:
        await k.close()
