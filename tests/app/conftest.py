"""Fixtures of the app room: a kiosk app on a real store, client and relay.

``kiosk`` builds a :class:`KioskApp` against the ``central`` stand-in (real HTTP on 127.0.0.1) and
a store on disk, with the catalog fetched once as the agent would; the inactivity and health timers
are off so tests drive them (``app.tick()``, ``app.check_health()``). Its patron calls wait up to
:data:`PATRON_DEADLINE_MS`, not the seed's 610 ms: the stand-in answers from a thread of the same
process, and on a loaded machine (the suite's other worker, other processes) an answer can take
longer than 610 ms, which turns a flow into its "central side busy" variant at random. A test
about that deadline passes ``call_timeout_ms=610`` itself (test_saga.py). ``offline_kiosk`` builds
one whose central API address answers nothing (port 9), for snapshots and the central-down cases
that need no server at all. ``rig`` builds no app at all: the use-cases and the agent's relay over
a store, for the lending saga's use-case tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hardware.codes import classify
from kiosk_app.app import KioskApp
from kiosk_app.composition import build_kiosk
from kiosk_app.messages import Scanned
from sync_agent.agent.relay import Relay
from sync_agent.central.adapters import make_central
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.status import breaker_recorder

from .saga_rig import NOW, CentralFor, Rig

FIXED_NOW = datetime(2026, 11, 21, 5, 30, tzinfo=UTC)
SESSION_ID = "26112114300042"
SIZE = (100, 32)
PATRON_DEADLINE_MS = 5000


def make_settings(tmp_path: Path, api_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"id": "kiosk-07", "data_dir": tmp_path / "kiosk", "api_url": api_url,
                              "breaker_failure_threshold": 3, "breaker_reset_s": 30}
    values.update(overrides)
    return Settings(**values)


class Kiosk:
    """The pieces behind one app, closed together."""

    def __init__(self, settings: Settings, **app_options: Any) -> None:
        self.settings = settings
        self.store = Store.open(settings.db_path)
        self.client = make_central(settings, owner="app")
        options = {"tick_s": None, "health_every_s": None, "with_devices": False}
        options.update(app_options)
        self.app = build_kiosk(settings, self.store, self.client, **options)
        self.lending = self.app.lending
        self.relay = self.lending.relay

    async def close(self) -> None:
        await self.client.aclose()
        self.store.close()


def held_borrows(k: Kiosk) -> asyncio.Event:
    """Make each borrow of ``k`` wait for the event returned before it is asked: a borrow in
    flight for as long as the test needs (set the event to let it go)."""
    gate = asyncio.Event()
    borrow = k.lending.borrow

    async def held(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await borrow(*args, **kwargs)

    k.lending.borrow = held  # type: ignore[method-assign]  # the test's stand-in for a slow answer
    return gate


def scan(app: KioskApp, code: str) -> None:
    """Deliver a scan as the drivers do (classified, posted as a message)."""
    found = classify(code, app.settings.institution)
    app.post_message(Scanned(found.kind, found.code))


@pytest.fixture
async def kiosk(tmp_path: Path, central) -> AsyncIterator[Callable[..., Kiosk]]:
    built: list[Kiosk] = []

    def build(app_options: dict[str, Any] | None = None, **overrides: Any) -> Kiosk:
        api_url = overrides.pop("api_url", central.url)
        overrides.setdefault("call_timeout_ms", PATRON_DEADLINE_MS)
        made = Kiosk(make_settings(tmp_path, api_url, **overrides), **(app_options or {}))
        built.append(made)
        return made

    yield build
    for made in built:
        await made.close()


@pytest.fixture
async def offline_kiosk(tmp_path: Path) -> AsyncIterator[Callable[..., Kiosk]]:
    built: list[Kiosk] = []

    def build(app_options: dict[str, Any] | None = None, **overrides: Any) -> Kiosk:
        options = {"clock": lambda: FIXED_NOW, "session_ids": lambda now: SESSION_ID}
        options.update(app_options or {})
        made = Kiosk(make_settings(tmp_path, "http://127.0.0.1:9", **overrides), **options)
        built.append(made)
        return made

    yield build
    for made in built:
        await made.close()


async def settle(pilot: Any) -> None:
    """Let queued messages, the patron queue and the repaint all finish."""
    await pilot.pause()
    await pilot.app.drain()
    await pilot.pause()


async def scan_and_settle(pilot: Any, *codes: str) -> None:
    for code in codes:
        scan(pilot.app, code)
        await settle(pilot)


class Agent:
    """The agent's side of the kiosk, in this process: its own store connection, client (breakers
    of owner ``agent``) and relay, as ``kiosk-sync run`` builds them."""

    def __init__(self, settings: Settings) -> None:
        self.store = Store.open(settings.db_path)
        self.client = make_central(settings, owner="agent")
        self.client.breakers.report_to(breaker_recorder(self.store, "agent"))
        self.relay = Relay(self.store, self.client, settings, role="agent")

    async def close(self) -> None:
        await self.client.aclose()
        self.store.close()


@pytest.fixture
async def agent_for() -> AsyncIterator[Callable[[Kiosk], Agent]]:
    """``agent_for(kiosk)``: the agent of that kiosk (same settings, same store file)."""
    made: list[Agent] = []

    def build(k: Kiosk) -> Agent:
        made.append(Agent(k.settings))
        return made[-1]

    yield build
    for agent in made:
        await agent.close()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Callable[..., Rig]]:
    """``rig(central_for, now=NOW, **settings)``: a ``Lending`` and the agent's relay over one
    store on disk, with no screen (``saga_rig.Rig``); kiosk ``kiosk-07``, other settings as given."""
    made: list[Rig] = []

    def build(central_for: CentralFor, now: datetime = NOW, **overrides: Any) -> Rig:
        made.append(Rig(Settings(**{"id": "kiosk-07", "data_dir": tmp_path / "kiosk", **overrides}),
                        central_for, now))
        return made[-1]

    yield build
    for built in made:
        await built.close()


def central_get(central: Any, path: str, **params: Any) -> Any:
    """The stand-in's own records (``/rentals``, ``/payments``), for checks after the fact."""
    import httpx
    return httpx.get(f"{central.url}{path}", params=params).json()
