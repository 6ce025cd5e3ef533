"""Fixtures of the SIP2 room: a fake ACS on a real socket, settings and a client pointed at it.

``acs(family="koha", **options)`` starts a :class:`backend_stub.sip2_acs.FakeAcs` on 127.0.0.1
with the demo library; ``sip2_settings(tmp_path, acs)`` are kiosk settings with ``central =
"sip2"`` pointed at it.

Every frame such an ACS reads (what the kiosk sends) and every answer it writes is decoded again
by another codec, PyPI's ``pysip2`` (strict SIP 2.00 models), through the ACS's ``on_frame`` hook;
a frame it rejects fails the test at teardown, with the frame shown. So the kiosk's encoder, the
fake ACS and the wire module they share cannot agree on one mistake. The one exception, narrow
and with its reason, is in :func:`as_pysip2_reads_it`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from pysip2.codec import decode_message
from pysip2.errors import SIP2Error

from backend_stub.sip2_acs import FakeAcs
from sync_agent.settings import Settings
from sync_agent.wire.sip2 import Dialect, checksum
from tests.app.conftest import Kiosk
from tests.sip2.evergreen_peer import real_acs  # noqa: F401 - a session fixture: pytest finds it here by name


class Listening(Protocol):
    """Any ACS on 127.0.0.1 (the fake, a garbage or a scripted one): settings need its port only."""

    port: int


def sip2_settings(tmp_path: Path, acs: Listening, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "id": "kiosk-07", "data_dir": tmp_path / "kiosk", "central": "sip2",
        "sip2_host": "127.0.0.1", "sip2_port": acs.port, "sip2_user": "kiosk",
        "sip2_password": "secret", "sip2_institution": "0042", "sip2_location": "kiosk-07",
        "breaker_failure_threshold": 3, "breaker_reset_s": 30}
    values.update(overrides)
    return Settings(**values)


async def opened_patron(client: Any, card: str) -> int:
    """The member id of ``card`` after its patron information (63) was asked, as the app does."""
    from sync_agent.central.results import Ok
    member = await client.member_by_card(card)
    assert isinstance(member, Ok), member
    return member.value.id


def sip2_kiosk(settings: Settings) -> Kiosk:
    """The real app on these settings for a Pilot story: no serial devices, no ticking agent and
    no health timer, so every step is driven by the test; close it with ``close``."""
    return Kiosk(settings, tick_s=None, health_every_s=None, with_devices=False)


BLANK_DATE = b" " * 18
SOME_DATE = b"20000101    000000"


def as_pysip2_reads_it(line: bytes) -> bytes:
    """The frame as pysip2 takes it: ended by CR alone (it knows no other terminator; the
    dialect's is transport). One exception to its strictness: a checkout (11) or renew (29) with
    no-block N may leave the no-block due date blank, as the kiosk does (it has no offline due
    date to give, and ACSes read that field only under no-block Y: Evergreen's SIPServer,
    ILS.pm); pysip2 demands a date there, so such a blank is given one and the rest checked."""
    frame = line.strip(b"\r\n") + b"\r"
    if frame[:2] in (b"11", b"29") and frame[3:4] == b"N" and frame[22:40] == BLANK_DATE:
        frame = frame[:22] + SOME_DATE + frame[40:]
        if b"AZ" in frame:  # the checksum covered the blank: sum it again over the date
            head = frame[:frame.rindex(b"AZ") + 2]
            frame = head + checksum(head).encode() + b"\r"
    return frame


class IndependentDecoder:
    """An ``on_frame`` hook: pysip2 decodes each frame; what it rejects is kept for the teardown."""

    def __init__(self, dialect: Dialect) -> None:
        self.encoding = dialect.encoding
        self.rejected: list[str] = []
        self.seen = {"in": 0, "out": 0}

    def __call__(self, direction: str, line: bytes) -> None:
        self.seen[direction] += 1
        try:
            decode_message(as_pysip2_reads_it(line), encoding=self.encoding)
        except (SIP2Error, UnicodeDecodeError) as exc:
            self.rejected.append(f"{direction}: {line!r}\n    pysip2: {exc}")


@pytest.fixture
def acs() -> Iterator[Callable[..., FakeAcs]]:
    started: list[tuple[FakeAcs, IndependentDecoder]] = []

    def start(family: str = "koha", **options: Any) -> FakeAcs:
        server = FakeAcs(family=family, **options)
        decoder = IndependentDecoder(server.dialect)
        server.on_frame = decoder
        started.append((server.start(), decoder))
        return server

    yield start
    rejected = [line for server, decoder in started for line in decoder.rejected]
    for server, _ in started:
        server.stop()
    if rejected:
        pytest.fail("pysip2 rejects frames of this test:\n" + "\n".join(rejected), pytrace=False)
