"""Where the app's log lines go while it owns the screen.

The terminal is the patron's screen, so the app cannot log to stdout: lines go, masked and in the
journal format, to a rotating file beside the store and to a short in-memory list the technician
screen shows ("recent log lines"). Under systemd they also go to journald through its syslog
socket, so ``journalctl -u kiosk`` shows them beside the agent's.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Mapping
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler, SysLogHandler
from pathlib import Path

from sync_agent.logs import JournalFormatter, MaskingFilter, quiet_http_client

RECENT_LINES = 200
LOG_FILE = "kiosk-app.log"
SYSLOG_SOCKET = "/dev/log"
SYSLOG_IDENT = "kiosk: "


class PrivateRotatingFile(RotatingFileHandler):
    """The log file and its rotations, readable by the kiosk's user only (0600) whatever the
    umask: masked as the lines are, they still tell who was at the kiosk and when."""

    def _open(self) -> TextIOWrapper:
        os.close(os.open(self.baseFilename, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        os.chmod(self.baseFilename, 0o600)
        return super()._open()


class RecentLines(logging.Handler):
    """Keeps the last lines, already masked and formatted."""

    def __init__(self, capacity: int = RECENT_LINES) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=capacity)
        self.addFilter(MaskingFilter())
        self.setFormatter(JournalFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def tail(self, count: int) -> list[str]:
        return list(self.lines)[-count:]


def under_systemd(env: Mapping[str, str] = os.environ) -> bool:
    """systemd sets ``INVOCATION_ID`` for every unit it starts (``JOURNAL_STREAM`` when a stream
    goes to the journal)."""
    return bool(env.get("INVOCATION_ID") or env.get("JOURNAL_STREAM"))


class JournalHandler(SysLogHandler):
    """Masked lines to the local syslog socket, which journald serves. The socket is (re)opened
    as needed; while journald is away a line is dropped here, never reported on stderr (the
    patron's screen): the file and the technician screen still have it."""

    def __init__(self, address: str = SYSLOG_SOCKET) -> None:
        super().__init__(address=address, facility=SysLogHandler.LOG_DAEMON)
        self.ident = SYSLOG_IDENT
        self.addFilter(MaskingFilter())
        self.setFormatter(JournalFormatter())

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging.Handler's name
        """Drop the line (see the class docstring)."""


def install(data_dir: Path | None, level: str = "INFO", *, env: Mapping[str, str] = os.environ,
            syslog_address: str = SYSLOG_SOCKET) -> RecentLines:
    """Route the root logger to memory, to the file (if ``data_dir`` is writable) and, under
    systemd, to the journal."""
    root = logging.getLogger()
    recent = RecentLines()
    root.addHandler(recent)
    if under_systemd(env):
        root.addHandler(JournalHandler(syslog_address))
    if data_dir is not None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            handler = PrivateRotatingFile(data_dir / LOG_FILE, maxBytes=2_000_000, backupCount=3,
                                          encoding="utf-8")
        except OSError as exc:
            logging.getLogger(__name__).warning("no log file in %s: %s", data_dir, exc)
        else:
            handler.addFilter(MaskingFilter())
            handler.setFormatter(JournalFormatter())
            root.addHandler(handler)
    root.setLevel(level)
    quiet_http_client()
    return recent
