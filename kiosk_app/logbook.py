"""Where the app's log lines go while it owns the screen.

The terminal is the patron's screen, so the app cannot log to stdout: lines go, masked and in the
journal format, to a rotating file beside the store and to a short in-memory list the technician
screen shows ("recent log lines").
"""

from __future__ import annotations

import logging
from collections import deque
from logging.handlers import RotatingFileHandler
from pathlib import Path

from sync_agent.logs import JournalFormatter, MaskingFilter

RECENT_LINES = 200
LOG_FILE = "kiosk-app.log"


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


def install(data_dir: Path | None, level: str = "INFO") -> RecentLines:
    """Route the root logger to the file (if ``data_dir`` is writable) and to memory."""
    root = logging.getLogger()
    recent = RecentLines()
    root.addHandler(recent)
    if data_dir is not None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(data_dir / LOG_FILE, maxBytes=2_000_000, backupCount=3,
                                          encoding="utf-8")
        except OSError as exc:
            logging.getLogger(__name__).warning("no log file in %s: %s", data_dir, exc)
        else:
            handler.addFilter(MaskingFilter())
            handler.setFormatter(JournalFormatter())
            root.addHandler(handler)
    root.setLevel(level)
    return recent
