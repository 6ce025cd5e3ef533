"""Claimer identity: a claim left in flight by a process that is gone goes back to pending at once,
even when its pid now belongs to another process (pid reuse) or the machine has rebooted since."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from kiosk_data.codes import AVAILABLE, ON_LOAN, OVERDUE
from kiosk_testing.waiting import wait_until, wait_until_async
from sync_agent.agent.relay import Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.store import claimer
from sync_agent.store.claimer import Claimer, boot_id, owner_alive, owner_id, start_time
from sync_agent.store.outbox import Outbox, Status

from .conftest import Reply, make_settings

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

CLAIM_AND_DIE = """
import os, sys
from pathlib import Path
from sync_agent.agent.relay import owner_id  # the name the relay gives its claims
from sync_agent.store.outbox import Outbox
from sync_agent.store.database import Store
outbox = Outbox(Store.open(Path(sys.argv[1])), "kiosk-07")
owner = owner_id("agent")
print(os.getpid(), owner, flush=True)
outbox.claim(owner, limit=10, lease_s=3600)
os._exit(0)  # a crash: the claim stays in flight, its lease an hour away
"""


def claim_in_a_process_that_dies(outbox: Outbox) -> tuple[int, str]:
    """A real claim by another process, which then ends without giving it back: its pid and the
    name it claimed under."""
    done = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, str(outbox.store.path)],
                          capture_output=True, text=True, check=True)
    pid, owner = done.stdout.split()
    return int(pid), owner


def its_pid_reused(outbox: Outbox, crashed: tuple[int, str], ids: list[int]) -> None:
    """The kernel hands the crashed claimer's pid to another running process (here: this one)."""
    pid, owner = crashed
    assert f":{pid}:" in owner
    with outbox.store.write() as conn:
        conn.executemany("UPDATE outbox SET claimed_by = ? WHERE id = ?",
                         [(owner.replace(f":{pid}:", f":{os.getpid()}:"), entry_id) for entry_id in ids])


def in_flight_owners(outbox: Outbox) -> list[str]:
    return [row["claimed_by"] for row in outbox.store.rows(
        "SELECT claimed_by FROM outbox WHERE status = 'in_flight' ORDER BY id")]


def test_a_name_carries_boot_id_pid_start_time_and_token() -> None:
    me = Claimer.parse(owner_id("agent"))
    assert me is not None
    assert me.role == "agent" and me.pid == os.getpid() and me.boot == boot_id()
    assert me.started == start_time(os.getpid()) and me.started.isdigit()
    assert len(me.boot) == 32 and len(me.token) == 8
    assert owner_id("agent") != owner_id("agent"), "two relays of one process never share a name"


def test_a_running_claimer_is_alive() -> None:
    assert owner_alive(owner_id("app"))


def test_a_claim_from_before_a_reboot_is_dead_though_its_pid_runs() -> None:
    mine = Claimer.parse(owner_id("agent"))
    assert mine is not None
    earlier_boot = replace(mine, boot="0" * 32)  # this very pid is running, but in another boot
    assert not owner_alive(str(earlier_boot))


def test_a_reused_pid_is_told_apart_by_its_start_time() -> None:
    mine = Claimer.parse(owner_id("agent"))
    assert mine is not None
    assert not owner_alive(str(replace(mine, started=str(int(mine.started) - 1))))


def test_an_ended_process_is_dead_and_so_is_an_unreaped_zombie() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    named = str(Claimer("agent", boot_id(), child.pid, start_time(child.pid) or "-", "t"))
    assert owner_alive(named)
    child.kill()
    # killed, not yet waited for: a zombie, which has ended
    wait_until(lambda: not owner_alive(named), 5, "a zombie was taken for a running claimer", every_s=0.01)
    assert Path(f"/proc/{child.pid}").exists(), "still a zombie (not reaped) when judged"
    child.wait()
    assert not owner_alive(named)


def test_what_cannot_be_looked_into_is_left_to_the_lease(monkeypatch, tmp_path) -> None:
    named = owner_id("agent")
    monkeypatch.setattr(claimer, "PROC", tmp_path)  # /proc hides the process (hidepid)
    assert owner_alive(named)


def test_names_in_the_older_form_are_judged_by_pid() -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert owner_alive(f"app:{os.getpid()}:x")
    assert not owner_alive(f"agent:{gone}:dead")
    assert not owner_alive("garbage")


def test_entries_of_a_crashed_claimer_whose_pid_was_reused_are_recovered_at_once(outbox: Outbox) -> None:
    entries = [outbox.append_return(ON_LOAN, NOW), outbox.append_return(OVERDUE, NOW)]
    crashed = claim_in_a_process_that_dies(outbox)
    assert len(in_flight_owners(outbox)) == 2
    its_pid_reused(outbox, crashed, [e.id for e in entries])
    mine = Outbox(outbox.store, "kiosk-07").append_return(AVAILABLE, NOW)
    live = owner_id("app")
    outbox.claim(live, limit=1, lease_s=3600, barcode=AVAILABLE)

    assert outbox.recover_orphans() == 2
    assert [outbox.get(e.id).status for e in entries] == [Status.PENDING, Status.PENDING]
    assert outbox.get(mine.id).status is Status.IN_FLIGHT, "a live claimer keeps its claim"


def test_entries_claimed_before_a_reboot_are_recovered_at_once(outbox: Outbox) -> None:
    entry = outbox.append_return(ON_LOAN, NOW)
    _pid, owner = claim_in_a_process_that_dies(outbox)
    crashed = Claimer.parse(owner)
    assert crashed is not None
    before_reboot = str(replace(crashed, boot="f" * 32, pid=os.getpid()))
    with outbox.store.write() as conn:
        conn.execute("UPDATE outbox SET claimed_by = ? WHERE id = ?", (before_reboot, entry.id))
    assert outbox.recover_orphans() == 1
    assert outbox.get(entry.id).status is Status.PENDING


async def test_the_agent_delivers_a_reused_pid_s_entries_at_start_not_after_the_lease(
        hostile, store, outbox, tmp_path) -> None:
    hostile.default = Reply()
    entry = outbox.append_return(ON_LOAN, NOW)
    its_pid_reused(outbox, claim_in_a_process_that_dies(outbox), [entry.id])
    settings = make_settings(tmp_path, hostile.url)
    async with CentralClient(settings, owner="agent") as client:
        relay = Relay(store, client, settings, poll_s=0.02)
        assert relay.lease_s >= 30
        running = asyncio.create_task(relay.run())
        try:
            # 5 s: well inside the hour-long lease it was claimed with
            await wait_until_async(lambda: outbox.get(entry.id).status is Status.DELIVERED, 5,
                                   "the entry waited for its lease")
        finally:
            relay.stop()
            await running
    assert [seen.key for seen in hostile.seen if seen.path == "/kiosk/returns"] == [entry.key]


def test_where_the_boot_id_is_hidden_pid_and_start_time_still_tell_a_reused_pid(monkeypatch, tmp_path) -> None:
    """kiosk-sync.service has ProcSubset=pid, which hides /proc/sys and with it the boot id."""
    monkeypatch.setattr(claimer, "BOOT_ID_PATH", tmp_path / "hidden")
    boot_id.cache_clear()
    try:
        mine = Claimer.parse(owner_id("agent"))
        assert mine is not None and mine.boot == "-"
        assert owner_alive(str(mine))
        assert not owner_alive(str(replace(mine, started=str(int(mine.started) - 1))))
        # a name written where the boot id could be read (the app's) is judged the same way
        assert owner_alive(str(replace(mine, boot="a" * 32)))
    finally:
        boot_id.cache_clear()
