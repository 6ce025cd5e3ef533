"""Overload is not an outage: against the real stand-in, a slow or load-shedding central side
shrinks the relay's window and leaves the breaker closed; a stopped one opens it; half-open sends
exactly one trial, on the patron path too."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import KIM
from kiosk_testing.returns_load import barcode, prepare_central
from kiosk_testing.waiting import wait_until_async
from sync_agent.agent.pacing import FLOOR, SPREAD, STEP_BELOW_ONE, Pacer
from sync_agent.agent.relay import Relay
from sync_agent.central.breakers import BreakerOpen, Breakers
from sync_agent.central.rest.client import Busy, CentralClient, InDoubt, Ok
from sync_agent.central.results import BusyReason, DoubtReason
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox

from .conftest import make_settings

RETURNS = 24


@pytest.fixture
def loaded_central(tmp_path: Path, make_central):
    """A stand-in with ``RETURNS`` extra copies on loan (``kiosk_testing.returns_load.barcode(i)``)."""
    prepare_central(tmp_path / "loaded.db", RETURNS)
    return make_central(db_name="loaded.db")


def fill(store: Store, count: int = RETURNS) -> Outbox:
    outbox = Outbox(store, "kiosk-07")
    for index in range(count):
        outbox.append_return(barcode(index), datetime.now(UTC))
    return outbox


async def test_load_shedding_shrinks_the_window_and_keeps_the_breaker_closed(loaded_central, store, tmp_path):
    loaded_central.set_fault("rental", latency_ms=(30, 30), capacity=2, retry_after=1)
    outbox = fill(store)
    settings = make_settings(tmp_path, loaded_central.url, relay_parallelism=8, breaker_failure_threshold=2)
    async with CentralClient(settings, owner="agent") as client:
        relay = Relay(store, client, settings)
        result = await relay.drain(60)
        assert result.empty and result.delivered == RETURNS and result.dead == 0
        assert client.breakers["returns"].opened_at is None  # never opened
        assert relay.pacer.cuts >= 1 and relay.pacer.window() < 8
    shed = loaded_central.requests()["rental"] - RETURNS
    assert shed >= 1  # the stand-in did answer 503 + Retry-After
    assert set(loaded_central.key_counts().values()) == {1} and len(loaded_central.key_counts()) == RETURNS
    assert outbox.counts()["delivered"] == RETURNS


async def test_more_kiosks_than_the_central_side_serves_at_once_send_less_than_one_each(
        make_central, tmp_path):
    """Six kiosks drain together into a central side that works on two requests at a time and
    sheds the rest with 503 at once, asking for no pause (``Retry-After: 0``). A window that
    cannot fall below one keeps six requests at it, so more than half are shed and sent again
    (about 2.3 requests per return); below one, each kiosk pauses between sends and fewer are
    shed (about 1.6 per return)."""
    kiosks, per_kiosk = 6, 20
    prepare_central(tmp_path / "fleet.db", kiosks * per_kiosk)
    loaded_central = make_central(db_name="fleet.db")
    loaded_central.set_fault("rental", latency_ms=(50, 50), capacity=2, retry_after=0)

    async def kiosk(k: int) -> tuple[Relay, bool]:
        settings = make_settings(tmp_path / f"kiosk-{k}", loaded_central.url, id=f"kiosk-{k:02d}",
                                 relay_parallelism=4, breaker_failure_threshold=2)
        store = Store.open(settings.db_path)
        outbox = Outbox(store, settings.id)
        for index in range(k * per_kiosk, (k + 1) * per_kiosk):
            outbox.append_return(barcode(index), datetime.now(UTC))
        try:
            async with CentralClient(settings, owner="agent") as client:
                relay = Relay(store, client, settings)
                result = await relay.drain(60)
                assert result.empty and result.delivered == per_kiosk and result.dead == 0
                return relay, client.breakers["returns"].opened_at is None
        finally:
            store.close()

    fleet = await asyncio.gather(*(kiosk(k) for k in range(kiosks)))
    assert all(closed for _relay, closed in fleet)  # overload, not an outage
    assert all(relay.pacer.cuts >= 1 for relay, _closed in fleet)
    total = kiosks * per_kiosk
    sent = loaded_central.requests()["rental"]
    assert sent < 2 * total, f"{sent} requests for {total} returns"
    assert set(loaded_central.key_counts().values()) == {1} and len(loaded_central.key_counts()) == total


async def test_timeouts_under_load_shrink_the_window_and_keep_the_breaker_closed(loaded_central, store, tmp_path):
    # the seed's 610 ms timeout and a service at 300-900 ms, both at half scale: the pauses of a
    # window below one are multiples of the round trip, so the same story takes half the time
    loaded_central.set_fault("rental", latency_ms=(150, 450))  # about half beyond a 305 ms timeout
    fill(store, 8)
    # half the calls time out, so the window sits at its floor: a send every second or so, and a
    # streak of failures lasts longer in time than unpaced; 30 s is "sustained" here
    settings = make_settings(tmp_path, loaded_central.url, relay_parallelism=8, breaker_failure_threshold=2,
                             breaker_sustained_s=30, background_timeout_ms=305)
    async with CentralClient(settings, owner="agent") as client:
        relay = Relay(store, client, settings)
        result = await relay.drain(100)
        assert result.empty and result.delivered == 8
        assert client.breakers["returns"].opened_at is None
        assert relay.pacer.cuts >= 1
    assert set(loaded_central.key_counts().values()) == {1}  # resent under the same keys, applied once


async def test_a_stopped_central_side_opens_the_breaker_at_once(central, tmp_path, store) -> None:
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=3, breaker_sustained_s=3600)
    central.stop()
    async with CentralClient(settings, owner="agent") as client:
        for _ in range(3):
            assert (await client.member_by_card(KIM)).reason is BusyReason.UNREACHABLE
        assert client.breakers.states()["lending"] == "open"
        fast = await client.member_by_card(KIM)
        assert isinstance(fast, Busy) and fast.reason == "breaker_open"


async def test_failures_from_a_live_central_side_open_the_breaker_only_when_sustained(central, tmp_path):
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=3, breaker_sustained_s=0.5)
    central.set_fault("rental", down=True, retry_after=1)
    async with CentralClient(settings) as client:
        first = time.monotonic()
        for _ in range(6):
            assert (await client.member_by_card(KIM)).reason == "service_down"
        if time.monotonic() - first < 0.5:
            assert client.breakers.states()["lending"] == "closed"  # a burst of 503s is not an outage
        while (await client.member_by_card(KIM)).reason == "service_down":
            pass
        assert time.monotonic() - first >= 0.5  # opened once the failures had lasted 0.5 s
        assert client.breakers.states()["lending"] == "open"


async def test_a_success_ends_the_failure_streak(central, tmp_path):
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=2, breaker_sustained_s=0.2)
    async with CentralClient(settings) as client:
        central.set_fault("rental", down=True)
        start = time.monotonic()
        await client.member_by_card(KIM)
        await wait_until_async(lambda: time.monotonic() - start >= 0.25)  # that streak would now count
        central.clear_faults()
        assert isinstance(await client.member_by_card(KIM), Ok)
        central.set_fault("rental", down=True)
        await client.member_by_card(KIM)
        await client.member_by_card(KIM)
        assert client.breakers.states()["lending"] == "closed"  # the streak began after the success


async def test_half_open_lets_exactly_one_trial_through_on_the_patron_path(central, tmp_path):
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=1, breaker_reset_s=0.2)
    async with CentralClient(settings) as client:
        central.stop()
        await client.member_by_card(KIM)
        assert client.breakers.is_open("lending")
        central.start()
        central.set_fault("rental", latency_ms=(200, 200))  # the trial is still out when the rest arrive
        await wait_until_async(lambda: not client.breakers.is_open("lending"))
        before = central.requests().get("rental", 0)
        patrons = await asyncio.gather(*(client.member_by_card(KIM) for _ in range(10)))
        assert central.requests()["rental"] - before == 1
        assert sum(isinstance(answer, Ok) for answer in patrons) == 1
        assert all(answer.reason == "breaker_open" for answer in patrons if isinstance(answer, Busy))
        assert client.breakers.states()["lending"] == "closed"


async def test_a_failed_trial_opens_again_and_a_cancelled_one_frees_the_next(central, tmp_path):
    settings = make_settings(tmp_path, central.url, breaker_failure_threshold=1, breaker_reset_s=0.1)
    async with CentralClient(settings) as client:
        central.set_fault("rental", down=True)
        central.stop()
        await client.member_by_card(KIM)
        central.start()
        await wait_until_async(lambda: not client.breakers.is_open("lending"))
        assert (await client.member_by_card(KIM)).reason == "service_down"  # the trial failed
        assert client.breakers.is_open("lending")
        central.set_fault("rental", latency_ms=(2000, 2000))
        await wait_until_async(lambda: not client.breakers.is_open("lending"))
        trial = asyncio.create_task(client.member_by_card(KIM))
        await wait_until_async(lambda: client.breakers.states()["lending"] == "half-open")
        trial.cancel()
        with pytest.raises(asyncio.CancelledError):
            await trial
        central.clear_faults()
        assert isinstance(await client.member_by_card(KIM), Ok)  # the next call became the trial


def test_reset_times_are_spread_across_a_fleet(tmp_path):
    settings = make_settings(tmp_path, breaker_reset_s=30)
    waits = []
    for seed in range(50):
        breakers = Breakers(settings, rng=random.Random(seed))
        breakers["returns"].open()
        waits.append(breakers.retry_after("returns"))
        with pytest.raises(BreakerOpen):
            breakers["returns"].admit()
    assert all(15 - 0.1 <= wait <= 30 for wait in waits)
    assert max(waits) - min(waits) > 5  # not one wave


def test_the_window_grows_to_its_ceiling_and_halves_once_per_burst():
    pacer = Pacer(8, random.Random(0))
    assert pacer.window() == 1
    burst_sent = time.monotonic()
    for _ in range(10):
        pacer.observe("returns", Ok({}), time.monotonic())
    assert pacer.window() == 8
    busy = InDoubt("returns", DoubtReason.TIMEOUT)
    pacer.observe("returns", busy, burst_sent)
    pacer.observe("returns", busy, burst_sent)  # same burst: no second cut
    assert pacer.window() == 4 and pacer.cuts == 1
    for _ in range(4):
        pacer.observe("returns", Ok({}), time.monotonic())
    assert pacer.window() == 5  # additive once overload was seen: +1 per window of successes
    pacer.observe("returns", Busy("returns", 7.0, BusyReason.SERVICE_DOWN), time.monotonic())
    assert pacer.window() == 2 and 7.0 <= pacer.paused_for("returns") <= 10.5
    assert pacer.paused_for("lending") == 0
    pacer.observe("returns", Busy("returns", 60.0, BusyReason.BREAKER_OPEN), time.monotonic())
    assert pacer.window() == 2 and pacer.paused_for("returns") <= 10.5  # nothing was sent


def test_below_one_the_window_is_a_pause_between_sends():
    pacer = Pacer(4, random.Random(0))
    timeout = InDoubt("returns", DoubtReason.TIMEOUT)
    pacer.observe("returns", Ok({}), time.monotonic() - 0.4)  # a round trip of 0.4 s
    for _ in range(4):  # each a send after the last cut
        pacer.observe("returns", timeout, time.monotonic())
    assert pacer.limit == FLOOR and pacer.window() == 1
    rtt = pacer.rtt_s
    assert rtt is not None and rtt > 0.2
    spacing = rtt * (1 / FLOOR - 1)  # on average FLOOR deliveries in flight
    assert spacing * (1 - SPREAD) - 0.05 <= pacer.paused_for("returns") <= spacing * (1 + SPREAD)
    assert pacer.paused_for("lending") == 0
    for _ in range(round((1 - FLOOR) / STEP_BELOW_ONE) - 1):
        pacer.observe("returns", Ok({}), time.monotonic())
    assert pacer.limit < 1  # below one, a success adds a small step, not a whole delivery
    pacer.observe("returns", Ok({}), time.monotonic())
    pacer.observe("returns", Ok({}), time.monotonic())
    assert pacer.window() == 2
