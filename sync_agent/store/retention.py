"""How long a patron's data stays on the kiosk (docs/privacy.md).

A member's cached view (name, fines, loans and reservations with titles), their card lookup and
the index of their loans exist to serve a visit while the central side is away. They are kept
for the visit and a grace after it (``member_view_grace_s``, 15 minutes by default: a patron who
comes back with a forgotten book is still recognised offline), then deleted, unless an unsettled
(pending or in-flight) outbox entry of that member still needs the view: until the central side
has a return, the view is what shows it as "returned, syncing" and estimates its fine.

The app sets the expiry: when it caches a view, to the longest a visit left alone can last plus
the grace (so a crash mid-visit still lets the view expire), and when the visit ends, to the end
plus the grace. The agent purges. This module decides when; the tables are the read model's
(``sync_agent.store.database.OWNERS``), which it asks to write them. Deleted rows are overwritten (the
store runs with ``secure_delete``) and the write-ahead log is truncated after a purge, so the
bytes leave the disk too, not only the tables.
"""

from __future__ import annotations

import logging
import time

from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.read_model import forget_members_within, set_view_expiry

log = logging.getLogger(__name__)

_EXPIRED = """
    SELECT member_id FROM member_views v WHERE expires_at <= ?
      AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.member_id = v.member_id
                      AND o.status IN ('pending', 'in_flight'))
"""


class Retention:
    """Expiry of the patron data a kiosk caches, over a :class:`Store`."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._truncate_owed = False

    def expiry_of_new_view(self, now: float) -> float:
        """When a view cached now expires if its visit is never seen to end (the app stopped)."""
        return now + self.settings.session_timeout_s + self.settings.member_view_grace_s

    def end_visit(self, member_id: int, now: float) -> None:
        """The member's visit ended at ``now``: their view expires a grace later."""
        set_view_expiry(self.store, member_id, now + self.settings.member_view_grace_s)

    def purge(self, now: float | None = None) -> int:
        """Delete the expired views no unsettled entry needs, with their loan index and card
        lookups; returns how many members were forgotten. Only reads when nothing expired and
        the log holds nothing purged."""
        now = time.time() if now is None else now
        members = [row["member_id"] for row in self.store.rows(_EXPIRED, (now,))]
        if members:
            with self.store.write() as conn:
                members = [row[0] for row in conn.execute(_EXPIRED, (now,))]
                forget_members_within(conn, members)
            log.info("forgot %d member(s) whose visit ended more than the grace ago", len(members))
            self._truncate_owed = True
        if self._truncate_owed:
            self._truncate_owed = self._truncate_log()
        return len(members)

    def _truncate_log(self) -> bool:
        """Copy the log into the file and cut it to zero bytes, so no old page of a deleted row
        stays in it; True if a reader of the other process was in the way (try again later)."""
        busy = self.store.rows("PRAGMA wal_checkpoint(TRUNCATE)")[0]["busy"]
        if busy:
            log.info("write-ahead log not truncated yet (a reader is active); the next purge retries")
        return bool(busy)
