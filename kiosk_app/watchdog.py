"""systemd's watchdog for the patron app, fed from the app's event loop.

``kiosk.service`` sets ``WatchdogSec=``: systemd restarts the kiosk when no ``WATCHDOG=1`` arrives
within that time. The pings are sent by a task on the event loop that runs the app, every half of
that time (``WATCHDOG_USEC / 2``), so they stop exactly when the loop stops turning: a patron screen
whose loop is blocked (a hung terminal write, a handler that never returns) is killed and started
again instead of staying frozen.

The app is not the unit's main process (that is cage, which runs foot, which runs the app), so
systemd's ``WATCHDOG_PID`` names another process: the unit says ``NotifyAccess=all`` and the app
pings anyway (:func:`sync_agent.agent.systemd.watchdog_interval_s` with ``any_process``). Outside systemd
there is no ``WATCHDOG_USEC`` and :func:`feed` returns at once. The datagrams go through
:func:`sync_agent.agent.systemd.notify`, as the agent's do.
"""

from __future__ import annotations

import asyncio
import logging

from sync_agent.agent.systemd import notify, watchdog_interval_s

log = logging.getLogger(__name__)


def interval_s() -> float | None:
    """How often to ping: half the unit's watchdog timeout; None without a watchdog."""
    return watchdog_interval_s(any_process=True)


async def feed(every_s: float | None = None) -> None:
    """Ping systemd's watchdog every ``every_s`` (default :func:`interval_s`) for as long as the loop
    this runs on turns; cancel it to stop. Returns at once when there is no watchdog."""
    every = interval_s() if every_s is None else every_s
    if every is None:
        return
    log.info("feeding systemd's watchdog every %.1f s from the app's event loop", every)
    while True:
        notify("WATCHDOG=1")
        await asyncio.sleep(every)


def start() -> asyncio.Task[None]:
    """:func:`feed` as a task of the running loop."""
    return asyncio.get_running_loop().create_task(feed(), name="systemd-watchdog")
