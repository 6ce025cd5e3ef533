"""A return whose save failed at fsync, then a crash: SQLite may bring that commit back when the
file is opened again, although the patron was told it could not be saved for certain. When they
scan the book again it must not become a second entry (two returns, a dead letter, a second fine).

The failure is real: a small shared library, preloaded into a process of its own, makes the next
``fsync``/``fdatasync`` fail with EIO once a flag file exists; that process saves a return the way
the app does, is told it failed, and dies without closing the store.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_app.notices import STORE_OUT_OF_ORDER
from kiosk_app.session import Returned
from kiosk_data.codes import ON_LOAN
from kiosk_testing.pilot import screen_text
from sync_agent.store.outbox import Kind

from .conftest import SIZE, central_get, make_settings, scan_and_settle

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static int fail_now(void) {
    const char *flag = getenv("FAIL_FSYNC_FLAG");
    if (flag && access(flag, F_OK) == 0) { unlink(flag); errno = EIO; return 1; }
    return 0;
}
int fsync(int fd) {
    int (*real)(int) = (int (*)(int)) dlsym(RTLD_NEXT, "fsync");
    return fail_now() ? -1 : real(fd);
}
int fdatasync(int fd) {
    int (*real)(int) = (int (*)(int)) dlsym(RTLD_NEXT, "fdatasync");
    return fail_now() ? -1 : real(fd);
}
"""

SAVE_THEN_CRASH = """
import os, sys
from datetime import UTC, datetime
from pathlib import Path
from sync_agent.store.outbox import Outbox
from sync_agent.store.database import Store, StoreError
store = Store.open(Path(sys.argv[1]))
Path(os.environ["FAIL_FSYNC_FLAG"]).touch()
try:
    Outbox(store, "kiosk-07").append_return(sys.argv[2], datetime.now(UTC))
    print("saved", flush=True)
except StoreError as exc:
    print("not saved:", exc.reason, flush=True)
os._exit(9)
"""


@pytest.fixture
def failing_fsync(tmp_path: Path) -> Path:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("skipped: no C compiler here to build the fsync-failing library")
    library = tmp_path / "failfsync.so"
    source = tmp_path / "failfsync.c"
    source.write_text(SHIM)
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(source), "-ldl"], check=True)
    return library


async def test_a_return_told_unsaved_that_came_back_is_not_entered_twice(kiosk, central, tmp_path,
                                                                        failing_fsync):
    settings = make_settings(tmp_path, central.url)
    settings.db_path.parent.mkdir(parents=True)
    env = dict(os.environ, LD_PRELOAD=str(failing_fsync), FAIL_FSYNC_FLAG=str(tmp_path / "fail"))
    told = subprocess.run([sys.executable, "-c", SAVE_THEN_CRASH, str(settings.db_path), ON_LOAN],
                          env=env, capture_output=True, text=True, timeout=60)
    assert told.stdout.strip() == "not saved: io", told.stdout + told.stderr
    assert STORE_OUT_OF_ORDER["io"].next == "next_store_unsure", "the screen says it is unsure"
    assert not (tmp_path / "fail").exists(), "the fsync really failed"

    k = kiosk(lang="en")  # the kiosk restarted; the patron scans the book again
    came_back = [e for e in k.lending.outbox.recent(10) if e.kind is Kind.RETURN]
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, ON_LOAN)
        [line] = k.app.session.returns
        assert line.outcome is (Returned.ALREADY if came_back else Returned.RETURNED)
        assert "✓" in screen_text(k.app) or came_back
    returns = [e for e in k.lending.outbox.recent(10) if e.kind is Kind.RETURN]
    assert len(returns) == 1, "one entry, whether or not the failed commit came back"
    drained = await k.relay.drain(10)
    assert drained.delivered == 1 and drained.dead == 0
    [loan] = central_get(central, "/rentals", bookId=2)
    assert loan["status"] == "returned" and central.key_counts() == {returns[0].key: 1}
