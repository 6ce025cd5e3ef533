"""The outbox: what the kiosk promised a patron, or is asking on a patron's behalf, kept on disk
until the central side has answered it.

An entry is appended in one durable transaction before the patron is told anything, with an
idempotency key unique across the fleet and across time (``<kiosk id>:<random UUID>``: a store
rolled back to a copy, a restored backup or a lost WAL tail never reuses a key the central side
already applied), so the agent may send it as often as it must and the central API applies it
once.

Entries of one book are delivered in the order they were appended: only the oldest unsettled entry
of a barcode (its head) can be claimed.

Two families of entries:

- **Promises** (``told`` is ``queued`` or empty): a return, a cancel, an offline borrow, a
  compensation. The patron was told "saved, it will be sent"; they go forward until the central
  side accepts them, and a refusal becomes a dead letter for the technician.
- **Intents** (kinds ``rent`` and ``reserve`` asked while the patron waits): committed *before*
  the first call, claimed by the app in the same transaction, and settled by what the patron is
  then told (``told``). See :class:`Told`; the intent ledger and its rules are the lending
  saga's, :mod:`sync_agent.agent.saga`, which writes through this module (``append``, ``settle``,
  ``mark_reported``, ``release_visit``): the one writer of the ``outbox`` table.

Life of an entry::

    pending --claim--> in_flight --2xx / replayed--> delivered --(retention)--> pruned
       ^                  |   \\--409/422/404--> dead --retry_dead--> pending
       |                  |   \\                   \\--resolve_dead--> resolved
       |                  |    \\--refused or never sent, and the patron was told so--> declined
       \\---retryable / lease expired / owner gone---/

A claim is an atomic update in SQLite, so the app (delivering a book before a rent, or asking an
intent) and the agent never send the same entry at the same time; a claim carries a lease and the
claimer's identity (:mod:`sync_agent.store.claimer`: boot id, pid, start time), so an entry left in
flight by a crash returns to pending.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sync_agent.store import counters, schedule_clock, sync_state
from sync_agent.store.claimer import owner_alive, owner_id
from sync_agent.store.database import Store, StoreError
from sync_agent.wire.rest import KioskReturn, RentalPatch, ReqState


class Kind(StrEnum):
    RETURN = "return"
    RENT = "rent"
    CANCEL = "cancel"
    RESERVE = "reserve"
    UNRENT = "unrent"
    """The undo of a self-rent of a reserved copy: the loan back to its reservation."""


class Status(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"
    RESOLVED = "resolved"
    DECLINED = "declined"
    """Not applied, and the patron was told so: refused by the central side, or never sent."""


class Told(StrEnum):
    """What the patron was told of an entry; it decides what an answer from the central side means.

    ``asking``: the app is asking now and has told nothing yet; an ``asking`` entry found pending
    means the app died mid-call, so the patron left without a "yes": treated as ``undo``.
    ``confirmed``: shown as done; never undone. ``undo``: shown as "could not be confirmed, it will
    not count": if the central side did apply it, it is undone by a compensation. ``queued``: shown
    as "saved, it will be sent": delivered forward. ``declined``: shown as "no" or "busy, nothing
    happened", and nothing did.
    """

    ASKING = "asking"
    CONFIRMED = "confirmed"
    UNDO = "undo"
    QUEUED = "queued"
    DECLINED = "declined"


UNDONE_IF_APPLIED = (Told.ASKING, Told.UNDO)
"""Intents whose application the patron was not told of: an applied one is compensated."""

COUNTER_OF = {Status.DELIVERED: "delivered", Status.DEAD: "dead_lettered", Status.PENDING: "retried",
              Status.DECLINED: "declined"}
OPEN = (Status.PENDING, Status.IN_FLIGHT)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    key: str
    kind: Kind
    barcode: str | None
    member_id: int | None
    rental_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime
    created_at: float
    status: Status
    attempts: int
    next_attempt_at: float
    last_error: str | None
    response: dict[str, Any] | None
    claimed_by: str | None
    note: str | None
    told: Told | None = None
    compensates: int | None = None
    visit: str | None = None
    book_id: int | None = None
    settled_at: float | None = None
    mismatches: int = 0
    """2xx answers about another request so far (see :mod:`sync_agent.central.rest.delivery_answer`)."""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutboxEntry:
        return cls(
            id=row["id"], key=row["key"], kind=Kind(row["kind"]), barcode=row["barcode"],
            member_id=row["member_id"], rental_id=row["rental_id"],
            payload=json.loads(row["payload"]),
            occurred_at=datetime.fromisoformat(row["occurred_at"]),
            created_at=row["created_at"], status=Status(row["status"]), attempts=row["attempts"],
            next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
            response=json.loads(row["response"]) if row["response"] else None,
            claimed_by=row["claimed_by"], note=row["note"],
            told=Told(row["told"]) if row.get("told") else None,
            compensates=row.get("compensates"), visit=row.get("visit"), book_id=row.get("book_id"),
            settled_at=row.get("settled_at"), mismatches=row.get("mismatches") or 0,
        )

    @property
    def is_intent(self) -> bool:
        return self.told not in (None, Told.QUEUED)

    @property
    def answer(self) -> dict[str, Any] | None:
        """The central side's answer body (a ``Rental``) once delivered."""
        return (self.response or {}).get("body")


@dataclass(frozen=True)
class NewEntry:
    """An entry to append inside another transaction (a compensation, written with the settlement
    of the intent it undoes, so it exists exactly once)."""

    kind: Kind
    payload: dict[str, Any]
    occurred_at: datetime
    barcode: str
    member_id: int | None = None
    rental_id: int | None = None


@dataclass(frozen=True)
class Settlement:
    """The outcome of one delivery burst, written back by :meth:`Outbox.settle` (which also adds
    it to :mod:`sync_agent.store.counters` and stamps :mod:`sync_agent.store.sync_state`'s last success, in
    the same transaction)."""

    entry_id: int
    status: Status  # DELIVERED, DEAD, DECLINED or PENDING (retry later)
    attempts: int = 1
    error: str | None = None
    response: dict[str, Any] | None = None
    next_attempt_at: float = 0.0
    told: Told | None = None
    """Written with the outcome when the app settles an intent it asked (what the patron saw)."""
    compensation: NewEntry | None = None
    """Appended in the same transaction when the settlement takes effect."""
    mismatches: int = 0
    """Answers of this burst that were about another request (added to the entry's count)."""
    renew_key: bool = False
    """Give the entry a fresh idempotency key (its old one belongs to another request at the
    central side: answered ``idempotency_mismatch``, so certainly not applied under it)."""


_APPEND = """
    INSERT INTO outbox (id, key, kind, barcode, member_id, rental_id, payload, occurred_at,
                        created_at, status, attempts, next_attempt_at, told, visit, book_id,
                        compensates, claimed_by, lease_until)
    SELECT next.id, :key, :kind, :barcode,
           -- a return is attached to the cached member who has the book on loan
           coalesce(:member_id, (SELECT member_id FROM loan_index WHERE barcode = :barcode)),
           :rental_id, :payload, :occurred_at, :created_at, :status, 0, 0, :told, :visit,
           :book_id, :compensates, :claimed_by, :lease_until
    FROM (SELECT coalesce(max(id), 0) + 1 AS id FROM outbox) AS next
    RETURNING id, member_id
"""

_GIVEN_BACK = "status = 'pending', claimed_by = NULL, lease_until = NULL"
_GIVEN_BACK_SENT = _GIVEN_BACK + ", attempts = attempts + 1"
"""A claim that ended without a settlement (its lease ran out, its claimer died or was cut off):
the entry may have been sent, even applied, so it counts as an attempt. An adapter without
idempotency keys (SIP2) asks the central side's state of an entry tried before rather than
sending it again (a second checkin)."""

_DOUBTED = (f"(o.kind IN ('{Kind.RENT.value}', '{Kind.RESERVE.value}') "
            f"AND o.told IN ({', '.join(repr(told.value) for told in UNDONE_IF_APPLIED)}) AND o.attempts > 0)")
"""An intent the patron was not told happened, sent at least once: it may have been applied, and
the adapter first looks for what it made where the held dependency is not in the way."""

_HEADS = """
    SELECT o.* FROM outbox o
    WHERE o.status = 'pending' {extra}
      AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.barcode = o.barcode AND p.id < o.id
                      AND p.status IN ('pending', 'in_flight'))
    ORDER BY o.id LIMIT :limit
"""


class Outbox:
    """The outbox of one kiosk over a :class:`Store`."""

    def __init__(self, store: Store, kiosk_id: str) -> None:
        self.store = store
        self.kiosk_id = kiosk_id

    def new_key(self) -> str:
        """A fresh idempotency key: random, so no rollback of this file can ever repeat one."""
        return f"{self.kiosk_id}:{uuid.uuid4().hex}"

    # -- appending (the app) ---------------------------------------------------------------

    def append_return(self, barcode: str, occurred_at: datetime) -> OutboxEntry:
        """Record a self-return; durable when this returns. The return is attached to the cached
        member who has the book on loan (no title is kept: nothing of who read what)."""
        entry = self.append(NewEntry(Kind.RETURN, return_body(barcode, self.kiosk_id, occurred_at),
                                     occurred_at, barcode))
        assert entry is not None
        return entry

    def append_cancel(self, rental_id: int, barcode: str, member_id: int,
                      occurred_at: datetime) -> OutboxEntry:
        """Record a reservation cancel (the central side refunds); durable when this returns."""
        entry = self.append(NewEntry(Kind.CANCEL, patch_body(ReqState.CANCEL, self.kiosk_id, occurred_at),
                                     occurred_at, barcode, member_id, rental_id))
        assert entry is not None
        return entry

    def append(self, new: NewEntry, *, told: Told | None = None, visit: str | None = None,
               book_id: int | None = None, claim: tuple[str, float] | None = None,
               behind: bool = True) -> OutboxEntry | None:
        """Append ``new`` in one durable transaction; with ``behind`` false, only if the book has
        no unsettled entry (checked in the same transaction: one fsync, no race). ``told``,
        ``visit``, ``book_id`` and ``claim`` (owner, lease) are an intent's
        (:class:`sync_agent.agent.saga.Intents`)."""
        if new.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        with self.store.write() as conn:
            if not behind and conn.execute(
                    "SELECT 1 FROM outbox WHERE barcode = ? AND status IN ('pending', 'in_flight')",
                    (new.barcode,)).fetchone():
                return None
            values = self._insert(conn, new, told=told, visit=visit, book_id=book_id, claim=claim)
        return OutboxEntry.from_row(values)

    def _insert(self, conn: sqlite3.Connection, new: NewEntry, *, told: Told | None = None,
                visit: str | None = None, book_id: int | None = None, compensates: int | None = None,
                claim: tuple[str, float] | None = None) -> dict[str, Any]:
        owner, lease_s = claim or (None, 0.0)
        created_at = time.time()
        values: dict[str, Any] = {
            "key": self.new_key(), "kind": new.kind.value, "barcode": new.barcode,
            "member_id": new.member_id, "rental_id": new.rental_id, "payload": json.dumps(new.payload),
            "occurred_at": new.occurred_at.isoformat(), "created_at": created_at,
            "status": Status.IN_FLIGHT.value if owner else Status.PENDING.value,
            "told": told.value if told else None, "visit": visit, "book_id": book_id,
            "compensates": compensates, "claimed_by": owner,
            "lease_until": schedule_clock.now() + lease_s if owner else None}
        values["id"], values["member_id"] = conn.execute(_APPEND, values).fetchone()
        return values | {"attempts": 0, "next_attempt_at": 0.0, "last_error": None, "response": None,
                         "note": None}

    # -- reading -----------------------------------------------------------------------------

    def get(self, entry_id: int) -> OutboxEntry | None:
        rows = self.store.rows("SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return OutboxEntry.from_row(rows[0]) if rows else None

    def pending_for(self, barcode: str) -> list[OutboxEntry]:
        """Unsettled entries (pending or in flight) of one book, oldest first."""
        return self.select("barcode = ? AND status IN ('pending', 'in_flight')", (barcode,))

    def pending_for_member(self, member_id: int, barcodes: Iterable[str] = ()) -> list[OutboxEntry]:
        """Unsettled entries of a member, or of the books in ``barcodes`` (their loans)."""
        return self.select("status IN ('pending', 'in_flight') AND (member_id = ? OR barcode IN "
                            "(SELECT value FROM json_each(?)))",
                            (member_id, json.dumps(sorted(barcodes))))

    def dead_letters(self) -> list[OutboxEntry]:
        return self.select("status = 'dead'", ())

    def last_return(self, barcode: str) -> OutboxEntry | None:
        """The book's latest entry if it is a return that is unsettled or was accepted: a scan of
        that book again adds nothing (the patron sees "already returned")."""
        rows = self.store.rows("SELECT * FROM outbox WHERE barcode = ? AND compensates IS NULL "
                               "ORDER BY id DESC LIMIT 1", (barcode,))
        entry = OutboxEntry.from_row(rows[0]) if rows else None
        if entry and entry.kind is Kind.RETURN and entry.status in (*OPEN, Status.DELIVERED):
            return entry
        return None

    def mark_reported(self, ids: Iterable[int]) -> None:
        """The patron has seen these outcomes on the member screen: not shown again."""
        with self.store.write() as conn:
            conn.executemany("UPDATE outbox SET reported_at = ? WHERE id = ?",
                             [(time.time(), entry_id) for entry_id in ids])

    def release_visit(self, visit: str) -> int:
        """The visit ended: its intents left unconfirmed are the agent's to settle now."""
        with self.store.write() as conn:
            return conn.execute("UPDATE outbox SET next_attempt_at = 0 WHERE visit = ? AND told = ? "
                                "AND status = 'pending'", (visit, Told.UNDO.value)).rowcount

    def recent(self, limit: int = 50) -> list[OutboxEntry]:
        rows = self.store.rows("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        return [OutboxEntry.from_row(row) for row in rows]

    def select(self, where: str, params: tuple[Any, ...]) -> list[OutboxEntry]:
        """The entries matching the SQL condition ``where``, oldest first."""
        rows = self.store.rows(f"SELECT * FROM outbox WHERE {where} ORDER BY id", params)
        return [OutboxEntry.from_row(row) for row in rows]

    def counts(self) -> dict[str, float | int | None]:
        """Entries per status and the age in seconds of the oldest unsettled one (None if none)."""
        with self.store.read() as conn:
            by_status = dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status"))
            oldest = conn.execute("SELECT min(created_at) FROM outbox "
                                  "WHERE status IN ('pending', 'in_flight')").fetchone()[0]
        result: dict[str, float | int | None] = {s.value: by_status.get(s.value, 0) for s in Status}
        result["oldest_pending_age_s"] = None if oldest is None else round(max(0.0, time.time() - oldest), 3)
        return result

    # -- technician actions ------------------------------------------------------------------

    def retry_dead(self, entry_id: int | None = None) -> int:
        """Re-queue one dead letter (or all): the technician fixed the cause. Returns how many."""
        where, params = ("status = 'dead'", ()) if entry_id is None else (
            "status = 'dead' AND id = ?", (entry_id,))
        with self.store.write() as conn:
            return conn.execute(f"UPDATE outbox SET status = 'pending', next_attempt_at = 0, "
                                f"mismatches = 0, claimed_by = NULL, lease_until = NULL WHERE {where}",
                                params).rowcount

    def resolve_dead(self, entry_id: int, note: str) -> bool:
        """Close a dead letter the technician handled by hand, with a note for the audit trail."""
        with self.store.write() as conn:
            return conn.execute("UPDATE outbox SET status = 'resolved', note = ?, settled_at = ? "
                                "WHERE id = ? AND status = 'dead'",
                                (note, time.time(), entry_id)).rowcount == 1

    def prune_delivered(self, older_than_s: float) -> int:
        """Delete settled entries (delivered, declined, resolved) settled longer ago than
        ``older_than_s``. Keys are random, so a reused entry id never reuses a key."""
        with self.store.write() as conn:
            return conn.execute("DELETE FROM outbox WHERE status IN ('delivered', 'declined', "
                                "'resolved') AND settled_at < ?", (time.time() - older_than_s,)).rowcount

    # -- delivering (the relay) --------------------------------------------------------------

    def claim(self, owner: str, *, limit: int, lease_s: float, barcode: str | None = None,
              due_only: bool = True, skip_kinds: Iterable[Kind] = (),
              settle: Iterable[Settlement] = ()) -> list[OutboxEntry]:
        """Atomically take up to ``limit`` heads (oldest unsettled entry of each book) that are
        pending, due (unless ``due_only`` is false) and not of ``skip_kinds``; expired leases are
        returned to pending first. ``settle``: outcomes to write in the same transaction first
        (one fsync for both, and the books they free can be claimed at once).

        An intent in doubt (the patron was not told it happened, and it was sent) is claimed even
        while its kind is skipped: its undo has a deadline, and the adapter settles it by reading
        the central side's state first, which does not go through the held dependency."""
        now = schedule_clock.now()
        extra = ""
        params: dict[str, str | float] = {"limit": limit}
        if due_only:
            extra += " AND " + schedule_clock.due_now_sql("o.next_attempt_at")
        if barcode is not None:
            extra += " AND o.barcode = :barcode"
            params["barcode"] = barcode
        skipped = [kind.value for kind in skip_kinds]
        for index, kind in enumerate(skipped):
            extra += f" AND (o.kind != :skip{index} OR {_DOUBTED})"
            params[f"skip{index}"] = kind
        params["now"] = now
        with self.store.write() as conn:
            self._settle(conn, owner, settle)
            conn.execute(f"UPDATE outbox SET {_GIVEN_BACK_SENT} WHERE status = 'in_flight' "
                         f"AND {schedule_clock.due_now_sql('lease_until')}", {"now": now})
            cursor = conn.execute(_HEADS.format(extra=extra), params)
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            conn.executemany("UPDATE outbox SET status = 'in_flight', claimed_by = ?, lease_until = ? "
                             "WHERE id = ?", [(owner, now + lease_s, row["id"]) for row in rows])
        return [OutboxEntry.from_row({**row, "status": "in_flight", "claimed_by": owner})
                for row in rows]

    def claim_entry(self, entry_id: int, owner: str, lease_s: float) -> OutboxEntry | None:
        """Claim one pending entry by id (the app asking a patron's intent again)."""
        now = schedule_clock.now()
        with self.store.write() as conn:
            changed = conn.execute("UPDATE outbox SET status = 'in_flight', claimed_by = ?, "
                                   "lease_until = ? WHERE id = ? AND status = 'pending'",
                                   (owner, now + lease_s, entry_id)).rowcount
        return self.get(entry_id) if changed else None

    def settle(self, owner: str, settlements: Iterable[Settlement]) -> None:
        """Write back delivery outcomes in one transaction. Delivered, dead and declined are facts
        about the central side and are recorded whoever holds the claim; a retry only releases our
        claim. A settlement's compensation is appended only if the settlement took effect, so an
        intent is compensated exactly once however many processes answer it."""
        with self.store.write() as conn:
            self._settle(conn, owner, settlements)

    def _settle(self, conn: sqlite3.Connection, owner: str, settlements: Iterable[Settlement]) -> None:
        now = time.time()
        tally: Counter[str] = Counter()
        for item in settlements:
            response = json.dumps(item.response) if item.response is not None else None
            told = item.told.value if item.told else None
            if item.status is Status.PENDING:
                conn.execute(
                    "UPDATE outbox SET status = 'pending', attempts = attempts + ?, "
                    "mismatches = mismatches + ?, last_error = ?, next_attempt_at = ?, "
                    "claimed_by = NULL, lease_until = NULL, told = coalesce(?, told), "
                    "key = coalesce(?, key) WHERE id = ? AND status = 'in_flight' AND claimed_by = ?",
                    (item.attempts, item.mismatches, item.error, item.next_attempt_at, told,
                     self.new_key() if item.renew_key else None, item.entry_id, owner))
            elif item.status in (Status.DELIVERED, Status.DEAD, Status.DECLINED):
                changed = conn.execute(
                    "UPDATE outbox SET status = ?, attempts = attempts + ?, "
                    "mismatches = mismatches + ?, last_error = ?, response = ?, settled_at = ?, "
                    "claimed_by = NULL, lease_until = NULL, told = coalesce(?, told) "
                    "WHERE id = ? AND status IN ('pending', 'in_flight')",
                    (item.status.value, item.attempts, item.mismatches, item.error, response, now,
                     told, item.entry_id)).rowcount
                if changed and item.compensation is not None:
                    self._insert(conn, item.compensation, told=Told.QUEUED, compensates=item.entry_id)
                    tally["compensations"] += 1
            else:
                raise ValueError(f"cannot settle an entry as {item.status}")
            tally[COUNTER_OF[item.status]] += 1
        counters.add_within(conn, tally)
        if tally[COUNTER_OF[Status.DELIVERED]]:
            sync_state.put_within(conn, sync_state.LAST_SUCCESS, datetime.now(UTC).isoformat())

    def make_due(self) -> int:
        """Make every pending entry due now (forget backoff schedules); returns how many waited."""
        with self.store.write() as conn:
            return conn.execute("UPDATE outbox SET next_attempt_at = 0 "
                                "WHERE status = 'pending' AND next_attempt_at > 0").rowcount

    def next_due_at(self) -> float | None:
        """When the earliest pending entry is due (:func:`schedule_clock.now` seconds), None if
        none is pending."""
        now = schedule_clock.now()
        due: float | None = self.store.rows(
            f"SELECT min(CASE WHEN {schedule_clock.due_now_sql('next_attempt_at')} "
            "THEN :now ELSE next_attempt_at END) AS due FROM outbox "
            "WHERE status = 'pending'", {"now": now})[0]["due"]
        return due

    def release_claims(self, owner: str, ids: Iterable[int] | None = None, *,
                       maybe_sent: bool = False) -> int:
        """Give back claims of ``owner``: those in ``ids``, or all of them; untouched, or with
        ``maybe_sent`` counted as one attempt (a delivery cut off mid-way, or answered but not
        yet settled)."""
        where = "" if ids is None else " AND id IN (SELECT value FROM json_each(?))"
        params = (owner,) if ids is None else (owner, json.dumps(list(ids)))
        with self.store.write() as conn:
            return conn.execute(f"UPDATE outbox SET {_GIVEN_BACK_SENT if maybe_sent else _GIVEN_BACK} "
                                "WHERE status = 'in_flight' AND claimed_by = ?" + where, params).rowcount

    def recover_orphans(self) -> int:
        """Return to pending every in-flight entry whose claimer process is gone (after a crash),
        counted as one attempt: it may have been sent, even answered and applied, before the
        claimer died."""
        owners = [row["claimed_by"] for row in self.store.rows(
            "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'in_flight'")]
        dead = [owner for owner in owners if owner is None or not owner_alive(owner)]
        if not dead:
            return 0
        with self.store.write() as conn:
            return sum(conn.execute(f"UPDATE outbox SET {_GIVEN_BACK_SENT} WHERE status = 'in_flight' "
                                    "AND claimed_by IS ?", (owner,)).rowcount for owner in dead)


def return_body(barcode: str, kiosk_id: str, occurred_at: datetime) -> dict[str, Any]:
    return KioskReturn(barcode=barcode, kiosk_no=kiosk_id, occurred_at=occurred_at).model_dump(
        mode="json", by_alias=True)


def patch_body(req_state: ReqState, kiosk_id: str, occurred_at: datetime) -> dict[str, Any]:
    return RentalPatch(req_state=req_state, kiosk_no=kiosk_id, occurred_at=occurred_at).model_dump(
        mode="json", by_alias=True)


__all__ = ["Kind", "NewEntry", "Outbox", "OutboxEntry", "Settlement", "Status", "StoreError", "Told",
           "owner_alive", "owner_id", "patch_body", "return_body"]
