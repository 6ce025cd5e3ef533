"""The outage day: the whole kiosk through a bad day, with real processes on 127.0.0.1.

``kiosk-backend`` (faults and the admin API on), ``kiosk-sync run`` and ``kiosk run`` (Textual's
headless driver, chosen by ``TEXTUAL_DRIVER``) share nothing but the network and the kiosk's SQLite
file; patrons act only through a scanner pty (``hardware.sim.VirtualScanner``). While they return
and borrow, a chaos thread walks the central API through phases (calm; 5xx at 10% with dropped
connections; down; slow at 400-620 ms; book management alone down), moves the stand-in's clock on
by hours at each phase (a day passes in seconds), and SIGKILLs and restarts ``kiosk-sync``; the
patron driver SIGKILLs the app at random points of a visit and restarts it.

The library is the demo library plus generated members and copies (``scenario_library``), each
member with loans (some overdue) and holds ready for pickup, written to a scratch folder the
stand-in loads with ``--data``; ``data/`` is not touched.

**What the screen acknowledged.** Returns: the outbox. The app commits the return to the outbox
before it draws "returned" (``Lending.return_book`` returns only after the commit), so every return
a patron saw is in the outbox; an entry whose screen never appeared (the app killed in between) is
in it too, which only makes the check stricter: every entry must reach the central side exactly
once. Borrows: the app's log line ``borrow shown``, written just before the member screen is
redrawn with the loan and only for an answer the central side gave (``Ok``); the log is a file
written line by line, so a SIGKILL loses nothing already written. The same log gives the elapsed
time and breaker state of each borrow, for the fallback latency.

**The checks.** Each return entry: applied once by key (``/admin/idempotency``), matched by one
central loan returned at exactly the entry's ``occurredAt``, fined from that time and not from
the (stand-in) time it arrived; no kiosk return at the central side without an entry; each borrow
shown is a central loan of that member and copy with the due date shown. Every borrow or
reservation the patron was *not* told happened (the kiosk's intents told ``undo``, ``asking`` or
``declined``) is, once the agent has settled them, either not applied at the central side or undone
there (the loan back to its reservation or returned, the reservation cancelled and its fee
refunded), by exactly one compensation applied exactly once. Fallbacks while the
lending breaker was open: count and latency (the targets: 5 ms for an open breaker's answer, 50 ms
for the screen path; measured here, asserted only by the benchmark report).

``python -m bench.outage_day`` runs the long day (``--seconds``, ``--members``, ``--seed``);
``tests/system/test_outage_day.py`` runs the short one. Both run it from here.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from stdnum import luhn

import kiosk_data
from hardware.sim import VirtualScanner
from kiosk_testing.processes import BIN, Process, free_port, wait_healthy
from kiosk_testing.waiting import poll_until, wait_until
from sync_agent.wire.rest import FINE_PER_DAY

SEOUL = ZoneInfo("Asia/Seoul")
KIOSK_ID = "kiosk-day"
SESSION_TIMEOUT_S = 10
HEADLESS = "textual.drivers.headless_driver:HeadlessDriver"
FLAKY = {"errorRate": 0.1, "dropRate": 0.05}
PHASES: dict[str, dict[str, dict]] = {
    "calm": {},
    "flaky": {service: FLAKY for service in ("rental", "payment", "book")},
    "down": {service: {"down": True, "retryAfter": 1} for service in ("rental", "payment", "book")},
    "slow": {service: {"latencyMs": [400, 620], **FLAKY} for service in ("rental", "payment", "book")},
    "book_down": {"rental": FLAKY, "payment": FLAKY, "book": {"down": True, "retryAfter": 1}},
}


@dataclass(frozen=True)
class Day:
    """How long and how hard the day is."""

    seconds: float = 40.0
    members: int = 16
    seed: int = 7
    phase_s: tuple[float, float] = (4.0, 7.0)
    clock_step_h: float = 7.0
    agent_kill_every_s: tuple[float, float] = (3.0, 8.0)
    app_kill_per_scan: float = 0.05
    idle_end_share: float = 0.1
    member_visit_share: float = 0.45
    drain_timeout_s: float = 90.0
    duplicate_window_s: float = 1.5
    """The kiosk's default: the same code again within it is the same scan."""


SHORT = Day()
LONG = Day(seconds=480.0, members=70, phase_s=(15.0, 35.0), clock_step_h=5.0,
           agent_kill_every_s=(5.0, 20.0), app_kill_per_scan=0.04, idle_end_share=0.3)


# -- the library ---------------------------------------------------------------------------------

def barcode(kind: str, sequence: int) -> str:
    body = f"{kind}0042{sequence:08d}"
    return body + luhn.calc_check_digit(body)


def scenario_library(folder: Path, members: int, rng: random.Random) -> None:
    """The demo library plus ``members`` members, each with three loans (some overdue) and two
    holds ready for pickup on copies of their own."""
    data = {name: json.loads((kiosk_data.DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
            for name in ("members", "items", "rentals")}
    member_id = max(m["id"] for m in data["members"])
    item_id = max(i["id"] for i in data["items"])
    rental_id = max(r["id"] for r in data["rentals"])
    for _ in range(members):
        member_id += 1
        data["members"].append({"id": member_id, "cardNumber": barcode("2", member_id),
                                "name": f"Patron {member_id}", "nameEn": f"Patron {member_id}",
                                "status": "active", "loanLimit": 5, "fines": 0})
        for status in ("rented", "rented", "rented", "reserved", "reserved"):
            item_id += 1
            rental_id += 1
            data["items"].append({"id": item_id, "barcode": barcode("3", item_id), "isbn": "",
                                  "title": f"Copy {item_id}", "author": "Outage Day",
                                  "status": status})
            rental = {"id": rental_id, "memberId": member_id, "bookId": item_id, "status": status}
            if status == "rented":
                rental |= {"rentedDaysAgo": rng.choice([2, 9, 13, 16, 20, 25]), "loanDays": 14}
            else:
                rental |= {"reservedDaysAgo": 0, "holdDays": 30}
            data["rentals"].append(rental)
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in data.items():
        (folder / f"{name}.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")


# -- processes -----------------------------------------------------------------------------------

class AppLog:
    """The app's log file, read from where the driver last looked."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def wait_for(self, pattern: re.Pattern[str], deadline_s: float, alive) -> re.Match[str] | None:
        """The first line after the mark matching ``pattern``; None at the deadline or if the app
        died. Leaves the mark after the matching line."""
        found = poll_until(lambda: self._next(pattern) or not alive(), deadline_s, every_s=0.01)
        return found if isinstance(found, re.Match) else None

    def _next(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        text = self.path.read_text(encoding="utf-8", errors="replace") if self.path.exists() else ""
        for line_end, line in _lines_from(text, self.offset):
            found = pattern.search(line)
            if found:
                self.offset = line_end
                return found
        return None


def _lines_from(text: str, offset: int):
    data = text.encode("utf-8")[offset:]
    position = offset
    for raw in data.split(b"\n")[:-1]:
        position += len(raw) + 1
        yield position, raw.decode("utf-8", errors="replace")


# -- the day -------------------------------------------------------------------------------------

@dataclass
class Tally:
    scans: int = 0
    returns_scanned: int = 0
    borrows_scanned: int = 0
    visits: int = 0
    idle_ends: int = 0
    app_kills: int = 0
    agent_kills: int = 0
    phases: list[str] = field(default_factory=list)
    clock_advanced_h: float = 0.0


class Kiosk:
    """The three processes of the day, their files and the scanner."""

    def __init__(self, workdir: Path, day: Day) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.central_db = workdir / "central.db"
        self.data_dir = workdir / "kiosk"
        self.store_path = self.data_dir / "kiosk.sqlite3"
        self.scanner = VirtualScanner()
        scenario_library(workdir / "library", day.members, random.Random(day.seed))
        self.central = Process(
            [str(BIN / "kiosk-backend"), "--port", str(self.port), "--db", str(self.central_db),
             "--data", str(workdir / "library"), "--faults", "--seed", str(day.seed),
             "--log-level", "warning"], None, workdir / "central.log")
        env = dict(os.environ, KIOSK_ID=KIOSK_ID, KIOSK_DATA_DIR=str(self.data_dir),
                   KIOSK_API_URL=self.url, KIOSK_LANG="en",
                   KIOSK_SESSION_TIMEOUT_S=str(SESSION_TIMEOUT_S),
                   KIOSK_BREAKER_FAILURE_THRESHOLD="3", KIOSK_BREAKER_RESET_S="5")
        env.pop("KIOSK_SCANNER_PORT", None)
        self.agent_env = env
        self.agent = Process([str(BIN / "kiosk-sync"), "run"], env, workdir / "agent.log")
        self.app = Process([str(BIN / "kiosk"), "run"],
                           dict(env, KIOSK_SCANNER_PORT=self.scanner.path, TEXTUAL_DRIVER=HEADLESS),
                           workdir / "app.out")
        self.log = AppLog(self.data_dir / "kiosk-app.log")
        self.admin = httpx.Client(base_url=self.url, timeout=10)

    def __enter__(self) -> Kiosk:
        self.started_at = datetime.now(UTC)
        self.scanner.__enter__()
        self.central.start()
        wait_healthy(self.url)
        self.agent.start()
        self.start_app()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for process in (self.app, self.agent, self.central):
            process.stop()
        self.admin.close()
        self.scanner.close()

    def start_app(self) -> None:
        """Start the app and wait until its scanner is connected (its own status row)."""
        started = time.time()
        self.app.start()

        def connected() -> bool:
            rows = _query(self.store_path, "SELECT status, updated_at FROM devices WHERE name = 'scanner'")
            return bool(rows) and rows[0][1] >= started and json.loads(rows[0][0])["state"] == "connected"

        wait_until(connected, 30, "the app connecting its scanner")
        time.sleep(0.2)  # the first health check, which leaves no trace outside the app, so the
        # screen knows whether it is online before the first scan

    def restart_app(self) -> None:
        self.app.kill()
        self.start_app()

    def app_alive(self) -> bool:
        return self.app.alive


def _query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return []


class Chaos(threading.Thread):
    """Fault phases and the compressed clock on the stand-in; SIGKILLs of the agent."""

    def __init__(self, kiosk: Kiosk, day: Day, tally: Tally, rng: random.Random) -> None:
        super().__init__(name="chaos", daemon=True)
        self.kiosk, self.day, self.tally, self.rng = kiosk, day, tally, rng
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._walk()
        except BaseException as exc:  # noqa: BLE001 - handed to the driver at stop(): a broken day fails loudly
            self.error = exc

    def _walk(self) -> None:
        order: list[str] = []
        next_phase = next_kill = time.monotonic()
        while not self.stopping.is_set():
            now = time.monotonic()
            if now >= next_phase:
                if not order:
                    order = list(PHASES)
                    self.rng.shuffle(order)
                self._phase(order.pop())
                next_phase = now + self.rng.uniform(*self.day.phase_s)
            if now >= next_kill and self.tally.phases:
                self.kiosk.agent.kill()
                self.tally.agent_kills += 1
                self.stopping.wait(self.rng.uniform(0.0, 0.8))
                self.kiosk.agent.start()
                next_kill = time.monotonic() + self.rng.uniform(*self.day.agent_kill_every_s)
            self.stopping.wait(0.05)

    def _phase(self, name: str) -> None:
        admin = self.kiosk.admin
        admin.delete("/admin/faults").raise_for_status()
        for service, faults in PHASES[name].items():
            admin.put(f"/admin/faults/{service}", json=faults).raise_for_status()
        admin.post("/admin/clock/advance", json={"seconds": self.day.clock_step_h * 3600}).raise_for_status()
        self.tally.clock_advanced_h += self.day.clock_step_h
        self.tally.phases.append(name)

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        if self.error is not None:
            raise RuntimeError("the chaos thread failed") from self.error


RETURNED = re.compile(r'return acknowledged: item (\d{14})')
MEMBER = re.compile(r'member screen: member (\d+)|notice: (why_\w+)')


def _answer_for(code: str) -> re.Pattern[str]:
    return re.compile(rf'return \w+: item {code}|borrow of item {code} answered in [\d.]+ ms: (\w+)'
                      rf'|notice: (why_\w+)')


class Patrons:
    """Visits through the scanner: returns without a card, and members who borrow their holds and
    return their loans. What each patron holds comes from the central database, less what the
    kiosk's outbox already took back."""

    def __init__(self, kiosk: Kiosk, day: Day, tally: Tally, rng: random.Random) -> None:
        self.kiosk, self.day, self.tally, self.rng = kiosk, day, tally, rng
        members = _query(kiosk.central_db, "SELECT id, card_number FROM members WHERE status = 'active'")
        self.cards = dict(members)
        self.seen: set[int] = set()
        """Members whose screen opened once: the kiosk has their view cached for the next outage."""

    def holdings(self) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
        """(loans, holds) by member, as the patrons see them now."""
        handed_back = dict(_query(self.kiosk.store_path,
                                  "SELECT barcode, MAX(occurred_at) FROM outbox WHERE kind = 'return' "
                                  "GROUP BY barcode"))
        rows = _query(self.kiosk.central_db,
                      "SELECT r.member_id, b.barcode, r.status, r.rented_at FROM rentals r "
                      "JOIN books b ON b.id = r.book_id WHERE r.status IN ('rented', 'reserved')")
        loans: dict[int, list[str]] = {}
        holds: dict[int, list[str]] = {}
        for member, code, status, rented_at in rows:
            if status == "reserved":
                holds.setdefault(member, []).append(code)
            elif code not in handed_back or _ts(handed_back[code]) < _ts(rented_at):
                loans.setdefault(member, []).append(code)
        return loans, holds

    def scan(self, code: str) -> None:
        self.kiosk.log.mark()
        self.kiosk.scanner.scan(code)
        self.tally.scans += 1
        if self.rng.random() < self.day.app_kill_per_scan:
            time.sleep(self.rng.uniform(0.0, 0.08))
            self.kiosk.restart_app()
            self.tally.app_kills += 1
            raise VisitCut

    def answer(self, pattern: re.Pattern[str], deadline_s: float = 10.0) -> re.Match[str] | None:
        return self.kiosk.log.wait_for(pattern, deadline_s, self.kiosk.app_alive)

    def visit(self) -> None:
        self.tally.visits += 1
        loans, holds = self.holdings()
        try:
            if holds and self.rng.random() < self.day.member_visit_share:
                known = [m for m in holds if m in self.seen]
                member = self.rng.choice(known if known and self.rng.random() < 0.5
                                         else [m for m in holds if m in self.cards] or list(holds))
                self.member_visit(member, loans.get(member, []), holds[member])
            else:
                pool = [code for codes in loans.values() for code in codes]
                self.return_visit(self.rng.sample(pool, min(len(pool), self.rng.randint(2, 8))))
        except VisitCut:
            return
        self.end_visit()

    def member_visit(self, member: int, loans: list[str], holds: list[str]) -> None:
        self.scan(self.cards[member])
        opened = self.answer(MEMBER)
        if opened is None or opened.group(1) is None:
            return
        self.seen.add(member)
        plan = self.rng.sample(holds, min(len(holds), 2)) + self.rng.sample(loans, min(len(loans), 1))
        for code in plan:
            if code in holds:
                self.tally.borrows_scanned += 1
            else:
                self.tally.returns_scanned += 1
            self.scan(code)
            answer = self.answer(_answer_for(code))
            for _ in range(2):  # "please try again": the patron does, twice at most
                if answer is None or answer.group(1) not in ("busy", "why_rent_unconfirmed"):
                    break
                time.sleep(self.day.duplicate_window_s + 0.1)
                self.scan(code)
                answer = self.answer(_answer_for(code))

    def return_visit(self, codes: list[str]) -> None:
        for code in codes:
            self.tally.returns_scanned += 1
            self.scan(code)
            self.answer(_answer_for(code))
            time.sleep(self.rng.uniform(0.0, 0.1))

    def end_visit(self) -> None:
        """The patron walks away: the session times out, or the kiosk is restarted."""
        if self.rng.random() < self.day.idle_end_share:
            time.sleep(SESSION_TIMEOUT_S + 2)
            self.tally.idle_ends += 1
        else:
            self.kiosk.restart_app()
            self.tally.app_kills += 1


class VisitCut(Exception):
    """The app was killed in the middle of a visit."""


# -- the checks ----------------------------------------------------------------------------------

def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def seoul_days(later: datetime, earlier: datetime) -> int:
    return (later.astimezone(SEOUL).date() - earlier.astimezone(SEOUL).date()).days


def fine_for(due_at: datetime, occurred_at: datetime) -> int:
    return max(0, seoul_days(occurred_at, due_at)) * FINE_PER_DAY


@dataclass
class Verdict:
    acknowledged: int
    delivered: int
    duplicates: int
    lost: int
    dead_letters: int
    unacknowledged_central_returns: int
    borrows_shown: int
    borrows_unconfirmed: int
    borrows_not_shown: int
    fines_checked: int
    fines_wrong: int
    delivered_a_day_later: int
    fines_that_delivery_time_changes: int
    intents_untold: int
    left_centrally: int
    compensations: int
    compensated_twice: int
    fallbacks_open: list[float]
    fallbacks_closed: list[float]
    fallbacks_busy: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


BORROW_SHOWN = re.compile(r'borrow shown: item (\d{14}) member (\d+) due ([^\s"]+)')
BORROW_TIMED = re.compile(r'borrow of item \d{14} answered in ([\d.]+) ms: (\w+) \(lending breaker (\w+)\)')


def verify(kiosk: Kiosk) -> Verdict:
    problems: list[str] = []
    entries = _query(kiosk.store_path, "SELECT key, barcode, occurred_at, status FROM outbox "
                                       "WHERE kind = 'return' AND compensates IS NULL ORDER BY id")
    counts = kiosk.admin.get("/admin/idempotency").json()
    stamps = dict(_query(kiosk.central_db, "SELECT key, created_at FROM idempotency"))
    central = _query(kiosk.central_db,
                     "SELECT r.id, b.barcode, r.member_id, r.status, r.rented_at, r.due_at, "
                     "r.returned_at, r.fine, r.kiosk_no FROM rentals r JOIN books b ON b.id = r.book_id")
    returned = {(row[1], _ts(row[6])): row for row in central if row[6] is not None}
    statuses = Counter(entry[3] for entry in entries)
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    lost = 0
    matched: set[int] = set()
    fines_wrong = fines_checked = later = changed = 0
    for key, code, occurred, status in entries:
        occurred_at = _ts(occurred)
        rental = returned.get((code, occurred_at))
        if counts.get(key, 0) == 0 or rental is None or status != "delivered":
            lost += 1
            problems.append(f"return {key} of {code} at {occurred} not applied (status {status})")
            continue
        if rental[0] in matched:
            duplicates += 1
            problems.append(f"rental {rental[0]} returned by two entries")
        matched.add(rental[0])
        due = _ts(rental[5])
        fines_checked += 1
        if rental[7] != fine_for(due, occurred_at):
            fines_wrong += 1
            problems.append(f"return {key}: fine {rental[7]}, expected {fine_for(due, occurred_at)}")
        arrived = _ts(stamps[key]) if key in stamps else occurred_at
        if seoul_days(arrived, occurred_at) > 0:
            later += 1
            changed += fine_for(due, arrived) != fine_for(due, occurred_at)
    undone = {json.loads(response)["body"]["id"] for (response,) in _query(
        kiosk.store_path, "SELECT response FROM outbox WHERE compensates IS NOT NULL AND kind = 'return' "
                          "AND status = 'delivered'")}
    strays = [row for row in central if row[8] == KIOSK_ID and row[6] is not None
              and row[0] not in matched | undone]
    for row in strays:
        problems.append(f"rental {row[0]} ({row[1]}) returned at the kiosk without an outbox entry")
    if duplicates and not any("two entries" in p for p in problems):
        problems.append(f"{duplicates} keys applied more than once")
    shown, timed = _app_log_lines(kiosk)
    loans = {(row[1], row[2], _ts(row[5])) for row in central if row[4] is not None}
    shown_loans = {(code, int(member), _ts(due)) for code, member, due in shown}
    unconfirmed = [s for s in shown if (s[0], int(s[1]), _ts(s[2])) not in loans]
    kiosk_loans = {(row[1], row[2], _ts(row[5])) for row in central
                   if row[8] == KIOSK_ID and row[4] and _ts(row[4]) >= kiosk.started_at}
    not_shown = kiosk_loans - shown_loans
    problems += [f"borrow of {code} by member {member} due {due} shown, not recorded centrally"
                 for code, member, due in unconfirmed]
    if statuses.get("dead"):
        problems.append(f"{statuses['dead']} returns became dead letters")
    saga = _saga_ledger(kiosk, counts)
    problems += saga.problems
    return Verdict(
        acknowledged=len(entries), delivered=statuses.get("delivered", 0), duplicates=duplicates,
        lost=lost, dead_letters=statuses.get("dead", 0), unacknowledged_central_returns=len(strays),
        borrows_shown=len(shown), borrows_unconfirmed=len(unconfirmed), borrows_not_shown=len(not_shown),
        fines_checked=fines_checked,
        fines_wrong=fines_wrong, delivered_a_day_later=later, fines_that_delivery_time_changes=changed,
        intents_untold=saga.untold, left_centrally=saga.left, compensations=saga.compensations,
        compensated_twice=saga.twice,
        fallbacks_open=[float(t[0]) for t in timed if t[1] == "busy" and t[2] == "open"],
        fallbacks_closed=[float(t[0]) for t in timed if t[1] == "busy" and t[2] != "open"],
        fallbacks_busy=sum(1 for t in timed if t[1] == "busy"), problems=problems)


@dataclass
class SagaLedger:
    untold: int = 0
    """Borrows and reservations the patron was not told happened."""
    left: int = 0
    """Of those, applied centrally and still in force (a loan, a reservation, a fee kept)."""
    compensations: int = 0
    twice: int = 0
    problems: list[str] = field(default_factory=list)


def _saga_ledger(kiosk: Kiosk, counts: dict[str, int]) -> SagaLedger:
    """Compare what the patron was told of each intent with what the central side holds."""
    ledger = SagaLedger()
    intents = _query(kiosk.store_path, "SELECT id, key, kind, told, status FROM outbox "
                                       "WHERE kind IN ('rent', 'reserve')")
    compensations = _query(kiosk.store_path, "SELECT compensates, key FROM outbox WHERE compensates IS NOT NULL")
    undoes = Counter(row[0] for row in compensations)
    compensation_keys = [row[1] for row in compensations]
    undo_key = dict(compensations)
    answers = {key: json.loads(body) for key, body in _query(kiosk.central_db,
                                                             "SELECT key, body FROM idempotency")}
    rentals = {row[0]: row for row in _query(kiosk.central_db,
                                             "SELECT r.id, r.status, r.fine, p.status FROM rentals r "
                                             "LEFT JOIN payments p ON p.id = r.payment_id")}
    ledger.compensations = len(compensation_keys)
    ledger.twice = sum(1 for n in undoes.values() if n > 1)
    ledger.twice += sum(1 for key in compensation_keys if counts.get(key, 0) > 1)
    for entry_id, key, kind, told, status in intents:
        if told not in ("undo", "asking", "declined"):
            continue
        ledger.untold += 1
        if counts.get(key, 0) == 0:
            continue  # never applied: nothing to undo
        rental = rentals.get(answers[key]["id"])
        unrent = answers.get(undo_key.get(entry_id, ""), {})
        undone = rental is not None and (
            (kind == "rent" and rental[1] == "returned" and rental[2] == 0)
            or (kind == "rent" and unrent.get("status") == "reserved")  # back to its reservation
            or (kind == "reserve" and rental[1] in ("cancelled", "expired") and rental[3] == "refunded"))
        if not undone:
            ledger.left += 1
            ledger.problems.append(f"{kind} {key} (told {told}, {status}) applied centrally and left "
                                   f"in force: rental {rental}")
    if ledger.twice:
        ledger.problems.append(f"{ledger.twice} compensations applied or appended twice")
    return ledger


def _app_log_lines(kiosk: Kiosk) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    shown: list[tuple[str, ...]] = []
    timed: list[tuple[str, ...]] = []
    for path in sorted(kiosk.data_dir.glob("kiosk-app.log*"), reverse=True):
        text = path.read_text(encoding="utf-8", errors="replace")
        shown += BORROW_SHOWN.findall(text)
        timed += BORROW_TIMED.findall(text)
    return shown, timed


# -- running it ----------------------------------------------------------------------------------

@dataclass
class DayReport:
    day: Day
    tally: Tally
    verdict: Verdict
    seconds: float
    drain_s: float

    def rows(self) -> list[tuple[str, str]]:
        v, t = self.verdict, self.tally
        open_ms = sorted(v.fallbacks_open)
        return [
            ("traffic", f"{self.day.seconds:.0f} s, {t.visits} visits, {t.scans} scans, "
                        f"{len(t.phases)} phases ({', '.join(t.phases)})"),
            ("clock advanced", f"{t.clock_advanced_h:.0f} h"),
            ("kills", f"app {t.app_kills} (SIGKILL, restarted), agent {t.agent_kills}"),
            ("idle session ends", str(t.idle_ends)),
            ("returns acknowledged", str(v.acknowledged)),
            ("delivered", str(v.delivered)),
            ("duplicates", str(v.duplicates)),
            ("lost", str(v.lost)),
            ("dead letters", str(v.dead_letters)),
            ("kiosk returns without entry", str(v.unacknowledged_central_returns)),
            ("borrows shown / unconfirmed", f"{v.borrows_shown} / {v.borrows_unconfirmed}"),
            ("loans made here but not shown", str(v.borrows_not_shown)),
            ("intents the patron was not told happened", str(v.intents_untold)),
            ("  of which left in force centrally", str(v.left_centrally)),
            ("compensations / applied twice", f"{v.compensations} / {v.compensated_twice}"),
            ("fines checked / wrong", f"{v.fines_checked} / {v.fines_wrong}"),
            ("delivered a Seoul day later", f"{v.delivered_a_day_later} "
                                            f"({v.fines_that_delivery_time_changes} would change the fine)"),
            ("busy fallbacks / with breaker open", f"{v.fallbacks_busy} / {len(open_ms)}"),
            ("fallback latency, breaker open", _latency(open_ms)),
            ("drain after the day", f"{self.drain_s:.1f} s"),
        ]

    def table(self) -> str:
        width = max(len(name) for name, _ in self.rows())
        lines = [f"{name:<{width}}  {value}" for name, value in self.rows()]
        return "\n".join(lines + [f"{'verdict':<{width}}  " + ("PASS" if self.verdict.ok else "FAIL")])


def _latency(values: list[float]) -> str:
    if not values:
        return "none measured"
    return (f"p50 {statistics.median(values):.1f} ms, p99 {p99(values):.1f} ms, max {values[-1]:.1f} ms "
            f"(n={len(values)})")


def run_day(day: Day, workdir: Path | None = None) -> DayReport:
    """Run the whole day and check it; ``workdir`` keeps the files for a post-mortem."""
    own = workdir is None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="outage-day-"))
    rng = random.Random(day.seed)
    tally = Tally()
    started = time.monotonic()
    try:
        with Kiosk(workdir, day) as kiosk:
            chaos = Chaos(kiosk, day, tally, random.Random(day.seed + 1))
            chaos.start()
            patrons = Patrons(kiosk, day, tally, rng)
            try:
                while time.monotonic() - started < day.seconds:
                    patrons.visit()
            finally:
                chaos.stop()
            kiosk.admin.delete("/admin/faults").raise_for_status()
            kiosk.app.kill()
            kiosk.agent.kill()
            drain_started = time.monotonic()
            drained = subprocess.run([str(BIN / "kiosk-sync"), "drain", "--timeout", str(day.drain_timeout_s)],
                                     env=kiosk.agent_env, capture_output=True, text=True)
            drain_s = time.monotonic() - drain_started
            verdict = verify(kiosk)
            if drained.returncode not in (0, 3):
                verdict.problems.append(f"kiosk-sync drain exited {drained.returncode}: {drained.stderr[-500:]}")
        return DayReport(day, tally, verdict, time.monotonic() - started, drain_s)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(len(values) * 0.99))] if values else 0.0
