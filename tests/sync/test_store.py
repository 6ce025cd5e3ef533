"""The SQLite store: pragmas, migrations, integrity, and every failure surfacing as StoreError."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import ON_LOAN
from sync_agent.store.database import MIGRATIONS, Store, StoreError, classify
from sync_agent.store.outbox import Outbox

from .damage import fill, make_status_index_stale


def tables(store: Store) -> set[str]:
    return {row["name"] for row in store.rows("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_open_creates_the_file_with_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "deep" / "kiosk.sqlite3")
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
    assert store.schema_version == len(MIGRATIONS)
    assert {"outbox", "catalog", "member_views", "sync_state", "breakers", "devices",
            "counters"} <= tables(store)
    assert store.integrity_check() == "ok"


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    first = Store.open(path)
    Outbox(first, "k").append_return(ON_LOAN, datetime.now(UTC))
    first.close()
    again = Store.open(path)
    assert again.schema_version == len(MIGRATIONS)
    assert Outbox(again, "k").counts()["pending"] == 1


def test_an_old_schema_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    sqlite3.connect(path).close()  # an empty file at version 0
    assert Store.open(path).schema_version == len(MIGRATIONS)


def test_a_file_from_newer_software_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert caught.value.reason == "corrupt"
    assert "newer" in caught.value.message


def test_a_file_that_is_not_a_database_is_reported_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 200)
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert caught.value.reason == "corrupt"


def test_a_damaged_page_fails_the_integrity_check(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    store = Store.open(path)
    outbox = Outbox(store, "k")
    for index in range(1000):
        outbox.append_return(f"3004200000{index:04d}", datetime.now(UTC))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    raw = bytearray(path.read_bytes())
    page = 4096
    for start in range(page * 2, len(raw) - page, page * 3):  # scribble over b-tree pages
        raw[start + 8: start + 1000] = b"\xff" * 992
    path.write_bytes(bytes(raw))
    try:
        damaged = Store.open(path)
    except StoreError as exc:
        assert exc.reason == "corrupt"
        return
    assert damaged.integrity_check() != "ok"


def test_a_full_disk_is_an_error_and_the_entry_is_not_recorded(store: Store) -> None:
    outbox = Outbox(store, "k")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count={pages}")  # no room to grow: SQLITE_FULL
    with pytest.raises(StoreError) as caught:
        for index in range(5000):
            outbox.append_return(f"3004200000{index:04d}", datetime.now(UTC))
    assert caught.value.reason == "disk_full"
    appended = index
    store.conn.execute("PRAGMA max_page_count=1073741823")
    assert outbox.counts()["pending"] == appended  # the failed append left nothing behind


def test_a_write_blocked_by_the_other_process_reports_locked(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the other process holds the write lock
    try:
        store = Store.open(path, busy_timeout_ms=50)
    except StoreError as exc:  # the migration check itself needs the lock
        assert exc.reason == "locked"
        return
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    pytest.fail(f"opened {store} while another connection held the write lock")


def test_read_only_file_system_errors_are_classified() -> None:
    error = sqlite3.OperationalError("attempt to write a readonly database")
    error.sqlite_errorcode = sqlite3.SQLITE_READONLY
    error.sqlite_errorname = "SQLITE_READONLY"
    assert classify(error).reason == "readonly"
    assert classify(sqlite3.OperationalError("disk I/O error")).reason == "io"


def test_a_new_migration_upgrades_an_existing_file_in_place(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "kiosk.sqlite3"
    first = Store.open(path)
    entry = Outbox(first, "k").append_return(ON_LOAN, datetime.now(UTC))
    first.close()

    def add_receipts(db) -> None:  # what a next release would ship
        db["receipts"].create({"id": int, "outbox_id": int}, pk="id",
                              foreign_keys=[("outbox_id", "outbox", "id")])

    monkeypatch.setattr("sync_agent.store.database.MIGRATIONS", (*MIGRATIONS, add_receipts))
    upgraded = Store.open(path)
    assert upgraded.schema_version == len(MIGRATIONS) + 1
    assert "receipts" in tables(upgraded)
    assert Outbox(upgraded, "k").get(entry.id).key == entry.key
    with pytest.raises(StoreError):  # foreign keys are enforced
        with upgraded.write() as conn:
            conn.execute("INSERT INTO receipts (outbox_id) VALUES (999)")


# -- the check at open -----------------------------------------------------------------------------


def test_a_stale_outbox_index_hides_pending_entries_and_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    fill(path, 40).close()
    make_status_index_stale(path, (10, 19))

    # A connection that does not check the file, as opening was before it did:
    unchecked = Store(path, sqlite3.connect(path, isolation_level=None, check_same_thread=False))
    assert unchecked.rows("PRAGMA quick_check") == [{"quick_check": "ok"}], "well formed"
    claimed = Outbox(unchecked, "k").claim("agent:x", limit=100, lease_s=30)
    assert len(claimed) == 30, "the claim reads pending entries through the index: 10 are hidden"
    assert Outbox(unchecked, "k").counts()["pending"] == 0, "even the technician's count misses them"
    in_table = unchecked.rows("SELECT count(*) AS n FROM outbox NOT INDEXED WHERE status = 'pending'")
    assert in_table == [{"n": 10}], "... though the table says they are pending"
    unchecked.close()

    with pytest.raises(StoreError) as refused:
        Store.open(path)
    assert refused.value.reason == "corrupt"
    assert "missing from index" in refused.value.message and "kiosk-sync check" in refused.value.message


def test_a_damaged_index_page_is_refused_at_open(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    store = fill(path)
    root = store.rows("SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' "
                      "AND sql LIKE '%status%'")[0]["rootpage"]
    page_size = store.rows("PRAGMA page_size")[0]["page_size"]
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    raw = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    raw[start:start + 1] = b"\x05"  # the index's root page now claims to be an interior table page
    path.write_bytes(bytes(raw))

    with pytest.raises(StoreError) as refused:
        Store.open(path)
    assert refused.value.reason == "corrupt" and "damaged, found at open" in refused.value.message


def test_a_sound_file_passes_the_check_and_a_new_one_has_nothing_to_check(tmp_path: Path) -> None:
    fill(tmp_path / "kiosk.sqlite3").close()
    Store.open(tmp_path / "kiosk.sqlite3").close()
    Store.open(tmp_path / "new" / "kiosk.sqlite3").close()  # no outbox table yet when checked


# -- read-only -------------------------------------------------------------------------------------


def test_read_only_never_creates_the_file_or_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "kiosk.sqlite3"
    with pytest.raises(StoreError) as missing:
        Store.open_readonly(path)
    assert "no store here" in missing.value.message
    assert not path.parent.exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError):
        Store.open_readonly(tmp_path / "empty" / "kiosk.sqlite3")
    assert list((tmp_path / "empty").iterdir()) == []


def test_read_only_sees_what_is_still_in_the_writer_s_wal_and_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    writer = fill(path, 5)  # open: every entry is still in the WAL, not in the main file
    reader = Store.open_readonly(path)
    assert Outbox(reader, "k").counts()["pending"] == 5
    Outbox(writer, "k").append_return("30042000009999", datetime.now(UTC))
    assert Outbox(reader, "k").counts()["pending"] == 6, "a later commit is seen too"
    with pytest.raises(StoreError) as refused:
        Outbox(reader, "k").retry_dead()
    assert refused.value.reason == "readonly"
    reader.close()
    writer.close()


def test_read_only_after_a_clean_close_creates_no_wal_or_shm(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    fill(path, 5).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert before == ["kiosk.sqlite3"], "a clean close leaves no -wal behind"
    reader = Store.open_readonly(path)
    assert Outbox(reader, "k").counts()["pending"] == 5
    assert reader.integrity_check() == "ok"
    reader.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_reindex_repairs_a_stale_index_and_the_hidden_entries_come_back(tmp_path: Path) -> None:
    """The technician's repair for damage confined to an index (docs/operations.md)."""
    path = tmp_path / "kiosk.sqlite3"
    fill(path, 40).close()
    make_status_index_stale(path, (10, 19))
    conn = sqlite3.connect(path)
    conn.execute("REINDEX outbox")
    conn.close()
    store = Store.open(path)
    assert len(Outbox(store, "k").claim("agent:x", limit=100, lease_s=30)) == 40
    store.close()
