"""A fake ACS holding many extra copies, in a process of its own, and a plain socket speaking
SIP2 to it: the load and the raw baseline of the SIP2 benchmarks.

The ACS runs in a child process so that its work never shares the interpreter (and its GIL) with
the kiosk being measured, as a real ACS would not. A :class:`RawSip2` is the least any SIP2
client must do: one blocking socket, log in once, then write one frame and read one answer.
"""

from __future__ import annotations

import multiprocessing
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

from stdnum import luhn

from backend_stub.sip2_acs import FakeAcs, Item, Patron, demo_library
from sync_agent.wire.sip2 import Dialect, Frame

USER, PASSWORD = "kiosk", "secret"


def card(n: int) -> str:
    """A valid member card of the demo institution, far from the demo patrons' numbers."""
    body = f"20042{100_000 + n:08d}"
    return body + luhn.calc_check_digit(body)


@dataclass(frozen=True)
class Load:
    """Extra copies for the ACS: ``on_loan`` of them charged to patron ``card(0)``, the rest on
    the shelf; ``patrons`` extra patrons ``card(0..)`` with no loan limit to speak of."""

    copies: tuple[str, ...]
    on_loan: int = 0
    patrons: int = 1


def _serve(load: Load, conn: Connection) -> None:
    now = datetime.now(UTC)
    library = demo_library(now)
    for n in range(load.patrons):
        library.patrons[card(n)] = Patron(card(n), f"Patron {n}", limit=1_000_000)
    for index, barcode in enumerate(load.copies):
        item = Item(barcode, f"Bench copy {index}")
        if index < load.on_loan:
            item.status, item.patron, item.due = "04", card(0), now + timedelta(days=13)
        library.items[barcode] = item
    acs = FakeAcs(library, user=USER, password=PASSWORD).start()
    conn.send(acs.port)
    while (asked := conn.recv()) != "stop":
        with acs._lock:  # the ACS's own lock around its records
            conn.send(dict(acs.library.applied) if asked == "applied" else acs.connections)
    acs.stop()


class AcsProcess:
    """The fake ACS with ``load`` in a child process; ``applied()`` reads its records' counts."""

    def __init__(self, load: Load) -> None:
        self._conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=_serve, args=(load, child), daemon=True)
        self.process.start()
        if not self._conn.poll(60):
            raise RuntimeError("the fake ACS did not start")
        self.port: int = self._conn.recv()

    def applied(self) -> dict[str, int]:
        """``"checkin:<item>"`` / ``"checkout:<item>"`` → times the ACS changed that copy."""
        self._conn.send("applied")
        return self._conn.recv()

    def connections(self) -> int:
        """Connections the ACS has accepted so far (logins of terminals)."""
        self._conn.send("connections")
        return self._conn.recv()

    def stop(self) -> None:
        self._conn.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()


class RawSip2:
    """One blocking socket, logged in: ``ask`` writes one frame and reads its answer."""

    def __init__(self, port: int, dialect: Dialect | None = None) -> None:
        self.dialect = dialect or Dialect()
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buffer = b""
        self._sequence = 0
        login = self.ask(Frame("93", "00", (("CN", USER), ("CO", PASSWORD), ("CP", "bench"))))
        if login.flag(0) != "1":
            raise RuntimeError("the fake ACS refused the login")

    def ask(self, frame: Frame) -> Frame:
        self._sequence = (self._sequence + 1) % 10
        self.sock.sendall(self.dialect.encode(frame, self._sequence))
        while b"\r" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the fake ACS hung up")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r")
        return self.dialect.decode(line)

    def checkin(self, barcode: str, returned: datetime) -> Frame:
        """09 with no-block Y and the patron's return date, as the relay sends a stored return."""
        stamp = self.dialect.date(datetime.now(UTC))
        return self.ask(Frame("09", "Y" + stamp + self.dialect.date(returned), (
            ("AP", "bench"), ("AO", "0042"), ("AB", barcode), ("AC", ""))))

    def checkout(self, patron: str, barcode: str) -> Frame:
        """11 with renewal policy N, as the kiosk sends a checkout."""
        fixed = "NN" + self.dialect.date(datetime.now(UTC)) + " " * 18
        return self.ask(Frame("11", fixed, (("AO", "0042"), ("AA", patron), ("AB", barcode),
                                            ("AC", ""), ("BO", "N"), ("BI", "N"))))

    def close(self) -> None:
        self.sock.close()
