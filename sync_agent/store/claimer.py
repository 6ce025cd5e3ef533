"""Who holds an outbox claim, and whether that process still runs.

A claim names its claimer so that entries left in flight by a process that is gone can go back to
pending at once instead of waiting out their lease. A pid alone cannot say that: after a reboot, or
once the kernel has handed the pid to another process, ``kill(pid, 0)`` finds *a* process and the
entries stay blocked until the lease ends. So a claimer's name carries everything that tells one
process from every other, on this machine and across its boots::

    <role>:<boot id>:<pid>:<start time>:<token>
    agent:3f8fbe880f6b48499403a8189fb35843:4242:18822311:9c1e02aa

- the **boot id** (``/proc/sys/kernel/random/boot_id``, dashes dropped), new at every boot;
- the **pid**;
- the **start time** of that pid (field 22 of ``/proc/<pid>/stat``, clock ticks since boot), which
  differs for a later process that got the same pid;
- a random **token**, so two relays of one process never share a name.

:func:`owner_alive` is true only when all of them match a process running now (a zombie, ended but
not yet reaped by its parent, does not count). Where something cannot be read (no ``/proc``, or a
process of another user hidden by ``hidepid``), it answers "alive" for what it cannot disprove:
the lease still ends such a claim, as before. A name in the older ``<role>:<pid>:<token>`` form
(claims written before an upgrade) is judged by its pid alone.

The boot id itself may be hidden: ``kiosk-sync.service`` mounts ``/proc`` with ``ProcSubset=pid``,
which leaves only the process directories. The agent then writes ``-`` for it and judges by pid
and start time alone. Those still tell a reused pid apart within a boot; across a reboot a claim
is missed only if a new process has the same pid and started in the same clock tick (10 ms) after
boot as the claimer did, and then the lease ends it, as before.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
PROC = Path("/proc")
UNKNOWN = "-"
"""Written in place of a boot id or start time that could not be read."""


@functools.cache
def boot_id() -> str:
    """This boot's id (32 hex digits), or ``"-"`` where the kernel does not say."""
    try:
        return BOOT_ID_PATH.read_text().strip().replace("-", "") or UNKNOWN
    except OSError:
        return UNKNOWN


def start_time(pid: int) -> str | None:
    """When ``pid`` started (clock ticks since boot, as text); None if no such process is visible."""
    stat = _stat(pid)
    return stat[1] if stat else None


def _stat(pid: int) -> tuple[str, str] | None:
    """State (``R``, ``S``, ``Z``, ...) and start time of ``pid`` from ``/proc/<pid>/stat``."""
    try:
        stat = (PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces and parentheses itself;
    # the fields after its closing parenthesis start at field 3 (state).
    fields = stat[stat.rfind(b")") + 2:].split()
    try:
        return fields[0].decode(), fields[22 - 3].decode()
    except IndexError:
        return None


@dataclass(frozen=True)
class Claimer:
    role: str
    boot: str
    pid: int
    started: str
    token: str

    def __str__(self) -> str:
        return f"{self.role}:{self.boot}:{self.pid}:{self.started}:{self.token}"

    @classmethod
    def parse(cls, owner: str) -> Claimer | None:
        """The parts of a name written by :func:`owner_id`; None for anything else."""
        parts = owner.split(":")
        if len(parts) != 5 or not parts[2].isdigit():
            return None
        role, boot, pid, started, token = parts
        return cls(role, boot, int(pid), started, token)


def owner_id(role: str) -> str:
    """A name for a claimer in this process: role, boot id, pid, start time and a token."""
    pid = os.getpid()
    return str(Claimer(role, boot_id(), pid, start_time(pid) or UNKNOWN, uuid.uuid4().hex[:8]))


def owner_alive(owner: str) -> bool:
    """Whether the process named in ``owner`` still runs: same boot, same pid, same start time."""
    claimer = Claimer.parse(owner)
    if claimer is None:
        return _legacy_alive(owner)
    if UNKNOWN not in (claimer.boot, boot_id()) and claimer.boot != boot_id():
        return False  # claimed before a reboot: that process is gone, whatever holds its pid now
    if not _pid_exists(claimer.pid):
        return False
    stat = _stat(claimer.pid)
    if stat is None or claimer.started == UNKNOWN:
        return True  # there is a process we cannot look into: leave it to the lease
    state, started = stat
    return state != "Z" and started == claimer.started  # a zombie has ended, only not been reaped


def _legacy_alive(owner: str) -> bool:
    """``<role>:<pid>:<token>``, as written before boot id and start time were added."""
    try:
        pid = int(owner.split(":")[1])
    except (IndexError, ValueError):
        return False
    return _pid_exists(pid)


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
