"""Fixtures of the SIP2 room: a fake ACS on a real socket, settings and a client pointed at it.

``acs(family="koha", **options)`` starts a :class:`backend_stub.sip2_acs.FakeAcs` on 127.0.0.1
with the demo library; ``sip2_settings(tmp_path, acs)`` are kiosk settings with ``central =
"sip2"`` pointed at it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_stub.sip2_acs import FakeAcs
from sync_agent.settings import Settings
from tests.app.conftest import Kiosk


def sip2_settings(tmp_path: Path, acs: FakeAcs, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "id": "kiosk-07", "data_dir": tmp_path / "kiosk", "central": "sip2",
        "sip2_host": "127.0.0.1", "sip2_port": acs.port, "sip2_user": "kiosk",
        "sip2_password": "secret", "sip2_institution": "0042", "sip2_location": "kiosk-07",
        "breaker_failure_threshold": 3, "breaker_reset_s": 30}
    values.update(overrides)
    return Settings(**values)


async def opened_patron(client: Any, card: str) -> int:
    """The member id of ``card`` after its patron information (63) was asked, as the app does."""
    from sync_agent.results import Ok
    member = await client.member_by_card(card)
    assert isinstance(member, Ok), member
    return member.value.id


def sip2_kiosk(settings: Settings) -> Kiosk:
    """The real app on these settings for a Pilot story: no serial devices, no ticking agent and
    no health timer, so every step is driven by the test; close it with ``close``."""
    return Kiosk(settings, tick_s=None, health_every_s=None, with_devices=False)


@pytest.fixture
def acs() -> Iterator[Callable[..., FakeAcs]]:
    started: list[FakeAcs] = []

    def start(family: str = "koha", **options: Any) -> FakeAcs:
        started.append(FakeAcs(family=family, **options).start())
        return started[-1]

    yield start
    for server in started:
        server.stop()
