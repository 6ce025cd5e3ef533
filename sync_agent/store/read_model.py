"""The kiosk's read side: what it knows of the central state, for when the central side is away.

- The catalog (barcode to copy) gives receipts their titles offline; it is refreshed by deltas
  (``GET /books?updatedSince=``) from the watermark the server last gave (its ``serverTime``).
- Member views are the last ``MyPage`` the central side sent for each member who used the kiosk
  recently: kept for the visit and a grace after it (sync_agent.store.retention).
- :meth:`ReadModel.member_view` lays the kiosk's own unsettled outbox entries on top, so an offline
  screen shows "returned, syncing" for a book returned here a minute ago.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sync_agent.store import sync_state
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, OutboxEntry
from sync_agent.wire.rest import Book, BookStatus, Circulation, MyPage

_CIRCULATION_OF = {BookStatus.RENTED: Circulation.ON_LOAN, BookStatus.RESERVED: Circulation.ON_HOLD,
                   BookStatus.AVAILABLE: Circulation.ON_SHELF, BookStatus.WITHDRAWN: Circulation.WITHDRAWN}


@dataclass(frozen=True)
class MemberView:
    """A member's cached central view, when it was fetched, and the local entries not yet synced."""

    page: MyPage
    as_of: datetime
    fetched_at: float
    pending: list[OutboxEntry]

    def pending_barcodes(self) -> set[str]:
        return {entry.barcode for entry in self.pending if entry.barcode}


class ReadModel:
    """Catalog and member views over a :class:`Store`: the tables ``catalog``, ``member_views``
    and ``loan_index`` are this module's to write (``sync_agent.store.database.OWNERS``)."""

    def __init__(self, store: Store, outbox: Outbox) -> None:
        self.store = store
        self.outbox = outbox

    def title_for(self, barcode: str) -> str | None:
        rows = self.store.rows("SELECT title FROM catalog WHERE barcode = ?", (barcode,))
        return rows[0]["title"] if rows else None

    def book(self, barcode: str) -> Book | None:
        """The cached copy, if the catalog has its full record (not only a title)."""
        rows = self.store.rows("SELECT * FROM catalog WHERE barcode = ? AND book_id IS NOT NULL",
                               (barcode,))
        if not rows:
            return None
        row = rows[0]
        return Book(id=row["book_id"], barcode=row["barcode"], isbn=row["isbn"], title=row["title"],
                    author=row["author"], status=row["status"], updated_at=row["updated_at"])

    def local_circulation(self, barcode: str) -> Circulation | None:
        """Whether a copy is on loan as far as this kiosk knows without the central side: a borrow
        made or saved here, a cached member's loan, or the catalog's last status; None if the kiosk
        knows nothing of the copy."""
        rows = self.store.rows(
            "SELECT (SELECT 1 FROM outbox WHERE barcode = :b AND kind = 'rent' AND status IN "
            "('pending', 'in_flight') AND told = 'queued') AS queued, "
            "(SELECT 1 FROM loan_index WHERE barcode = :b) AS cached_loan, "
            "(SELECT status FROM catalog WHERE barcode = :b AND book_id IS NOT NULL) AS status",
            {"b": barcode})[0]
        if rows["queued"] or rows["cached_loan"]:
            return Circulation.ON_LOAN
        return _CIRCULATION_OF.get(rows["status"]) if rows["status"] else None

    def upsert_books(self, books: Iterable[Book], watermark: datetime | None = None) -> int:
        """Store copies from the central side (and the next ``updatedSince``) in one transaction."""
        rows = [{"barcode": b.barcode, "book_id": b.id, "isbn": b.isbn, "title": b.title,
                 "author": b.author, "status": b.status.value, "updated_at": b.updated_at.isoformat()}
                for b in books]
        with self.store.write() as conn:
            conn.executemany(
                "INSERT INTO catalog (barcode, book_id, isbn, title, author, status, updated_at) "
                "VALUES (:barcode, :book_id, :isbn, :title, :author, :status, :updated_at) "
                "ON CONFLICT(barcode) DO UPDATE SET book_id = excluded.book_id, isbn = excluded.isbn, "
                "title = excluded.title, author = excluded.author, status = excluded.status, "
                "updated_at = excluded.updated_at", rows)
            if watermark is not None:
                sync_state.put_within(conn, sync_state.CATALOG_SINCE, watermark.isoformat())
        return len(rows)

    def catalog_watermark(self) -> datetime | None:
        value = sync_state.get(self.store, sync_state.CATALOG_SINCE)
        return datetime.fromisoformat(value) if value else None

    def cache_member_view(self, page: MyPage, expires_at: float = 0.0) -> None:
        """Keep the member's latest central view (replacing the previous one) and index its loans
        by barcode, so that a return scanned without a card finds its member. The view is deleted
        after ``expires_at`` (epoch seconds; by default at the next purge) once no unsettled entry
        of the member needs it (sync_agent.store.retention)."""
        with self.store.write() as conn:
            conn.execute("INSERT INTO member_views (member_id, page, as_of, fetched_at, expires_at) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT(member_id) DO UPDATE SET "
                         "page = excluded.page, as_of = excluded.as_of, fetched_at = excluded.fetched_at, "
                         "expires_at = excluded.expires_at",
                         (page.member_id, page.model_dump_json(by_alias=True), page.as_of.isoformat(),
                          time.time(), expires_at))
            conn.execute("DELETE FROM loan_index WHERE member_id = ?", (page.member_id,))
            conn.executemany("INSERT INTO loan_index (barcode, member_id) VALUES (?, ?) "
                             "ON CONFLICT(barcode) DO UPDATE SET member_id = excluded.member_id",
                             [(loan.barcode, page.member_id) for loan in page.loans])

    def member_view(self, member_id: int) -> MemberView | None:
        """The cached view plus this member's unsettled local entries, or None if never seen."""
        rows = self.store.rows("SELECT * FROM member_views WHERE member_id = ?", (member_id,))
        if not rows:
            return None
        page = MyPage.model_validate_json(rows[0]["page"])
        pending = self.outbox.pending_for_member(member_id, (entry.barcode for entry in page.loans))
        return MemberView(page=page, as_of=page.as_of, fetched_at=rows[0]["fetched_at"],
                          pending=pending)


def set_view_expiry(store: Store, member_id: int, expires_at: float) -> None:
    """When the member's cached view (and with it their loan index and card lookups) may go
    (epoch seconds; sync_agent.store.retention decides)."""
    with store.write() as conn:
        conn.execute("UPDATE member_views SET expires_at = ? WHERE member_id = ?",
                     (expires_at, member_id))


def forget_members_within(conn: sqlite3.Connection, member_ids: Iterable[int]) -> None:
    """Delete the members' cached views and their loan index inside the caller's write transaction
    (sync_agent.store.retention's purge, which chooses them in the same transaction); their card
    lookups go with the views (``member_cards`` rows are deleted ``ON DELETE CASCADE``)."""
    members = [(member_id,) for member_id in member_ids]
    conn.executemany("DELETE FROM loan_index WHERE member_id = ?", members)
    conn.executemany("DELETE FROM member_views WHERE member_id = ?", members)
