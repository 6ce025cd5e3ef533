"""Property: whatever the mix of appends, claims and outcomes, one book's entries settle in the
order they were appended, and never two of them are in flight at once."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk_data.codes import AT_LIMIT_LOAN, ON_LOAN, OVERDUE
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Settlement, Status

BOOKS = [ON_LOAN, OVERDUE, AT_LIMIT_LOAN]
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

operations = st.lists(st.one_of(
    st.tuples(st.just("append"), st.sampled_from(BOOKS)),
    st.tuples(st.just("claim"), st.integers(1, 4)),
    st.tuples(st.just("settle"), st.sampled_from([Status.DELIVERED, Status.DEAD, Status.PENDING])),
), max_size=40)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_entries_of_a_book_settle_in_append_order(steps) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "kiosk.sqlite3")
        outbox = Outbox(store, "kiosk-07")
        appended: dict[str, list[int]] = {book: [] for book in BOOKS}
        settled: dict[str, list[int]] = {book: [] for book in BOOKS}
        in_hand = []
        for op, arg in steps:
            if op == "append":
                appended[arg].append(outbox.append_return(arg, NOW).id)
            elif op == "claim":
                claimed = outbox.claim("agent:1:p", limit=arg, lease_s=60, due_only=False)
                assert len({entry.barcode for entry in claimed}) == len(claimed)
                in_hand += claimed
            elif in_hand:
                entry = in_hand.pop(0)
                outbox.settle("agent:1:p", [Settlement(entry.id, arg)])
                if arg is not Status.PENDING:
                    settled[entry.barcode].append(entry.id)
            flying = [e.barcode for e in outbox.recent(1000) if e.status is Status.IN_FLIGHT]
            assert len(flying) == len(set(flying))  # one entry per book in flight at most
        for book in BOOKS:
            assert settled[book] == appended[book][:len(settled[book])]
        store.close()
