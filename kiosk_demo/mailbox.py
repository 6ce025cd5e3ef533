"""A mail server for trying email receipts: aiosmtpd on 127.0.0.1, keeping what it receives.

``kiosk demo`` starts one and points the agent at it (``smtp_host`` 127.0.0.1, ``smtp_tls`` off),
so a receipt emailed in the story arrives and the panel shows it. Tests use it as the library's
mail server; ``stop()`` and ``start()`` on the same port are a server that is down, then back.
"""

from __future__ import annotations

import email
import logging
import threading
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from backend_stub.readiness import free_port

logging.getLogger("mail.log").setLevel(logging.WARNING)
"""aiosmtpd logs every command with its addresses at info; this server is a stand-in for the
library's, and its words would otherwise land in the kiosk's logs beside it."""


class Mailbox:
    def __init__(self, port: int | None = None, keep_in: Path | None = None, **tls: Any) -> None:
        self.port = port or free_port()
        self.keep_in = keep_in
        """A folder each mail is also written to, as ``001.eml``, ``002.eml``, ..."""
        self.tls = tls
        """aiosmtpd's TLS options: ``tls_context=`` and ``require_starttls=True`` for STARTTLS,
        ``ssl_context=`` for TLS from the first byte."""
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> Mailbox:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **self.tls)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            if self.keep_in is not None:
                self.keep_in.mkdir(parents=True, exist_ok=True)
                (self.keep_in / f"{len(self.messages):03d}.eml").write_bytes(envelope.content)
            self._arrived.notify_all()
        return "250 Message accepted"

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """True once ``count`` mails have arrived, False if they did not within ``timeout_s``."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.messages) >= count, timeout_s)
