"""A store file replaced or deleted under a process that has it open: the process must notice,
say so once, and write nothing more to a file that nobody else reads any longer."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_data.codes import ON_LOAN, OVERDUE
from sync_agent.store.database import Store, StoreError, unwritable
from sync_agent.store.outbox import Outbox


def other_store(path: Path) -> None:
    """A second, valid store file built beside ``path`` and moved over it, as a restore would."""
    spare = path.with_name("restored.sqlite3")
    Store.open(spare).close()
    os.replace(spare, path)


def test_an_untouched_store_is_never_taken_for_a_moved_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "kiosk.sqlite3")
    outbox = Outbox(store, "k")
    for n in range(50):
        outbox.append_return(f"3004200000{n:04d}", datetime.now(UTC))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert store.moved() is None
    assert len(store.rows("SELECT id FROM outbox")) == 50
    store.close()


@pytest.mark.parametrize("how", ["replaced", "deleted"])
def test_a_store_moved_under_a_process_refuses_reads_and_writes_and_says_so_once(
        tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "kiosk.sqlite3"
    store = Store.open(path)
    outbox = Outbox(store, "k")
    outbox.append_return(ON_LOAN, datetime.now(UTC))
    if how == "replaced":
        other_store(path)
    else:
        path.unlink()
    assert store.moved() == how
    caplog.set_level(logging.ERROR, logger="sync_agent.store.database")
    for _ in range(3):
        with pytest.raises(StoreError) as refused:
            outbox.append_return(OVERDUE, datetime.now(UTC))
        assert refused.value.reason == "moved"
        with pytest.raises(StoreError):
            store.rows("SELECT count(*) FROM outbox")
    said = [record.getMessage() for record in caplog.records if how in record.getMessage()]
    assert len(said) == 1, said
    assert str(path) in said[0]
    store.close()


def test_a_store_created_under_a_loose_umask_is_private(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        store = Store.open(tmp_path / "kiosk.sqlite3")
        Outbox(store, "k").append_return(ON_LOAN, datetime.now(UTC))
        modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
        store.close()
    finally:
        os.umask(before)
    assert modes == {"kiosk.sqlite3": 0o600, "kiosk.sqlite3-wal": 0o600, "kiosk.sqlite3-shm": 0o600}


def test_a_store_left_world_readable_is_made_private_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    Store.open(path).close()
    path.chmod(0o644)
    Store.open(path).close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_store_whose_folder_cannot_be_checked_is_not_called_writable(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.sqlite3"
    Store.open(path).close()
    assert unwritable(path) is None
    gone = tmp_path / "gone" / "kiosk.sqlite3"
    assert unwritable(gone) is not None and "cannot check" in unwritable(gone)
