"""A fake SIP2 ACS on 127.0.0.1: the demo library behind a SIP 2.00 server, for tests and the demo.

It plays the two families of library systems whose answers differ where the kiosk must settle a
message whose answer was lost (switch with ``family``):

- ``koha``: a checkin of a copy that is not on loan answers ok=0 unless ``checked_in_ok`` is set
  (Koha's ``checked_in_ok`` SIP account option); no-block is ignored; the return date is honoured
  with its time; a checkout of a copy already out to the patron renews it, whatever the SC
  renewal policy says;
- ``evergreen``: such a checkin answers ok=1; the return date is honoured by day; a repeated
  checkout is refused unless the renewal policy is Y (then renewed, as Koha does: 12 with
  renewal ok Y).

Both drop a connection idle for ``idle_timeout_s`` (their servers' client timeout), refuse a
whole renew all (66 ok=0, "Renewals not allowed.") for a patron who may not renew, and answer an
end patron session (35) with 36 Y, keeping nothing per patron.

Its BX (supported messages, in 98) lists exactly the messages it answers: patron status 23,
checkout, checkin, SC status, resend 97, login, patron information 63, end session, item
information, renew, renew all; ``supported`` may turn some off (a library's configuration), never
add one it cannot answer. A message it does not list is refused where the kiosk reads a refusal (12, 10, 30 with
ok=0, "Message not supported"), else answered 96. Patron status (24 and 64) comes from the demo
data: a blocked card denies the four privileges, fines over ``FINE_LIMIT`` are "excessive
outstanding fines" with the amount in BV, a full allowance is "too many items charged"; a 64 lists
the items its summary asks for (holds AS, overdue AT, charged AU), from start item BP to end item
BQ. A 24 or 64 asked with a patron password (AD) says whether it is the patron's (CQ Y or N; the
demo member's ``pin``), as Evergreen and Koha do; asked without one, it has no CQ. Every answer
is built through the message table (``Frame.build``) and says back the request's institution,
patron and item (AO, AA, AB).

Hostile behaviours (``hostile``) for the next answers: ``garbage``, ``bad_checksum``, ``half``
(half a message, then silence), ``silence``, ``huge`` (a 200 KB line), ``close_mid`` (half a
message, then the connection closes). It imports only the SIP2 wire contract (``sip2_wire`` and
its message table). ``on_frame`` sees every frame read and every answer written, so a test can
have another codec check both.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kiosk_data
from sync_agent.wire.sip2 import ANSWER_OF, MAX_FRAME, ChecksumError, Dialect, Frame, WireError, yes_no
from sync_agent.wire.sip2_messages import MESSAGES, PRIVILEGES_DENIED, SUMMARY, SUMMARY_LIST, SUPPORTED_MESSAGES

DATA_DIR = kiosk_data.DATA_DIR
INSTITUTION, CURRENCY = "0042", "KRW"
LOAN_DAYS = 14
RENEWAL_LIMIT = 2
FINE_LIMIT = 10_000
"""KRW: fines over this are "excessive outstanding fines" (the demo library's limit)."""
CHANGING = frozenset({"09", "11", "29", "65"})
"""Messages that may change the records (written to the state file after each)."""
AVAILABLE, CHARGED, ON_HOLD_SHELF, LOST = "03", "04", "08", "13"
"""SIP circulation statuses (18) the demo library's copies take."""


@dataclass
class Item:
    barcode: str
    title: str
    status: str = AVAILABLE
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
        return [item for item in self.items.values() if item.status == CHARGED and item.patron == card]

    def holds_of(self, card: str) -> list[Item]:
        return [item for item in self.items.values() if item.status == ON_HOLD_SHELF and item.hold_for == card]


def demo_library(now: datetime, data_dir: Path = DATA_DIR) -> Library:
    """The demo data of ``data/*.json`` as an ACS holds it (patrons by card, copies by barcode)."""
    read = lambda name: json.loads((data_dir / f"{name}.json").read_text(encoding="utf-8"))  # noqa: E731 - a one-line reader
    members = {m["id"]: m for m in read("members")}
    books = {b["id"]: b for b in read("items")}
    library = Library()
    for m in members.values():
        if m["status"] == "withdrawn":
            continue  # the ACS no longer knows a withdrawn card
        library.patrons[m["cardNumber"]] = Patron(m["cardNumber"], m["name"], m["status"] == "blocked",
                                                  m["fines"], m["loanLimit"], password=m.get("pin", ""),
                                                  email=m.get("email", ""))
    for b in books.values():
        status = LOST if b["status"] == "withdrawn" else AVAILABLE
        library.items[b["barcode"]] = Item(b["barcode"], b["title"], status)
    for r in read("rentals"):
        item = library.items[books[r["bookId"]]["barcode"]]
        card = members[r["memberId"]]["cardNumber"]
        if r["status"] == "rented":
            start = now - timedelta(days=r["rentedDaysAgo"])
            item.status, item.patron, item.due = CHARGED, card, start + timedelta(days=r["loanDays"])
        elif r["status"] == "reserved":
            item.status, item.hold_for = ON_HOLD_SHELF, card
    return library


class FakeAcs:
    """The ACS: an asyncio server in its own thread, on 127.0.0.1, stoppable and restartable."""

    def __init__(self, library: Library | None = None, *, family: str = "koha", port: int = 0,
                 dialect: Dialect | None = None, user: str = "kiosk", password: str = "secret",
                 checked_in_ok: bool = False, idle_timeout_s: float = 0.0,
                 supported: str | None = None, state: Path | None = None,
                 on_frame: Callable[[str, bytes], None] | None = None) -> None:
        self.state = state
        kept = pickle.loads(state.read_bytes()) if state is not None and state.exists() else None
        self.library = library or kept or demo_library(datetime.now(UTC))
        self.family = family
        self.port = port
        self.dialect = dialect or Dialect()
        self.user, self.password = user, password
        self.checked_in_ok = checked_in_ok
        self.idle_timeout_s = idle_timeout_s
        self.supported = "".join(yes_no(flag == "Y" and command in ANSWERED)
                                 for command, flag in zip(SUPPORTED_MESSAGES, supported or ALL_MESSAGES,
                                                          strict=True))
        """BX: what the ACS lists and answers; ``supported`` turns messages off (a Y for one it
        cannot answer stays N)."""
        self.on_frame = on_frame
        """Called with ("in", bytes) for each line read and ("out", bytes) for each answer
        encoded (before any hostile behaviour mangles it): lets a test check every frame."""
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
                self._seen("in", line)
                try:
                    frame = self.dialect.decode(line)
                except ChecksumError:
                    writer.write(self._seen("out", self.dialect.encode(Frame("96"))))
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
                last_answer = self._seen("out", self.dialect.encode(self.answer(frame), frame.sequence))
                if not await self._send(writer, last_answer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:  # stop(): a session ends quietly, not as a failed task
            return
        finally:
            self._sessions.discard(task)
            writer.close()

    def _seen(self, direction: str, raw: bytes) -> bytes:
        if self.on_frame is not None:
            self.on_frame(direction, raw)
        return raw

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

    def lists(self, command: str) -> bool:
        """Whether this ACS's BX lists ``command`` (messages outside BX, such as 96, are not in it)."""
        return command not in SUPPORTED_MESSAGES or self.supported[SUPPORTED_MESSAGES.index(command)] == "Y"

    def answer(self, frame: Frame) -> Frame:
        now = datetime.now(UTC)
        stamp = self.dialect.date(now)
        handler = getattr(self, f"_m{frame.command}", None)
        if handler is None or not self.lists(frame.command):
            return self._unsupported(frame)
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

    def _unsupported(self, frame: Frame) -> Frame:
        """A message this ACS does not answer: a refusal where the kiosk reads one (checkout,
        checkin, renew), else 96."""
        command = {"11": "12", "09": "10", "29": "30"}.get(frame.command)
        if command is None:
            return Frame("96")
        required = MESSAGES[command].required
        return Frame.build(command, (*_echo(frame, *required), ("AF", "Message not supported")),
                           transaction_date=self.dialect.date(datetime.now(UTC)))

    def _m93(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        return Frame.build("94", ok=frame.get("CN") == self.user and frame.get("CO") == self.password)

    def _m99(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        return Frame.build("98", (("AO", INSTITUTION), ("AM", "Demo Library"), ("BX", self.supported),
                                  ("AN", "kiosk")),
                           online_status=True, checkin_ok=True, checkout_ok=True, acs_renewal_policy=True,
                           timeout_period=30, retries_allowed=3, date_time_sync=stamp)

    def _status(self, patron: Patron | None) -> dict[str, bool]:
        """The patron-status flags of a 24 or 64: an unknown patron may do nothing (as Evergreen
        says it); a blocked card denies all four privileges; fines over the limit and a full
        loan allowance are said as such."""
        if patron is None:
            return dict.fromkeys(PRIVILEGES_DENIED, True)
        return {**dict.fromkeys(PRIVILEGES_DENIED, patron.blocked),
                "too_many_items_charged": len(self.library.loans_of(patron.card)) >= patron.limit,
                "excessive_outstanding_fines": patron.fines > FINE_LIMIT}

    def _about(self, frame: Frame, patron: Patron | None) -> list[tuple[str, str]]:
        """The fields a 24 and a 64 share: who, whether valid, the fees, and why blocked."""
        fields = [*_echo(frame, "AO", "AA"), ("AE", patron.name if patron else "")]
        if patron is None:
            return [*fields, ("BL", "N"), ("AF", "Invalid patron")]
        fields += [("BL", "Y"), ("BH", CURRENCY), ("BV", str(patron.fines))]
        if "AD" in dict(frame.fields):
            fields.append(("CQ", yes_no(frame.get("AD") == patron.password)))
        if patron.blocked:
            fields.append(("AF", "Patron has outstanding fines"))
        return fields

    def _m23(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        patron = self.library.patrons.get(frame.get("AA"))
        return Frame.build("24", self._about(frame, patron), **self._status(patron),
                           language=frame.fixed_field("language"), transaction_date=stamp)

    def _m63(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card = frame.get("AA")
        patron = self.library.patrons.get(card)
        lists: dict[str, list[Item]] = dict.fromkeys(SUMMARY, [])
        fields = self._about(frame, patron)
        if patron is not None:
            loans = self.library.loans_of(card)
            lists.update(hold_items=self.library.holds_of(card), charged_items=loans,
                         overdue_items=[item for item in loans if item.due and item.due < now])
            fields += [("CB", f"{patron.limit:04d}"), ("CC", str(FINE_LIMIT)),
                       *((("BE", patron.email),) if patron.email else ())]
        asked = next((name for name in SUMMARY if frame.yes(f"summary_{name}")), None)
        if asked is not None:  # the one list the summary asks for, from start item to end item
            first = max(frame.integer("BP") or 1, 1)
            last = frame.integer("BQ") or len(lists[asked])
            fields += [(SUMMARY_LIST[asked], item.barcode) for item in lists[asked][first - 1:last]]
        counts = {f"{name}_count": min(len(items), 9999) for name, items in lists.items()}  # 4 digits
        return Frame.build("64", fields, **self._status(patron), **counts,
                           language=frame.fixed_field("language"), transaction_date=stamp)

    def _m17(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        item = self.library.items.get(frame.get("AB"))
        if item is None:
            return Frame.build("18", (*_echo(frame, "AB"), ("AJ", ""), ("AF", "Item not found")),
                               transaction_date=stamp)
        fields = [("AB", item.barcode), ("AJ", item.title), ("AQ", INSTITUTION)]
        if item.due is not None and item.status == CHARGED:
            fields.append(("AH", self.dialect.date(item.due)))
        if item.hold_for:  # hold queue length, as Koha and Evergreen send it
            fields.append(("CF", "1"))
        return Frame.build("18", fields, circulation_status=item.status, transaction_date=stamp)

    def _m11(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card, barcode = frame.get("AA"), frame.get("AB")
        patron = self.library.patrons.get(card)
        item = self.library.items.get(barcode)

        def refuse(why: str) -> Frame:
            return Frame.build("12", (*_echo(frame, "AO", "AA", "AB"), ("AJ", item.title if item else ""),
                                      ("AH", ""), ("AF", why)), transaction_date=stamp)

        if patron is None:
            return refuse("Invalid patron")
        if item is None:
            return refuse("Item not found")
        if patron.blocked:
            return refuse("Patron blocked: outstanding fines")
        if item.status == CHARGED and item.patron == card:  # a renewal, as Koha and Evergreen do
            if self.family == "evergreen" and not frame.yes("sc_renewal_policy"):
                return refuse("Renewals not permitted")
            said = "Item already checked out to you: renewing item." if self.family == "koha" else ""
            return self._renew(frame, item, now, stamp, said)
        if item.status == ON_HOLD_SHELF and item.hold_for != card:
            return refuse("Item is on hold for another patron")
        if item.status in (CHARGED, LOST):
            return refuse("Item not available" if item.status == CHARGED else "Item is lost")
        if len(self.library.loans_of(card)) >= patron.limit:
            return refuse("Patron has reached the checkout limit")
        item.status, item.patron, item.hold_for = CHARGED, card, ""
        item.due, item.renewals = now + timedelta(days=LOAN_DAYS), 0
        self.library.count(f"checkout:{barcode}")
        return Frame.build("12", (*_echo(frame, "AO", "AA", "AB"), ("AJ", item.title),
                                  ("AH", self.dialect.date(item.due))),
                           ok=True, desensitize=True, transaction_date=stamp)

    def _m09(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        item = self.library.items.get(frame.get("AB"))
        if item is None:
            return Frame.build("10", (*_echo(frame, "AO", "AB"), ("AQ", ""), ("AF", "Item not found")),
                               transaction_date=stamp)
        base = (*_echo(frame, "AO", "AB"), ("AQ", INSTITUTION), ("AJ", item.title))
        if item.status != CHARGED:
            return Frame.build("10", (*base, ("AF", "Item not checked out")), transaction_date=stamp,
                               ok=self.family == "evergreen" or self.checked_in_ok)
        returned = self.dialect.parse_date(frame.fixed_field("return_date")) or now
        if self.family == "evergreen":
            returned = returned.replace(hour=0, minute=0, second=0)
        item.status, item.returned_at, patron = AVAILABLE, returned, item.patron
        item.patron, item.due = "", None
        self.library.count(f"checkin:{item.barcode}")
        return Frame.build("10", (*base, ("AA", patron)), ok=True, resensitize=True, transaction_date=stamp)

    def _m29(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        item = self.library.items.get(frame.get("AB"))
        if item is None or item.status != CHARGED or item.patron != frame.get("AA"):
            return Frame.build("30", (*_echo(frame, "AO", "AA", "AB"), ("AJ", ""), ("AH", ""),
                                      ("AF", "Item not checked out to this patron")), transaction_date=stamp)
        return self._renew(frame, item, now, stamp)

    def _why_not_renewed(self, item: Item, now: datetime) -> str:
        """Why this ACS does not renew the loan, or "" if it does."""
        if self.library.patrons[item.patron].blocked:
            return "Patron blocked: outstanding fines"
        if item.hold_for and item.hold_for != item.patron:
            return "Item is on hold for another patron"
        if item.renewals >= RENEWAL_LIMIT:
            return "Renewal limit reached"
        if self.library.no_renewal_overdue and item.due is not None and item.due < now:
            return "Item is overdue and cannot be renewed"
        return ""

    def _extend(self, item: Item, now: datetime) -> None:
        item.renewals += 1
        item.due = max(item.due or now, now) + timedelta(days=LOAN_DAYS)

    def _renew(self, frame: Frame, item: Item, now: datetime, stamp: str, said: str = "") -> Frame:
        """The answer (12 to a checkout, 30 to a renew) to renewing a loan of the patron's."""
        command = ANSWER_OF[frame.command]
        base = (*_echo(frame, "AO", "AA", "AB"), ("AJ", item.title))
        why = self._why_not_renewed(item, now)
        if why:
            return Frame.build(command, (*base, ("AH", self.dialect.date(item.due or now)), ("AF", why)),
                               transaction_date=stamp)
        self._extend(item, now)
        assert item.due is not None
        fields = (*base, ("AH", self.dialect.date(item.due)), *((("AF", said),) if said else ()))
        return Frame.build(command, fields, ok=True, renewal_ok=True, transaction_date=stamp)

    def _m65(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        card = frame.get("AA")
        patron = self.library.patrons.get(card)
        if patron is None or patron.blocked:
            why = "Invalid patron barcode." if patron is None else "Renewals not allowed."
            return Frame.build("66", (*_echo(frame, "AO"), ("AF", why)), transaction_date=stamp)
        renewed, unrenewed = [], []
        for item in self.library.loans_of(card):
            if self._why_not_renewed(item, now):
                unrenewed.append(item.barcode)
            else:
                self._extend(item, now)
                renewed.append(item.barcode)
        fields = (*_echo(frame, "AO"), *(("BM", b) for b in renewed), *(("BN", b) for b in unrenewed))
        return Frame.build("66", fields, ok=True, renewed_count=len(renewed), unrenewed_count=len(unrenewed),
                           transaction_date=stamp)

    def _m35(self, frame: Frame, now: datetime, stamp: str) -> Frame:
        return Frame.build("36", _echo(frame, "AO", "AA"), end_session=True, transaction_date=stamp)


ANSWERED = frozenset({"97"} | {command for command in MESSAGES if hasattr(FakeAcs, f"_m{command}")})
"""The requests the fake ACS answers: its handlers, and the resend of its last answer (97)."""
ALL_MESSAGES = "".join(yes_no(command in ANSWERED) for command in SUPPORTED_MESSAGES)
"""Its BX: exactly the messages it answers."""


def _echo(frame: Frame, *field_ids: str) -> tuple[tuple[str, str], ...]:
    """The request's own fields (institution, patron, item) said back, as an answer must."""
    return tuple((field_id, frame.get(field_id)) for field_id in field_ids)


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
