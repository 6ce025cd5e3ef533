"""`kiosk-sync status` and `check` on a disk that is really full: a small tmpfs mounted for the test
(or, where tmpfs cannot be mounted, a loop-mounted ext4 file), filled to the last byte. They answer
read-only whether the app or the agent has the store open, closed it cleanly, or crashed, and
they create nothing; a command that writes still says the disk is full."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox

SIZE_KB = 2048
ENTRIES = 40


def _mount(args: list[str]) -> str | None:
    """None when it mounted, else why not."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    return None if done.returncode == 0 else (done.stderr or done.stdout).strip() or f"exit {done.returncode}"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "disk"
    where.mkdir()
    why_not = _mount(["mount", "-t", "tmpfs", "-o", f"size={SIZE_KB}k,mode=0755", "kiosk-test", str(where)])
    if why_not is not None:
        image = tmp_path / "disk.img"
        with image.open("wb") as handle:
            handle.truncate(4 * SIZE_KB * 1024)
        mkfs = shutil.which("mkfs.ext4") or "/sbin/mkfs.ext4"
        made = _mount([mkfs, "-q", "-F", str(image)])
        loop_why = made or _mount(["mount", "-o", "loop", str(image), str(where)])
        if loop_why is not None:
            pytest.skip(f"cannot make a small disk here: tmpfs: {why_not}; loop file: {loop_why}")
    try:
        yield where
    finally:
        if _mount(["umount", str(where)]) is not None:
            _mount(["umount", "-l", str(where)])


def fill(disk: Path) -> None:
    """Write until the file system refuses, then check that not one more byte fits."""
    for name, chunk in (("filler", 64 * 1024), ("filler-tail", 512), ("filler-last", 1)):
        fd = os.open(disk / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            while True:
                os.write(fd, b"\0" * chunk)
        except OSError as exc:
            assert exc.errno == 28, exc  # ENOSPC
        finally:
            os.close(fd)
    probe = os.open(disk / "filler-last", os.O_WRONLY | os.O_APPEND)
    try:
        with pytest.raises(OSError, match="No space left"):
            os.write(probe, b"\0")
    finally:
        os.close(probe)


def config(tmp_path: Path, data_dir: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'id = "kiosk-07"\ndata_dir = "{data_dir}"\napi_url = "http://127.0.0.1:9"\n')
    return path


def kiosk_sync(cfg: Path, *args: str) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "sync_agent", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def append(store: Store, count: int = ENTRIES) -> None:
    outbox = Outbox(store, "kiosk-07")
    for index in range(count):
        outbox.append_return(f"3004299{index:07d}", datetime.now(UTC))


CRASH = """
import os, sys
from datetime import UTC, datetime
from pathlib import Path
from sync_agent.store.outbox import Outbox
from sync_agent.store.database import Store
outbox = Outbox(Store.open(Path(sys.argv[1])), "kiosk-07")
for index in range(int(sys.argv[2])):
    outbox.append_return(f"3004299{index:07d}", datetime.now(UTC))
os._exit(0)  # no close: the WAL and its index stay behind, as after a power cut
"""


@pytest.mark.parametrize("situation", ["app or agent running", "closed cleanly", "crashed"])
def test_status_and_check_answer_on_a_full_disk_and_create_nothing(small_disk: Path, tmp_path: Path,
                                                                  situation: str) -> None:
    data_dir = small_disk / "kiosk"
    path = data_dir / "kiosk.sqlite3"
    running: Store | None = None
    if situation == "app or agent running":
        running = Store.open(path)
        append(running)
    elif situation == "closed cleanly":
        store = Store.open(path)
        append(store)
        store.close()
    else:
        subprocess.run([sys.executable, "-c", CRASH, str(path), str(ENTRIES)], check=True, timeout=60)
    cfg = config(tmp_path, data_dir)
    try:
        fill(small_disk)
        before = files(data_dir)
        assert ("kiosk.sqlite3-wal" in before) == (situation != "closed cleanly")

        code, out, err = kiosk_sync(cfg, "status")
        assert code == 0, err
        status = json.loads(out)
        assert status["pending"] == ENTRIES and status["dead"] == 0

        code, out, err = kiosk_sync(cfg, "check")
        assert (code, json.loads(out)) == (0, {"integrity": "ok"}), err
        assert files(data_dir) == before, "a command that only reads created or removed a file"

        # The disk is full for SQLite too: a command that writes says so, and changes nothing.
        code, _out, err = kiosk_sync(cfg, "retry-dead")
        assert code == 2 and "store disk_full" in err, err
        assert kiosk_sync(cfg, "status")[0] == 0
    finally:
        if running is not None:
            running.close()
