"""Log lines for journald, with card numbers masked.

Both processes log to stdout, one ``key=value`` line per record, which journald keeps as is.
Masking is a logging filter on the handler, so every module's records (the serial drivers' too)
are masked without each call site remembering to: any member-card-like number (14 digits of the
library convention starting with ``2``) keeps only its last four digits.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

_CARD_NUMBER = re.compile(r"(?<!\d)2\d{9}(\d{4})(?!\d)")


def mask_card(text: str) -> str:
    """Replace each member card number in ``text`` by stars and its last four digits."""
    return _CARD_NUMBER.sub(lambda match: "*" * 10 + match.group(1), text)


class MaskingFilter(logging.Filter):
    """Render the message once, masked, so no argument can carry a card number past it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_card(record.getMessage())
        record.args = None
        return True


class JournalFormatter(logging.Formatter):
    """``level=info logger=sync_agent.agent.relay msg="..."``: greppable, and journald adds the time."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().replace("\\", "\\\\").replace('"', '\\"')
        line = f'level={record.levelname.lower()} logger={record.name} msg="{message}"'
        if record.exc_info:
            line += ' exc="' + mask_card(self.formatException(record.exc_info)).replace("\n", " | ") + '"'
        return line


def quiet_http_client() -> None:
    """httpx logs one INFO line per request: too many for the journal and for the technician's
    recent lines (the demo panel's own polling filled them). The kiosk's modules log what a call
    meant; httpx keeps its warnings."""
    logging.getLogger("httpx").setLevel(logging.WARNING)


def configure_logging(level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Install the masked stdout handler on the root logger (idempotent) and return it."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "kiosk_handler", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.kiosk_handler = True  # type: ignore[attr-defined]  # our mark, found by the getattr above
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JournalFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    return handler
