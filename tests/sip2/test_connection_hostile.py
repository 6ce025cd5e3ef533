"""The SIP2 connection against a misbehaving ACS on a real socket (``tests/sip2/garbage_acs.py``):
an answer that is not about the request (its sequence number AY missing or another's) is in doubt,
never done, and becomes a dead letter with words for the technician, as a REST answer about
another request does; and an ACS that answers garbage after every login is not logged into again
and again, but with the backoff of a refused connection."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import HOLD_READY, ON_LOAN, OVERDUE
from kiosk_testing.processes import BIN, Process
from kiosk_testing.waiting import wait_until
from sync_agent.agent.dispatch import send
from sync_agent.agent.relay import MISMATCH_LIMIT, Relay
from sync_agent.central.results import Busy, DoubtReason, InDoubt
from sync_agent.central.sip2.client import Sip2Client
from sync_agent.central.sip2.connection import BACKOFF_FIRST_S, BACKOFF_MAX_S
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Status
from sync_agent.wire.sip2 import Frame
from tests.sip2.conftest import sip2_settings
from tests.sip2.garbage_acs import GarbageAcs
from tests.sip2.test_login_refused import write_config

WINDOW_S = 5.0
MAX_LOGINS_IN_WINDOW = 8
"""Backoff 0.1 s doubling to 5 s: logins at about 0, 0.1, 0.3, 0.7, 1.5, 3.1 s (6 in 5 s), with
room for the exchanges' own time; without the backoff a kiosk logs in once per request."""


@pytest.fixture
def hostile() -> Iterator[Callable[[str], GarbageAcs]]:
    started: list[GarbageAcs] = []

    def start(behaviour: str) -> GarbageAcs:
        started.append(GarbageAcs(behaviour).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def settings_for(tmp_path: Path, server: GarbageAcs) -> Settings:
    """The usual SIP2 settings (``sip2_settings`` reads only the port), quick to time out, and
    breakers that stay closed so that the connection's own backoff is what is measured."""
    return sip2_settings(tmp_path, server, call_timeout_ms=500, breaker_failure_threshold=100)


def a_return(tmp_path: Path) -> object:
    store = Store.open(tmp_path / f"entries-{uuid.uuid4().hex}.sqlite3")
    entry = Outbox(store, "kiosk-07").append_return(ON_LOAN, datetime.now(UTC))
    store.close()
    return entry


@pytest.mark.parametrize("behaviour", ["no_sequence", "wrong_sequence"])
async def test_a_checkin_answered_without_its_sequence_number_is_in_doubt(tmp_path, hostile, behaviour) -> None:
    server = hostile(behaviour)
    async with Sip2Client(settings_for(tmp_path, server)) as client:
        answer = await send(client, a_return(tmp_path))
        assert isinstance(answer, InDoubt) and answer.reason is DoubtReason.MISMATCHED, answer
        assert "sequence number" in answer.detail
        logins = server.logins
        await asyncio.sleep(BACKOFF_FIRST_S * 1.5)  # nothing usable came on that connection
        await client.connection.ask(Frame("17", "x" * 18, (("AB", ON_LOAN),)))
        assert server.logins == logins + 1  # the stream was out of step: a fresh connection


async def test_checkins_never_answered_with_their_sequence_number_become_dead_letters(tmp_path, hostile) -> None:
    server = hostile("no_sequence")
    settings = settings_for(tmp_path, server)
    store = Store.open(settings.db_path)
    outbox = Outbox(store, settings.id)
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    try:
        async with Sip2Client(settings, owner="agent") as client:
            relay = Relay(store, client, settings, role="drain")
            deadline = time.monotonic() + 40
            while outbox.get(entry.id).status is Status.PENDING and time.monotonic() < deadline:
                await relay.drain(5)
        dead = outbox.get(entry.id)
        assert dead.status is Status.DEAD, dead
        assert dead.last_error.startswith(
            f"mismatched: {MISMATCH_LIMIT} answers of the library system could not be matched")
        assert outbox.counts()["delivered"] == 0
    finally:
        store.close()


@pytest.mark.parametrize("behaviour", ["bad_checksum", "resend", "huge"])
async def test_garbage_after_every_login_backs_off_like_a_refused_connection(tmp_path, hostile, behaviour) -> None:
    """Requests as fast as the connection takes them (a patron tapping, a drain), for a window."""
    server = hostile(behaviour)
    async with Sip2Client(settings_for(tmp_path, server)) as client:
        started = time.monotonic()
        outcomes = []
        while time.monotonic() - started < WINDOW_S:
            outcomes.append(await client.connection.ask(Frame("17", "x" * 18, (("AB", ON_LOAN),))))
    assert any(isinstance(o, InDoubt) for o in outcomes)
    backing_off = [o for o in outcomes if isinstance(o, Busy)]
    assert backing_off and all(o.retry_after_s <= BACKOFF_MAX_S for o in backing_off)
    assert 2 <= server.logins <= MAX_LOGINS_IN_WINDOW, (server.logins, len(outcomes))


AGENT_WINDOW_S = 6.0
MAX_AGENT_LOGINS = 8
"""What one running agent may log in within the window against a garbage ACS (the reconnect
backoff, then the breaker); the same agent without the backoff logged in 27-39 times."""


@pytest.mark.parametrize("behaviour", ["bad_checksum", "resend", "huge"])
def test_a_running_agent_logs_in_a_few_times_against_garbage(tmp_path, hostile, behaviour) -> None:
    server = hostile(behaviour)
    folder = tmp_path / "kiosk"
    config = write_config(tmp_path / "kiosk.toml", folder, server.port, "secret")
    store = Store.open(folder / "kiosk.sqlite3")
    outbox = Outbox(store, "kiosk-07")
    for barcode in (HOLD_READY, ON_LOAN, OVERDUE):
        outbox.append_return(barcode, datetime.now(UTC))
    store.close()
    agent = Process([str(BIN / "kiosk-sync"), "--config", str(config), "run"], None, tmp_path / "agent.log")
    agent.start()
    try:
        wait_until(lambda: server.logins > 0, 20, "the agent's first login")
        first = time.monotonic()
        time.sleep(AGENT_WINDOW_S)
        logins = server.logins
    finally:
        agent.stop()
    print(f"{behaviour}: {logins} logins in {AGENT_WINDOW_S:.0f} s from the first")
    assert 1 <= logins <= MAX_AGENT_LOGINS, (logins, time.monotonic() - first)
