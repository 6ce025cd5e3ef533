"""A fake SIP2 ACS on 127.0.0.1: the demo library behind a SIP 2.00 server, for tests and the demo.

It plays the two families of library systems whose answers differ where the kiosk must settle a
message whose answer was lost (switch with ``family``):

- ``koha``: a checkin of a copy that is not on loan answers ok=0 unless ``checked_in_ok`` is set
  (Koha's ``checked_in_ok`` SIP account option); no-block is ignored; the return date is honoured
  with its time; a checkout of a copy already out to the patron renews it, whatever the SC
  renewal policy says;
- ``evergreen``: such a checkin answers ok=1; the return date is honoured by day; a repeated
  checkout is refused unless the renewal policy is Y; messages missing from the
  supported-messages flags (BX, sent in 98) are answered with nothing useful (``unsupported``).

Both drop a connection idle for ``idle_timeout_s`` (their servers' client timeout), refuse a
whole renew all (66 ok=0, "Renewals not allowed.") for a patron who may not renew, and answer an
end patron session (35) with 36 Y, keeping nothing per patron.

Hostile behaviours (``hostile``) for the next answers: ``garbage``, ``bad_checksum``, ``half``
(half a message, then silence), ``silence``, ``huge`` (a 200 KB line), ``close_mid`` (half a
message, then the connection closes). It imports only the SIP2 wire contract.

With a ``state`` file (``--state``, the demo's), the records are written there after every message
that changes them and read back at start, so a stopped and restarted ACS still knows what it was
told, as a real library system does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kiosk_data
from sync_agent.sip2_wire import MAX_FRAME, ChecksumError, Dialect, Frame, WireError

DATA_DIR = kiosk_data.DATA_DIR
LOAN_DAYS = 14
RENEWAL_LIMIT = 2
CHANGING = frozenset({"09", "11", "29", "65"})
"""Messages that may change the records (written to the state file after each)."""
ALL_MESSAGES = "YYYYYYYYYYYYYYYY"
"""BX: patron status, checkout, checkin, block, SC/ACS status, resend, login, patron info, end
session, fee paid, item info, item status update, patron enable, hold, renew, renew all."""


@dataclass
class Item:
    barcode: str
    title: str
    status: str = "03"  # SIP circulation status: 03 available, 04 charged, 08 on hold shelf, 13 lost
    patron: str = ""
    due: datetime | None = None
    hold_for: str = ""
    renewals: int = 0
    returned_at: datetime | None = None


@dataclass
class Patron:
    card: str
    name: str
    blocked: bool = False
    fines: int = 0
    limit: int = 5
    password: str = ""
    email: str = ""


@dataclass
class Library:
    """The ACS's records; changed only by the messages it answers."""

    patrons: dict[str, Patron] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    no_renewal_overdue: bool = True
    applied: dict[str, int] = field(default_factory=dict)
    """``"checkin:<item>"`` / ``"checkout:<item>"``: times the ACS changed a copy (once per act)."""

    def count(self, what: str) -> None:
        self.applied[what] = self.applied.get(what, 0) + 1

    def loans_of(self, card: str) -> list[Item]:
        return [item for item in self.items.values() if item.status == "04" and item.patron == card]

    def holds_of(self, card: str) -> list[Item]:
        return [item for item in self.items.values() if item.status == "08" and item.hold_for == card]


def demo_library(now: datetime, data_dir: Path = DATA_DIR) -> Library:
    """The demo data of ``data/*.json`` as an ACS holds it (patrons by card, copies by barcode)."""
    read = lambda name: json.loads((data_dir / f"{name}.json").read_text(encoding="utf-8"))  # noqa: E731
    members = {m["id"]: m for m in read("members")}
    books = {b["id"]: b for b in read("items")}
    library = Library()
    for m in members.values():
        if m["status"] == "withdrawn":
            continue  # the ACS no longer knows a withdrawn card
        library.patrons[m["cardNumber"]] = Patron(m["cardNumber"], m["name"], m["status"] == "blocked",
                                                  m["fines"], m["loanLimit"], email=m.get("email", ""))
    for b in books.values():
        status = "13" if b["status"] == "withdrawn" else "03"
        library.items[b["barcode"]] = Item(b["barcode"], b["title"], status)
    for r in read("rentals"):
        item = library.items[books[r["bookId"]]["barcode"]]
        card = members[r["memberId"]]["cardNumber"]
        if r["status"] == "rented":
            start = now - timedelta(days=r["rentedDaysAgo"])
            item.status, item.patron, item.due = "04", card, start + timedelta(days=r["loanDays"])
        elif r["status"] == "reserved":
            item.status, item.hold_for = "08", card
    return library


class FakeAcs:
    """The ACS: an asyncio server in its own thread, on 127.0.0.1, stoppable and restartable."""

    def __init__(self, library: Library | None = None, *, family: str = "koha", port: int = 0,
                 dialect: Dialect | None = None, user: str = "kiosk", password: str = "secret",
                 checked_in_ok: bool = False, idle_timeout_s: float = 0.0,
                 supported: str = ALL_MESSAGES, state: Path | None = None) -> None:
        self.state = state
        kept = pickle.loads(state.read_bytes()) if state is not None and state.exists() else None
        self.library = library or kept or demo_library(datetime.now(UTC))
        self.family = family
        self.port = port
        self.dialect = dialect or Dialect()
        self.user, self.password = user, password
        self.checked_in_ok = checked_in_ok
        self.idle_timeout_s = idle_timeout_s
        self.supported = supported
        self.hostile: list[str] = []
        """Behaviours for the next answers, one per answer, in order."""
        self.received: list[Frame] = []
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def commands(self) -> list[str]:
        with self._lock:
            return [frame.command for frame in self.received]

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeAcs:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._server = await asyncio.start_server(self._session, "127.0.0.1", self.port,
                                                      limit=MAX_FRAME * 4)
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()

        def run() -> None:
            assert self._loop is not None
            self._loop.run_until_complete(serve())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-acs", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        """Close the listener and every open connection (a restart keeps the port and records)."""
        if self._loop is None:
            return
        loop = self._loop

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._sessions):
                task.cancel()
            await asyncio.gather(*self._sessions, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        loop.close()
        self._loop = None

    @property
    def open_sessions(self) -> int:
        """Connections being served now (one dropped for idleness is gone from here)."""
        return len(self._sessions)

    # -- one connection ------------------------------------------------------------------------

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._sessions.add(task)
        last_answer = b""
        try:
            while True:
                line = await self._read(reader)
                if line is None:
                    return
                try:
                    frame = self.dialect.decode(line)
                except ChecksumError:
                    writer.write(self.dialect.encode(Frame("96")))
                    await writer.drain()
                    continue
                except WireError:
                    continue
                with self._lock:
                    self.received.append(frame)
                if frame.command == "97":
                    if not await self._send(writer, last_answer):
                        return
                    continue
                answer = self.dialect.encode(self.answer(frame), frame.sequence)
                last_answer = answer
                if not await self._send(writer, answer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:  # stop(): a session ends quietly, not as a failed task
            return
        finally:
            self._sessions.discard(task)
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> bytes | None:
        try:
            if self.idle_timeout_s:
                async with asyncio.timeout(self.idle_timeout_s):
                    return await reader.readuntil(b"\r")
            return await reader.readuntil(b"\r")
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None

    async def _send(self, writer: asyncio.StreamWriter, answer: bytes) -> bool:
        """Write the answer, or what the next hostile behaviour makes of it; False: hang up."""
        behaviour = self.hostile.pop(0) if self.hostile else ""
        if behaviour == "garbage":
            writer.write(b"\x00\xff<html>nonsense</html>\r")
        elif behaviour == "bad_checksum":
            writer.write(answer[:-5] + b"0000" + answer[-1:] if b"AZ" in answer else b"12XX\r")
        elif behaviour == "huge":
            writer.write(b"64" + b"Y" * 200_000 + b"\r")
        elif behaviour in ("half", "close_mid"):
            writer.write(answer[: len(answer) // 2])
            await writer.drain()
            if behaviour == "close_mid":
                return False
            await asyncio.sleep(3600)
        elif behaviour == "silence":
            await asyncio.sleep(3600)
        else:
            writer.write(answer)
        await writer.drain()
        return True

    # -- the messages --------------------------------------------------------------------------

    def answer(self, frame: Frame) -> Frame:
        now = datetime.now(UTC)
        stamp = self.dialect.date(now)
        handler = getattr(self, f"_m{frame.command}", None)
        index = {"23": 0, "11": 1, "09": 2, "99": 4, "93": 6, "63": 7, "35": 8, "17": 10,
                 "29": 14, "65": 15}.get(frame.command)
        if handler is None or (self.family == "evergreen" and index is not None
                               and self.supported[index] != "Y"):
            return Frame("96") if handler is None else self._unsupported(frame, stamp)
        with self._lock:
            answer = handler(frame, now, stamp)
            if self.state is not None and frame.command in CHANGING:
                self._keep()
            return answer

    def _keep(self) -> None:
        """Write the records to the state file (whole, then renamed: never half a file)."""
        assert self.state is not None
        partial = self.state.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(self.library))
        os.replace(partial, self.state)

    def _unsupported(self, frame: Frame, stamp: str) -> Frame:
        answer = {"11": "12", "09": "10", "29": "30"}.get(frame.command, "96")
        if answer == "96":
            return Frame("96")
        return Frame(answer, "0NNN" + stamp, (("AO", frame.get("AO")), ("AB", frame.get("AB")),
                                              ("AF", "Message not supported")))

    def _m93(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        good = frame.get("CN") == self.user and frame.get("CO") == self.password
        return Frame("94", "1" if good else "0")

    def _m99(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        fixed = "YYYYNN" + "030" + "003" + stamp + "2.00"
        return Frame("98", fixed, (("AO", "0042"), ("AM", "Demo Library"), ("BX", self.supported),
                                   ("AN", "kiosk")))

    def _m63(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card = frame.get("AA")
        patron = self.library.patrons.get(card)
        if patron is None:
            return Frame("64", "Y" * 4 + " " * 10 + "000" + stamp + "0000" * 6,
                         (("AO", frame.get("AO")), ("AA", card), ("AE", ""), ("BL", "N"),
                          ("AF", "Invalid patron")))
        loans = self.library.loans_of(card)
        holds = self.library.holds_of(card)
        overdue = [item for item in loans if item.due and item.due < now]
        flags = ("Y" if patron.blocked else " ") * 4 + " " * 10
        counts = f"{len(holds):04d}{len(overdue):04d}{len(loans):04d}0000" + "0000" * 2
        fields: list[tuple[str, str]] = [
            ("AO", frame.get("AO")), ("AA", card), ("AE", patron.name), ("BL", "Y"),
            ("CB", f"{patron.limit:04d}"), ("BH", "KRW"), ("BV", str(patron.fines)),
            *((("BE", patron.email),) if patron.email else ())]
        fields += [("AS", item.barcode) for item in holds]
        fields += [("AU", item.barcode) for item in loans]
        fields += [("AT", item.barcode) for item in overdue]
        if patron.blocked:
            fields.append(("AF", "Patron has outstanding fines"))
        return Frame("64", flags + "000" + stamp + counts, tuple(fields))

    def _m17(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        item = self.library.items.get(frame.get("AB"))
        if item is None:
            return Frame("18", "01" + "00" + "01" + stamp, (("AB", frame.get("AB")), ("AJ", ""),
                                                            ("AF", "Item not found")))
        fields = [("AB", item.barcode), ("AJ", item.title), ("AQ", "0042")]
        if item.due is not None and item.status == "04":
            fields.append(("AH", self.dialect.date(item.due)))
        if item.hold_for:  # hold queue length, as Koha and Evergreen send it
            fields.append(("CF", "1"))
        return Frame("18", item.status + "00" + "01" + stamp, tuple(fields))

    def _m11(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card, barcode = frame.get("AA"), frame.get("AB")
        patron = self.library.patrons.get(card)
        item = self.library.items.get(barcode)
        base = (("AO", frame.get("AO")), ("AA", card), ("AB", barcode))

        def refuse(why: str) -> Frame:
            return Frame("12", "0N" + "NN" + stamp, (*base, ("AJ", item.title if item else ""),
                                                      ("AH", ""), ("AF", why)))

        if patron is None:
            return refuse("Invalid patron")
        if item is None:
            return refuse("Item not found")
        if patron.blocked:
            return refuse("Patron blocked: outstanding fines")
        if item.status == "04" and item.patron == card:
            if self.family == "evergreen" and frame.flag(0) != "Y":
                return refuse("Renewals not permitted")
            renewed = self._renew(card, item, now, stamp, "12")
            if self.family == "koha" and renewed.flag(0) == "1":  # Koha: a renewal, said as such
                return Frame("12", "1Y" + renewed.fixed[2:], (*renewed.fields, (
                    "AF", "Item already checked out to you: renewing item.")))
            return renewed
        if item.status == "08" and item.hold_for != card:
            return refuse("Item is on hold for another patron")
        if item.status in ("04", "13"):
            return refuse("Item not available" if item.status == "04" else "Item is lost")
        if len(self.library.loans_of(card)) >= patron.limit:
            return refuse("Patron has reached the checkout limit")
        item.status, item.patron, item.hold_for = "04", card, ""
        item.due, item.renewals = now + timedelta(days=LOAN_DAYS), 0
        self.library.count(f"checkout:{barcode}")
        return Frame("12", "1N" + "NY" + stamp, (*base, ("AJ", item.title),
                                                  ("AH", self.dialect.date(item.due))))

    def _m09(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        barcode = frame.get("AB")
        item = self.library.items.get(barcode)
        base = [("AO", frame.get("AO")), ("AB", barcode), ("AQ", "0042")]
        if item is None:
            return Frame("10", "0NNN" + stamp, (*base, ("AF", "Item not found")))
        base.append(("AJ", item.title))
        if item.status != "04":
            ok = self.family == "evergreen" or self.checked_in_ok
            return Frame("10", ("1" if ok else "0") + "NNN" + stamp,
                         (*base, ("AF", "Item not checked out")))
        returned = self.dialect.parse_date(frame.fixed[19:37]) or now
        if self.family == "evergreen":
            returned = returned.replace(hour=0, minute=0, second=0)
        item.status, item.returned_at, patron = "03", returned, item.patron
        item.patron, item.due = "", None
        self.library.count(f"checkin:{barcode}")
        return Frame("10", "1YNN" + stamp, (*base, ("AA", patron)))

    def _m29(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card, barcode = frame.get("AA"), frame.get("AB")
        item = self.library.items.get(barcode)
        if item is None or item.status != "04" or item.patron != card:
            return Frame("30", "0NNN" + stamp, (("AO", frame.get("AO")), ("AA", card),
                                                ("AB", barcode), ("AJ", ""), ("AH", ""),
                                                ("AF", "Item not checked out to this patron")))
        return self._renew(card, item, now, stamp, "30")

    def _renew(self, card: str, item: Item, now: datetime, stamp: str, command: str) -> Frame:
        patron = self.library.patrons[card]
        base = (("AO", "0042"), ("AA", card), ("AB", item.barcode), ("AJ", item.title))
        why = ""
        if patron.blocked:
            why = "Patron blocked: outstanding fines"
        elif item.hold_for and item.hold_for != card:
            why = "Item is on hold for another patron"
        elif item.renewals >= RENEWAL_LIMIT:
            why = "Renewal limit reached"
        elif self.library.no_renewal_overdue and item.due is not None and item.due < now:
            why = "Item is overdue and cannot be renewed"
        if why:
            return Frame(command, "0NNN" + stamp, (*base, ("AH", self.dialect.date(item.due or now)),
                                                   ("AF", why)))
        item.renewals += 1
        item.due = max(item.due or now, now) + timedelta(days=LOAN_DAYS)
        return Frame(command, "1YNN" + stamp, (*base, ("AH", self.dialect.date(item.due))))

    def _m65(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card = frame.get("AA")
        patron = self.library.patrons.get(card)
        if patron is None or patron.blocked:
            why = "Invalid patron barcode." if patron is None else "Renewals not allowed."
            return Frame("66", "0" + "0000" + "0000" + stamp, (("AO", frame.get("AO")), ("AA", card),
                                                                ("AF", why)))
        renewed, unrenewed = [], []
        for item in self.library.loans_of(card):
            answer = self._renew(card, item, now, stamp, "30")
            (renewed if answer.fixed[0] == "1" else unrenewed).append(item.barcode)
        fields = [("AO", frame.get("AO"))] + [("BM", b) for b in renewed] + [("BN", b) for b in unrenewed]
        return Frame("66", f"1{len(renewed):04d}{len(unrenewed):04d}" + stamp, tuple(fields))

    def _m35(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        return Frame("36", "Y" + stamp, (("AO", frame.get("AO")), ("AA", frame.get("AA"))))


def main(argv: list[str] | None = None) -> int:
    """``python -m backend_stub.sip2_acs --port N [--family koha|evergreen]``: serve until killed."""
    parser = argparse.ArgumentParser(prog="sip2-acs", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=6001)
    parser.add_argument("--family", choices=["koha", "evergreen"], default="koha")
    parser.add_argument("--user", default="kiosk")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--state", type=Path, default=None,
                        help="file that keeps the records across a restart (default: none)")
    args = parser.parse_args(argv)
    acs = FakeAcs(family=args.family, port=args.port, user=args.user, password=args.password,
                  state=args.state).start()
    print(f"fake ACS ({args.family}) on {acs.address}", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
