"""The outbox: durable appends, per-book order, atomic claims, leases, dead letters, pruning."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import AT_LIMIT_LOAN, ON_LOAN, OVERDUE
from sync_agent.agent.saga import Intents
from sync_agent.store import schedule_clock
from sync_agent.store.database import Store
from sync_agent.store.outbox import Kind, Outbox, Settlement, Status, owner_alive, owner_id
from sync_agent.store.read_model import ReadModel
from sync_agent.wire.rest import MyPage, MyPageEntry, RentalStatus

from .conftest import queued_rent

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
X, Y, Z = ON_LOAN, OVERDUE, AT_LIMIT_LOAN


def test_an_append_is_on_disk_when_it_returns(store: Store, outbox: Outbox, tmp_path: Path) -> None:
    entry = outbox.append_return(X, NOW)
    other = Store.open(store.path)  # another connection, as the agent process has
    seen = Outbox(other, "kiosk-07").get(entry.id)
    assert seen is not None and seen.status is Status.PENDING and seen.kind is Kind.RETURN
    assert seen.key.startswith("kiosk-07:") and len(seen.key) > 40
    assert seen.payload == {"barcode": X, "kioskNo": "kiosk-07", "occurredAt": "2026-03-02T10:00:00Z"}
    assert seen.occurred_at == NOW
    assert ReadModel(other, Outbox(other, "kiosk-07")).title_for(X) is None, "no reading record"


def test_keys_are_random_so_pruning_never_reuses_one(store: Store, outbox: Outbox) -> None:
    entries = [outbox.append_return(X, NOW) for _ in range(5)]
    assert len({entry.key for entry in entries}) == 5
    kiosk, token = entries[-1].key.split(":")
    assert kiosk == "kiosk-07" and len(token) == 32
    with store.write() as conn:  # everything delivered long ago
        conn.execute("UPDATE outbox SET status = 'delivered', settled_at = 0")
    assert outbox.prune_delivered(60) == 5
    again = outbox.append_return(X, NOW)
    assert again.id == 1, "ids restart once everything is pruned ..."
    assert again.key not in {entry.key for entry in entries}, "... keys never do"


def test_an_intent_is_not_written_behind_an_unsettled_entry_of_its_book(outbox: Outbox) -> None:
    outbox.append_return(X, NOW)
    assert Intents(outbox).begin_rent(1, X, NOW, visit="v", owner="app:1:a", lease_s=30) is None
    assert Intents(outbox).begin_reserve(1, 2, X, NOW, visit="v", owner="app:1:a", lease_s=30) is None
    assert [entry.kind for entry in outbox.recent()] == [Kind.RETURN], "nothing was written"
    assert Intents(outbox).begin_rent(1, Y, NOW, visit="v", owner="app:1:a", lease_s=30) is not None


def test_a_naive_time_is_refused_and_nothing_is_written(outbox: Outbox) -> None:
    with pytest.raises(ValueError):
        outbox.append_return(X, datetime(2026, 3, 2, 10, 0))
    assert outbox.counts()["pending"] == 0


def test_cancel_and_rent_payloads_follow_the_contract(outbox: Outbox) -> None:
    cancel = outbox.append_cancel(17, X, 1, NOW)
    rent = queued_rent(outbox, 6, Y, NOW)
    assert cancel.rental_id == 17 and cancel.member_id == 1
    assert cancel.payload == {"reqState": "cancel", "kioskNo": "kiosk-07", "occurredAt": "2026-03-02T10:00:00Z"}
    assert rent.payload == {"memberId": 6, "barcode": Y, "kioskNo": "kiosk-07",
                            "occurredAt": "2026-03-02T10:00:00Z"}


def test_only_the_head_of_each_book_is_claimed(outbox: Outbox) -> None:
    x1 = outbox.append_return(X, NOW)
    x2 = outbox.append_cancel(7, X, 1, NOW)  # any later entry of the same book
    y1 = outbox.append_return(Y, NOW)
    claimed = outbox.claim("agent:1:a", limit=10, lease_s=30)
    assert [entry.id for entry in claimed] == [x1.id, y1.id]
    assert outbox.claim("agent:1:a", limit=10, lease_s=30) == []  # x2 waits behind x1
    outbox.settle("agent:1:a", [Settlement(x1.id, Status.DELIVERED, response={"id": 2})])
    assert [entry.id for entry in outbox.claim("agent:1:a", limit=10, lease_s=30)] == [x2.id]


def test_a_retry_keeps_later_entries_of_the_book_waiting(outbox: Outbox) -> None:
    x1 = outbox.append_return(X, NOW)
    outbox.append_cancel(7, X, 1, NOW)
    outbox.claim("o:1:a", limit=5, lease_s=30)
    outbox.settle("o:1:a", [Settlement(x1.id, Status.PENDING, error="rental: timeout",
                                       next_attempt_at=schedule_clock.now() + 60)])
    assert outbox.claim("o:1:a", limit=5, lease_s=30) == []  # not due, and x2 is behind it
    again = outbox.claim("o:1:a", limit=5, lease_s=30, due_only=False)
    assert [entry.id for entry in again] == [x1.id]
    assert again[0].attempts == 1 and again[0].last_error == "rental: timeout"


def test_a_schedule_written_on_another_boots_clock_is_due_now(outbox: Outbox, store: Store) -> None:
    """Times further ahead than anything the kiosk schedules (a previous boot's uptime, or an
    epoch time from before the schedule ran on the boot clock) neither park an entry nor hold a
    claim; an ordinary backoff still waits."""
    waiting, parked, held = (outbox.append_return(code, NOW) for code in (X, Y, Z))
    now = schedule_clock.now()
    with store.write() as conn:
        conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (now + 60, waiting.id))
        conn.execute("UPDATE outbox SET next_attempt_at = ? WHERE id = ?", (now + 86_400, parked.id))
        conn.execute("UPDATE outbox SET status = 'in_flight', claimed_by = 'agent:1:gone', "
                     "lease_until = ? WHERE id = ?", (1.8e9, held.id))
    assert outbox.next_due_at() == pytest.approx(now, abs=5)
    claimed = outbox.claim("o:1:a", limit=5, lease_s=30)
    assert sorted(entry.id for entry in claimed) == [parked.id, held.id]


def test_a_dead_letter_does_not_block_the_book(outbox: Outbox) -> None:
    x1 = outbox.append_return(X, NOW)
    x2 = outbox.append_return(X, NOW)
    outbox.claim("o:1:a", limit=5, lease_s=30)
    outbox.settle("o:1:a", [Settlement(x1.id, Status.DEAD, error="not_rented: not on loan",
                                       response={"status": 409})])
    assert [entry.id for entry in outbox.claim("o:1:a", limit=5, lease_s=30)] == [x2.id]
    dead = outbox.dead_letters()
    assert [entry.id for entry in dead] == [x1.id] and dead[0].last_error.startswith("not_rented")


def test_concurrent_claimers_never_take_the_same_entry(store: Store) -> None:
    writer = Outbox(store, "kiosk-07")
    for index in range(200):
        writer.append_return(f"300420000{index:05d}", NOW)
    taken: list[list[int]] = [[] for _ in range(4)]

    def claimer(slot: int) -> None:
        own = Store.open(store.path)  # one connection each, as separate processes have
        box = Outbox(own, "kiosk-07")
        while batch := box.claim(f"o:{slot}:x", limit=7, lease_s=30):
            taken[slot].extend(entry.id for entry in batch)
        own.close()

    threads = [threading.Thread(target=claimer, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [entry_id for ids in taken for entry_id in ids]
    assert len(every) == 200 and len(set(every)) == 200


def test_an_expired_lease_returns_the_entry_to_pending(outbox: Outbox) -> None:
    entry = outbox.append_return(X, NOW)
    outbox.claim("o:1:a", limit=1, lease_s=0.05)
    assert outbox.claim("o:2:b", limit=1, lease_s=30) == []
    time.sleep(0.1)
    reclaimed = outbox.claim("o:2:b", limit=1, lease_s=30)
    assert [e.id for e in reclaimed] == [entry.id] and reclaimed[0].claimed_by == "o:2:b"
    # the first claimer's late retry must not undo the second claim ...
    outbox.settle("o:1:a", [Settlement(entry.id, Status.PENDING, error="late")])
    assert outbox.get(entry.id).status is Status.IN_FLIGHT
    # ... but a delivery is a fact whoever reports it
    outbox.settle("o:1:a", [Settlement(entry.id, Status.DELIVERED, response={"ok": True})])
    assert outbox.get(entry.id).status is Status.DELIVERED


def test_entries_of_a_dead_process_are_recovered(outbox: Outbox) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    entry = outbox.append_return(X, NOW)
    mine = outbox.append_return(Y, NOW)
    outbox.claim(f"agent:{gone.stdout.strip()}:dead", limit=1, lease_s=3600, barcode=X)
    outbox.claim(owner_id("app"), limit=1, lease_s=3600, barcode=Y)
    assert not owner_alive(f"agent:{gone.stdout.strip()}:dead") and owner_alive(f"app:{os.getpid()}:x")
    assert outbox.recover_orphans() == 1
    assert outbox.get(entry.id).status is Status.PENDING
    assert outbox.get(mine.id).status is Status.IN_FLIGHT


def test_retry_and_resolve_dead_letters(outbox: Outbox) -> None:
    first, second = outbox.append_return(X, NOW), outbox.append_return(Y, NOW)
    outbox.claim("o:1:a", limit=5, lease_s=30)
    outbox.settle("o:1:a", [Settlement(first.id, Status.DEAD, error="a"),
                            Settlement(second.id, Status.DEAD, error="b")])
    assert outbox.resolve_dead(first.id, "returned by hand at the desk")
    assert not outbox.resolve_dead(first.id, "twice")
    assert outbox.get(first.id).status is Status.RESOLVED
    assert outbox.get(first.id).note == "returned by hand at the desk"
    assert outbox.retry_dead() == 1
    assert outbox.get(second.id).status is Status.PENDING
    assert outbox.counts()["dead"] == 0


def test_counts_and_oldest_age(outbox: Outbox) -> None:
    assert outbox.counts()["oldest_pending_age_s"] is None
    entry = outbox.append_return(X, NOW)
    outbox.append_return(Y, NOW)
    time.sleep(0.05)
    outbox.claim("o:1:a", limit=1, lease_s=30)
    counts = outbox.counts()
    assert counts["pending"] == 1 and counts["in_flight"] == 1
    assert counts["oldest_pending_age_s"] >= 0.05
    outbox.settle("o:1:a", [Settlement(entry.id, Status.DELIVERED)])
    assert outbox.counts()["delivered"] == 1


def test_prune_removes_only_old_settled_entries(store: Store, outbox: Outbox) -> None:
    old, fresh = outbox.append_return(X, NOW), outbox.append_return(Y, NOW)
    waiting = outbox.append_return(Z, NOW)
    outbox.claim("o:1:a", limit=2, lease_s=30)
    outbox.settle("o:1:a", [Settlement(old.id, Status.DELIVERED), Settlement(fresh.id, Status.DELIVERED)])
    with store.write() as conn:
        conn.execute("UPDATE outbox SET settled_at = settled_at - 90000 WHERE id = ?", (old.id,))
    assert outbox.prune_delivered(86400) == 1
    assert outbox.get(old.id) is None and outbox.get(fresh.id) is not None
    assert outbox.get(waiting.id).status is Status.PENDING


def test_a_return_is_attached_to_the_member_whose_loan_it_is(store: Store, outbox: Outbox) -> None:
    model = ReadModel(store, outbox)
    loan = MyPageEntry(rental_id=2, book_id=2, barcode=X, title="The Pragmatic Programmer",
                       status=RentalStatus.RENTED, due_at=NOW)
    model.cache_member_view(MyPage(member_id=1, name="김민지", fines=0, reservations=[],
                                   loans=[loan], as_of=NOW))
    entry = outbox.append_return(X, NOW)
    assert entry.member_id == 1
    view = model.member_view(1)
    assert view is not None and [e.id for e in view.pending] == [entry.id]
    assert view.pending_barcodes() == {X} and view.as_of == NOW
    assert model.member_view(2) is None


def test_releasing_some_claims_leaves_the_others_held(outbox: Outbox) -> None:
    first, second = outbox.append_return(X, NOW), outbox.append_return(Y, NOW)
    outbox.claim("app:1:a", limit=2, lease_s=30)
    assert outbox.release_claims("app:1:a", [first.id]) == 1
    assert outbox.get(first.id).status is Status.PENDING
    assert outbox.get(second.id).status is Status.IN_FLIGHT
    assert outbox.release_claims("someone:2:b") == 0  # only the owner's own claims
    assert outbox.release_claims("app:1:a") == 1


def test_the_loan_index_follows_the_latest_views(store: Store, outbox: Outbox) -> None:
    model = ReadModel(store, outbox)

    def page(member_id: int, *barcodes: str) -> MyPage:
        loans = [MyPageEntry(rental_id=i, book_id=i, barcode=code, title="t",
                             status=RentalStatus.RENTED, due_at=NOW) for i, code in enumerate(barcodes)]
        return MyPage(member_id=member_id, name="n", fines=0, reservations=[], loans=loans, as_of=NOW)

    model.cache_member_view(page(1, X, Y))
    model.cache_member_view(page(1, Y))  # X was returned at the desk
    model.cache_member_view(page(2, Y))  # ... and Y lent to member 2 since
    assert outbox.append_return(X, NOW).member_id is None
    assert outbox.append_return(Y, NOW).member_id == 2
