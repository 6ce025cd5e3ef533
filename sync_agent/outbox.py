"""The outbox: what the kiosk promised a patron, kept on disk until the central side has it.

An entry is appended in one durable transaction before the patron is told anything, with an
idempotency key unique across the fleet, so the agent may send it as often as it must and the
central API applies it once. The key is ``<kiosk id>:<store epoch>:<entry id>``: the epoch is a
random UUID drawn when the store file is created (a replaced file never repeats an old key), and
entry ids are never reused within a file because pruning always keeps the newest entry. A key built
this way needs no unique index, which keeps appends one index page cheaper.

Entries of one book are delivered in the order they were appended: only the oldest unsettled entry
of a barcode (its head) can be claimed.

Life of an entry::

    pending --claim--> in_flight --2xx / replayed--> delivered --(retention)--> pruned
       ^                  |   \\--409/422/404--> dead --retry_dead--> pending
       |                  |                          \\--resolve_dead--> resolved
       \\---retryable / lease expired / owner gone---/

A claim is an atomic update in SQLite, so the app (delivering a book before a rent) and the agent
never send the same entry at the same time; a claim carries a lease and the claimer's identity
(:mod:`sync_agent.claimer`: boot id, pid, start time), so an entry left in flight by a crash returns
to pending.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sync_agent.claimer import owner_alive, owner_id
from sync_agent.contract import KioskRent, KioskReturn, ReqState, RentalPatch
from sync_agent.store import Store, StoreError


class Kind(StrEnum):
    RETURN = "return"
    RENT = "rent"
    CANCEL = "cancel"


class Status(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"
    RESOLVED = "resolved"


LAST_SUCCESS = "last_success_at"
"""``sync_state`` row: when the central side last accepted something from this kiosk."""
COUNTER_OF = {Status.DELIVERED: "delivered", Status.DEAD: "dead_lettered", Status.PENDING: "retried"}


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
        )


@dataclass(frozen=True)
class Settlement:
    """The outcome of one delivery burst, written back by :meth:`Outbox.settle` (which also counts
    it in ``counters`` and stamps the last success)."""

    entry_id: int
    status: Status  # DELIVERED, DEAD or PENDING (retry later)
    attempts: int = 1
    error: str | None = None
    response: dict[str, Any] | None = None
    next_attempt_at: float = 0.0


_APPEND = """
    INSERT INTO outbox (id, key, kind, barcode, member_id, rental_id, payload, occurred_at,
                        created_at, status, attempts, next_attempt_at)
    SELECT next.id, :prefix || next.id, :kind, :barcode,
           -- a return is attached to the cached member who has the book on loan
           coalesce(:member_id, (SELECT member_id FROM loan_index WHERE barcode = :barcode)),
           :rental_id, :payload, :occurred_at, :created_at, 'pending', 0, 0
    FROM (SELECT coalesce(max(id), 0) + 1 AS id FROM outbox) AS next
    RETURNING id, key, member_id
"""

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
        self._store_epoch: str | None = None

    def _epoch(self) -> str:
        if self._store_epoch is None:
            rows = self.store.rows("SELECT value FROM sync_state WHERE name = 'store_epoch'")
            if not rows:
                raise StoreError("corrupt", "the store has no epoch (sync_state.store_epoch)")
            self._store_epoch = rows[0]["value"]
        return self._store_epoch

    # -- appending (the app) ---------------------------------------------------------------

    def append_return(self, barcode: str, occurred_at: datetime, title: str | None = None) -> OutboxEntry:
        """Record a self-return; durable when this returns. ``title`` (if known) is kept for
        receipts; the return is attached to the cached member who has the book on loan."""
        body = KioskReturn(barcode=barcode, kiosk_no=self.kiosk_id, occurred_at=occurred_at)
        return self._append(Kind.RETURN, body.model_dump(mode="json", by_alias=True), occurred_at,
                            barcode=barcode, title=title)

    def append_cancel(self, rental_id: int, barcode: str, member_id: int,
                      occurred_at: datetime) -> OutboxEntry:
        """Record a reservation cancel (the central side refunds); durable when this returns."""
        body = RentalPatch(req_state=ReqState.CANCEL, kiosk_no=self.kiosk_id, occurred_at=occurred_at)
        return self._append(Kind.CANCEL, body.model_dump(mode="json", by_alias=True), occurred_at,
                            barcode=barcode, member_id=member_id, rental_id=rental_id)

    def append_rent(self, member_id: int, barcode: str, occurred_at: datetime) -> OutboxEntry:
        """Record an offline borrow, confirmed later; durable when this returns."""
        body = KioskRent(member_id=member_id, barcode=barcode, kiosk_no=self.kiosk_id,
                         occurred_at=occurred_at)
        return self._append(Kind.RENT, body.model_dump(mode="json", by_alias=True), occurred_at,
                            barcode=barcode, member_id=member_id)

    def _append(self, kind: Kind, payload: dict[str, Any], occurred_at: datetime, *,
                barcode: str, member_id: int | None = None, rental_id: int | None = None,
                title: str | None = None) -> OutboxEntry:
        if occurred_at.tzinfo is None:
            raise ValueError("occurred_at must carry a time zone")
        values = {"prefix": f"{self.kiosk_id}:{self._epoch()}:", "kind": kind.value,
                  "barcode": barcode, "member_id": member_id, "rental_id": rental_id,
                  "payload": json.dumps(payload), "occurred_at": occurred_at.isoformat(),
                  "created_at": time.time(), "title": title}
        with self.store.write() as conn:
            if title:
                conn.execute("INSERT INTO catalog (barcode, title) VALUES (:barcode, :title) "
                             "ON CONFLICT(barcode) DO UPDATE SET title = coalesce(title, excluded.title)",
                             values)
            entry_id, key, member_id = conn.execute(_APPEND, values).fetchone()
        return OutboxEntry(
            id=entry_id, key=key, kind=kind, barcode=barcode, member_id=member_id,
            rental_id=rental_id, payload=payload, occurred_at=occurred_at,
            created_at=values["created_at"], status=Status.PENDING, attempts=0, next_attempt_at=0.0,
            last_error=None, response=None, claimed_by=None, note=None)

    # -- reading -----------------------------------------------------------------------------

    def get(self, entry_id: int) -> OutboxEntry | None:
        rows = self.store.rows("SELECT * FROM outbox WHERE id = ?", (entry_id,))
        return OutboxEntry.from_row(rows[0]) if rows else None

    def pending_for(self, barcode: str) -> list[OutboxEntry]:
        """Unsettled entries (pending or in flight) of one book, oldest first."""
        return self._select("barcode = ? AND status IN ('pending', 'in_flight')", (barcode,))

    def pending_for_member(self, member_id: int, barcodes: Iterable[str] = ()) -> list[OutboxEntry]:
        """Unsettled entries of a member, or of the books in ``barcodes`` (their loans)."""
        return self._select("status IN ('pending', 'in_flight') AND (member_id = ? OR barcode IN "
                            "(SELECT value FROM json_each(?)))",
                            (member_id, json.dumps(sorted(barcodes))))

    def dead_letters(self) -> list[OutboxEntry]:
        return self._select("status = 'dead'", ())

    def recent(self, limit: int = 50) -> list[OutboxEntry]:
        rows = self.store.rows("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", (limit,))
        return [OutboxEntry.from_row(row) for row in rows]

    def _select(self, where: str, params: tuple[Any, ...]) -> list[OutboxEntry]:
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
                                f"claimed_by = NULL, lease_until = NULL WHERE {where}", params).rowcount

    def resolve_dead(self, entry_id: int, note: str) -> bool:
        """Close a dead letter the technician handled by hand, with a note for the audit trail."""
        with self.store.write() as conn:
            return conn.execute("UPDATE outbox SET status = 'resolved', note = ?, settled_at = ? "
                                "WHERE id = ? AND status = 'dead'",
                                (note, time.time(), entry_id)).rowcount == 1

    def prune_delivered(self, older_than_s: float) -> int:
        """Delete delivered and resolved entries settled longer ago than ``older_than_s``, except
        the newest entry of all, which keeps entry ids (and so keys) from being reused."""
        with self.store.write() as conn:
            return conn.execute("DELETE FROM outbox WHERE status IN ('delivered', 'resolved') "
                                "AND settled_at < ? AND id < (SELECT max(id) FROM outbox)",
                                (time.time() - older_than_s,)).rowcount

    # -- delivering (the relay) --------------------------------------------------------------

    def claim(self, owner: str, *, limit: int, lease_s: float, barcode: str | None = None,
              due_only: bool = True, skip_kinds: Iterable[Kind] = (),
              settle: Iterable[Settlement] = ()) -> list[OutboxEntry]:
        """Atomically take up to ``limit`` heads (oldest unsettled entry of each book) that are
        pending, due (unless ``due_only`` is false) and not of ``skip_kinds``; expired leases are
        returned to pending first. ``settle``: outcomes to write in the same transaction first
        (one fsync for both, and the books they free can be claimed at once)."""
        now = time.time()
        extra, params = "", {"limit": limit}
        if due_only:
            extra += " AND o.next_attempt_at <= :now"
        if barcode is not None:
            extra += " AND o.barcode = :barcode"
            params["barcode"] = barcode
        skipped = [kind.value for kind in skip_kinds]
        for index, kind in enumerate(skipped):
            extra += f" AND o.kind != :skip{index}"
            params[f"skip{index}"] = kind
        params["now"] = now
        with self.store.write() as conn:
            self._settle(conn, owner, settle)
            conn.execute("UPDATE outbox SET status = 'pending', claimed_by = NULL, lease_until = NULL "
                         "WHERE status = 'in_flight' AND lease_until < ?", (now,))
            cursor = conn.execute(_HEADS.format(extra=extra), params)
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            conn.executemany("UPDATE outbox SET status = 'in_flight', claimed_by = ?, lease_until = ? "
                             "WHERE id = ?", [(owner, now + lease_s, row["id"]) for row in rows])
        return [OutboxEntry.from_row({**row, "status": "in_flight", "claimed_by": owner})
                for row in rows]

    def settle(self, owner: str, settlements: Iterable[Settlement]) -> None:
        """Write back delivery outcomes in one transaction. Delivered and dead are facts about the
        central side and are recorded whoever holds the claim; a retry only releases our claim."""
        with self.store.write() as conn:
            self._settle(conn, owner, settlements)

    @staticmethod
    def _settle(conn: sqlite3.Connection, owner: str, settlements: Iterable[Settlement]) -> None:
        now = time.time()
        tally = Counter({Status.DELIVERED: 0, Status.DEAD: 0, Status.PENDING: 0})
        for item in settlements:
            response = json.dumps(item.response) if item.response is not None else None
            if item.status is Status.PENDING:
                conn.execute(
                    "UPDATE outbox SET status = 'pending', attempts = attempts + ?, "
                    "last_error = ?, next_attempt_at = ?, claimed_by = NULL, lease_until = NULL "
                    "WHERE id = ? AND status = 'in_flight' AND claimed_by = ?",
                    (item.attempts, item.error, item.next_attempt_at, item.entry_id, owner))
            elif item.status in (Status.DELIVERED, Status.DEAD):
                conn.execute(
                    "UPDATE outbox SET status = ?, attempts = attempts + ?, last_error = ?, "
                    "response = ?, settled_at = ?, claimed_by = NULL, lease_until = NULL "
                    "WHERE id = ? AND status IN ('pending', 'in_flight')",
                    (item.status.value, item.attempts, item.error, response, now, item.entry_id))
            else:
                raise ValueError(f"cannot settle an entry as {item.status}")
            tally[item.status] += 1
        conn.executemany("INSERT INTO counters (name, value) VALUES (?, ?) "
                         "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                         [(COUNTER_OF[status], n) for status, n in tally.items() if n])
        if tally[Status.DELIVERED]:
            conn.execute("INSERT INTO sync_state (name, value) VALUES (?, ?) ON CONFLICT(name) "
                         "DO UPDATE SET value = excluded.value",
                         (LAST_SUCCESS, datetime.now(UTC).isoformat()))

    def make_due(self) -> int:
        """Make every pending entry due now (forget backoff schedules); returns how many waited."""
        with self.store.write() as conn:
            return conn.execute("UPDATE outbox SET next_attempt_at = 0 "
                                "WHERE status = 'pending' AND next_attempt_at > 0").rowcount

    def next_due_at(self) -> float | None:
        """When the earliest pending entry is due (epoch seconds), None if none is pending."""
        return self.store.rows("SELECT min(next_attempt_at) AS due FROM outbox "
                               "WHERE status = 'pending'")[0]["due"]

    def release_claims(self, owner: str, ids: Iterable[int] | None = None) -> int:
        """Give back claims of ``owner`` untouched: those in ``ids``, or all of them."""
        where = "" if ids is None else " AND id IN (SELECT value FROM json_each(?))"
        params = (owner,) if ids is None else (owner, json.dumps(list(ids)))
        with self.store.write() as conn:
            return conn.execute("UPDATE outbox SET status = 'pending', claimed_by = NULL, "
                                "lease_until = NULL WHERE status = 'in_flight' AND claimed_by = ?"
                                + where, params).rowcount

    def recover_orphans(self) -> int:
        """Return to pending every in-flight entry whose claimer process is gone (after a crash)."""
        owners = [row["claimed_by"] for row in self.store.rows(
            "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'in_flight'")]
        dead = [owner for owner in owners if owner is None or not owner_alive(owner)]
        if not dead:
            return 0
        with self.store.write() as conn:
            return sum(conn.execute("UPDATE outbox SET status = 'pending', claimed_by = NULL, "
                                    "lease_until = NULL WHERE status = 'in_flight' "
                                    "AND claimed_by IS ?", (owner,)).rowcount for owner in dead)


__all__ = ["Kind", "Outbox", "OutboxEntry", "Settlement", "Status", "StoreError", "owner_alive",
           "owner_id"]
