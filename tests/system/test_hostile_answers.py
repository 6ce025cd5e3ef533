"""The answers that once ended both processes, against the real ones: ``kiosk-sync run`` as a
process and the patron app on a pty, each talking to a hostile server on 127.0.0.1 that sends a
broken gzip body, JSON nested past Python's recursion limit, ``Retry-After: ²``, two answers of
150 MB and a 2xx about another copy. No process exits, nothing is taken for delivered before an
honest answer, the store stays small and the agent's peak memory stays far below one such answer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sync.conftest import RENTAL, HostileServer, Reply  # tests/sync/conftest.py
from sync.test_cli import config

from kiosk_app.screens.returns import ReturnScreen
from kiosk_data.codes import AT_LIMIT_LOAN, ON_LOAN
from kiosk_testing.pty_kiosk import kiosk_on_pty
from kiosk_testing.waiting import wait_until, wait_until_async
from sync_agent.store.database import Store
from sync_agent.store.outbox import Outbox, Status

JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = b'{"id": 1, "note": "' + b"x" * (150 * 2**20) + b'"}'
HOSTILE = (
    Reply(200, b"not gzip at all", {**JSON, "Content-Encoding": "gzip"}),
    Reply(200, DEEP, JSON),
    Reply(429, b"", {"Retry-After": "\u00b2"}),
    Reply(200, HUGE, JSON, chunked=True),
    Reply(200, HUGE, JSON, chunked=True),
    Reply(200, RENTAL.replace(b"30042000000022", b"30042000000030")),  # another copy's rental
)
BARCODES = [ON_LOAN, AT_LIMIT_LOAN]


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_the_agent_survives_every_hostile_answer_and_keeps_nothing_of_them(tmp_path: Path) -> None:
    server = HostileServer()
    server.queue(*HOSTILE)
    cfg = config(tmp_path, server.url)
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    outbox = Outbox(store, "kiosk-07")
    entries = [outbox.append_return(code, datetime.now(UTC)) for code in BARCODES]
    agent = subprocess.Popen([sys.executable, "-m", "sync_agent", "--config", str(cfg), "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        wait_until(lambda: not server.replies and outbox.counts()["delivered"] == 2 or agent.poll() is not None,
                   timeout_s=90)
        assert agent.poll() is None, "the agent exited on a hostile answer"
        peak = peak_rss_mib(agent.pid)
        print(f"\nagent peak RSS after {len(HOSTILE)} hostile answers (two of 150 MiB): {peak:.1f} MiB")
        assert peak < 150, "an answer of 150 MiB was read whole"
    finally:
        agent.terminate()
        agent.wait(15)
        server.close()
    for entry in entries:
        delivered = outbox.get(entry.id)
        assert delivered.status is Status.DELIVERED and delivered.answer["barcode"] == entry.barcode
    # The hostile answers went to the first requests, whichever they were (a return, or the
    # agent's catalog refresh); the returns that met one were sent again and answered honestly.
    answered = [seen for seen in server.seen if seen.path == "/kiosk/returns"]
    met_hostile = sum(1 for seen in server.seen[:len(HOSTILE)] if seen.path == "/kiosk/returns")
    assert not server.replies and met_hostile >= len(HOSTILE) - 2
    assert len(answered) >= met_hostile + 2
    assert outbox.dead_letters() == []
    size = sum(path.stat().st_size for path in (tmp_path / "kiosk").glob("kiosk.sqlite3*"))
    print(f"store after the hostile answers: {size / 1024:.0f} KiB")
    assert size < 2 * 2**20
    store.close()


async def test_the_app_survives_hostile_answers_to_its_own_calls(tmp_path: Path) -> None:
    """Before, the health check's RecursionError ended the app (exit code 0, a traceback on the
    patron's screen)."""
    server = HostileServer()
    server.default = Reply(200, DEEP, JSON)
    server.queue(Reply(200, b"not gzip at all", {**JSON, "Content-Encoding": "gzip"}),
                 Reply(429, b"", {"Retry-After": "\u00b2"}), Reply(200, HUGE, JSON, chunked=True))
    try:
        async with kiosk_on_pty(server.url, call_timeout_ms=5000) as (app, scanner, _pilot):
            for asked in range(1, 5):
                app.check_health()
                await wait_until_async(lambda: sum(seen.path == "/health" for seen in server.seen) == asked
                                       and not any(w.group == "health" and w.is_running for w in app.workers))
            scanner.scan(BARCODES[0])  # the item check gets a hostile answer: saved, to be checked
            await wait_until_async(lambda: isinstance(app.screen, ReturnScreen) and app.session.returns, timeout_s=20)
            assert app.is_running and app.return_code is None
            assert app.online is False  # unreadable health answers: not online
            assert Outbox(app.lending.store, app.settings.id).pending_for(BARCODES[0])
    finally:
        server.close()
