"""systemd readiness and watchdog pings (``sd_notify``), harmless when not run under systemd.

systemd passes a datagram socket in ``NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket)
and, with ``WatchdogSec=``, the ping interval in ``WATCHDOG_USEC``. The protocol is one datagram of
``KEY=value`` lines, which a few lines of :mod:`socket` speak without a dependency.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``, ``"WATCHDOG=1"``, ``"STOPPING=1"``); False if there is
    no systemd to tell or the socket refused it."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.setblocking(False)  # a reader that lags must never stall the agent's loop
            sock.sendto(state.encode(), address)
    except BlockingIOError:
        return False
    except OSError as exc:
        log.warning("sd_notify %s failed: %s", state.split("=")[0], exc)
        return False
    return True


def watchdog_interval_s(*, any_process: bool = False) -> float | None:
    """Half the watchdog timeout systemd set (None when there is none).

    systemd names in ``WATCHDOG_PID`` the process it set the watchdog up for (the unit's main
    process); by default another process takes it as not meant for itself. ``any_process`` ignores
    that, for a process the unit lets ping although it is not the main one (``NotifyAccess=all``):
    the patron app, which runs under cage and foot."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid()) and not any_process):
        return None
    try:
        return int(usec) / 2_000_000
    except ValueError:
        return None
