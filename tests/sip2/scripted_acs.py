"""A scripted ACS for answers no honest ACS gives: real asyncio TCP on 127.0.0.1, in the test's loop.

A test says what the ACS answers to each command, as a function of the request; login (93) and
status (99) are answered as an honest ACS answers them. Every request is recorded, so a test can
count what the kiosk sent. The answers are built with the shared wire contract (``sip2_wire``), so
they are well-formed frames whose *content* is hostile: another item, another patron, a number no
parser expects.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sync_agent.wire.sip2 import Dialect, Frame

SIP_DATE = "20261121    143000"
Answer = Callable[[Frame], Frame]


def checkin(ok: str, item: str, **fields: str) -> Frame:
    """A 10: ok, resensitize Y, magnetic N, alert N, date."""
    return Frame("10", ok + "YNN" + SIP_DATE, (("AO", "0042"), ("AB", item), *fields.items()))


def checkout(ok: str, item: str, patron: str, renewal: str = "N", **fields: str) -> Frame:
    """A 12: ok, renewal ok, magnetic N, desensitize Y, date."""
    return Frame("12", ok + renewal + "NY" + SIP_DATE,
                 (("AO", "0042"), ("AA", patron), ("AB", item), *fields.items()))


def item_info(item: str, circulation: str = "03", **fields: str) -> Frame:
    """An 18: circulation status, security marker, fee type, date."""
    return Frame("18", circulation + "0001" + SIP_DATE, (("AB", item), *fields.items()))


def patron_info(patron: str, status: str = " " * 14, *, charged: tuple[str, ...] = (),
                **fields: str) -> Frame:
    """A 64 with the 14 patron-status flags ``status``, the patron's charged items (AU)."""
    counts = "0000" * 2 + f"{len(charged):04d}" + "0000" * 3
    head = (("AO", "0042"), ("AA", patron), ("AE", fields.pop("AE", "Test Patron")),
            ("BL", fields.pop("BL", "Y")))
    return Frame("64", status.ljust(14) + "000" + SIP_DATE + counts,
                 (*head, *(("AU", barcode) for barcode in charged), *fields.items()))


def renewal(ok: str, item: str, patron: str, **fields: str) -> Frame:
    """A 30: ok, renewal ok Y, magnetic N, desensitize Y, date."""
    return Frame("30", ok + "YNY" + SIP_DATE, (("AO", "0042"), ("AA", patron), ("AB", item),
                                               *fields.items()))


class ScriptedAcs:
    """An ACS on 127.0.0.1 answering each command with ``answers[command](request)``."""

    def __init__(self, answers: dict[str, Answer], dialect: Dialect | None = None) -> None:
        self.answers = answers
        self.dialect = dialect or Dialect()
        self.received: list[Frame] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedAcs:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 1)

    def commands(self) -> list[str]:
        return [frame.command for frame in self.received]

    def sent(self, command: str) -> list[Frame]:
        return [frame for frame in self.received if frame.command == command]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readuntil(self.dialect.terminator)
                request = self.dialect.decode(line)
                self.received.append(request)
                writer.write(self.dialect.encode(self._answer(request), request.sequence))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _answer(self, request: Frame) -> Frame:
        if request.command == "93":
            return Frame("94", "1")
        if request.command == "99":
            return Frame("98", "YYYYNN030003" + SIP_DATE + "2.00", (("AO", "0042"), ("BX", "Y" * 16)))
        return self.answers[request.command](request)
