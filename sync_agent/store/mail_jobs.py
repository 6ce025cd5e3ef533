"""Email receipts as durable jobs, sent by the agent: the one owner of the ``mail_jobs`` table.

The app commits a job (address, subject, plain text and HTML, a key) when the patron taps
"email"; the agent sends it over SMTP when it can. A kiosk without a network, or a mail server
that is down, keeps the job and the agent tries again with backoff (2 s doubling to 10 min), so
the mail goes out later, once: the job is deleted in the transaction after the server accepted
it, and the log is truncated, so the address is on disk only while the mail is owed
(``secure_delete`` zeroes the row's page). The key is the mail's ``Message-ID``: in the one case
a mail can go twice (the agent killed between the server's answer and the delete), the two are
the same message to every mail system that deduplicates. The address is never logged.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from sync_agent.settings import Settings
from sync_agent.store import schedule_clock
from sync_agent.store.database import Store, StoreError

log = logging.getLogger(__name__)

FIRST_RETRY_S = 2.0
MAX_RETRY_S = 600.0
IDLE_POLL_S = 1.0
"""How often an idle agent looks for a new job (one indexed read)."""
SMTP_TIMEOUT_S = 20.0
MAX_AGE_S = 7 * 86400
"""A mail not sent within a week is given up: a receipt that late helps nobody, and the address
must not stay on the kiosk for an outage without end (a wrong password, a server gone)."""


@dataclass(frozen=True, slots=True)
class MailJob:
    id: int
    key: str
    recipient: str
    subject: str
    text: str
    html: str
    attempts: int


def enqueue(store: Store, kiosk_id: str, recipient: str, subject: str, text: str, html: str) -> str:
    """Commit a mail to send; its key (``<kiosk>.<uuid>``, the Message-ID's core)."""
    key = f"{kiosk_id}.{uuid.uuid4().hex}"
    with store.write() as conn:
        conn.execute("INSERT INTO mail_jobs (key, recipient, subject, text, html, created_at, "
                     "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 0)",
                     (key, recipient, subject, text, html, time.time()))
    return key


def due(store: Store, now: float | None = None) -> list[MailJob]:
    """Jobs whose time has come, oldest first; ``now`` on :func:`schedule_clock.now`'s clock, as
    retries are scheduled (a wall clock stepped at boot neither parks nor rushes them)."""
    rows = store.rows("SELECT id, key, recipient, subject, text, html, attempts FROM mail_jobs "
                      f"WHERE {schedule_clock.due_now_sql('next_attempt_at')} ORDER BY id",
                      {"now": schedule_clock.now() if now is None else now})
    return [MailJob(**row) for row in rows]


def owed(store: Store) -> int:
    """Mails not sent yet (for status and tests)."""
    return int(store.rows("SELECT COUNT(*) AS n FROM mail_jobs")[0]["n"])


def done(store: Store, job: MailJob) -> None:
    """The server took it (or refused it for good): forget the job and cut the log, so the address leaves the disk."""
    with store.write() as conn:
        conn.execute("DELETE FROM mail_jobs WHERE id = ?", (job.id,))
    store.rows("PRAGMA wal_checkpoint(TRUNCATE)")


def expire(store: Store, now: float | None = None) -> int:
    """Give up the mails older than ``MAX_AGE_S``; how many."""
    cutoff = (time.time() if now is None else now) - MAX_AGE_S
    with store.write() as conn:
        gone = conn.execute("DELETE FROM mail_jobs WHERE created_at < ?", (cutoff,)).rowcount
    if gone:
        store.rows("PRAGMA wal_checkpoint(TRUNCATE)")
    return gone


def later(store: Store, job: MailJob, error: str) -> float:
    """Not sent this time: when to try again (backoff by attempts)."""
    wait: float = min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** job.attempts)
    with store.write() as conn:
        conn.execute("UPDATE mail_jobs SET attempts = attempts + 1, next_attempt_at = ?, "
                     "last_error = ? WHERE id = ?", (schedule_clock.now() + wait, error[:300], job.id))
    return wait


def message_of(job: MailJob, settings: Settings) -> EmailMessage:
    """The mail as it goes out: plain text with an HTML alternative."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = job.recipient
    message["Subject"] = job.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{job.key}@{settings.id}.kiosk>"
    message.set_content(job.text)
    message.add_alternative(job.html, subtype="html")
    return message


async def connect(settings: Settings) -> aiosmtplib.SMTP:
    """A session with the library's server (STARTTLS, TLS or plain, logged in if a user is set);
    raises ``aiosmtplib.SMTPException`` or ``OSError`` when there is none."""
    tls = settings.smtp_tls
    client = aiosmtplib.SMTP(hostname=settings.smtp_host, port=settings.smtp_port,
                             use_tls=tls == "tls", start_tls=tls == "starttls",
                             tls_context=ssl.create_default_context(), timeout=SMTP_TIMEOUT_S)
    await client.connect()
    if settings.smtp_user:
        try:
            await client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        except BaseException:
            client.close()  # a refused login must not leave the connection open until the next try
            raise
    return client


class MailSender:
    """The agent's loop: send what is due, one at a time, until stopped.

    ``stop()`` cancels the loop and also marks it stopped: on Python 3.11 a cancel that arrives
    as aiosmtplib's own timeout fires can be swallowed (``asyncio.wait_for``), and the mark ends
    the loop all the same."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()

    async def run(self) -> None:
        if not self.settings.smtp_host:
            log.info("mail: no smtp_host, email receipts are off")
            return
        self._task = asyncio.current_task()
        while not self._stopping:
            try:
                if expired := await asyncio.to_thread(expire, self.store):
                    log.warning("mail: %d receipt mail(s) not sent within %d days, given up",
                                expired, MAX_AGE_S // 86400)
                jobs = await asyncio.to_thread(due, self.store)
                for job in jobs:
                    await self.deliver(job)
            except StoreError as exc:
                log.warning("mail: store: %s", exc)
            await asyncio.sleep(IDLE_POLL_S)

    async def deliver(self, job: MailJob) -> bool:
        """Send one job; its outcome written. A sent job is forgotten as soon as the server has
        taken the message, before the goodbye (QUIT), so a stop or a dropped line after that
        cannot send it twice. The server's words are not kept: they may hold the address."""
        try:
            message = message_of(job, self.settings)
        except ValueError as exc:  # an address no mail can carry (a line break in BE): never sendable
            await asyncio.to_thread(done, self.store, job)
            log.warning("mail %s: %s, the address cannot be written in a mail; not sent", job.key,
                        type(exc).__name__)
            return False
        try:
            client = await connect(self.settings)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return await self._later(job, exc)
        try:
            await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused:
            await asyncio.to_thread(done, self.store, job)
            log.warning("mail %s: the server refuses the address for good; not sent", job.key)
            return False
        except (aiosmtplib.SMTPException, OSError) as exc:
            return await self._later(job, exc)
        else:
            await asyncio.to_thread(done, self.store, job)
            log.info("mail %s sent", job.key)
            return True
        finally:
            await _quit(client)

    async def _later(self, job: MailJob, exc: Exception) -> bool:
        _stop_if_cancelled(exc)
        reason = f"{type(exc).__name__} {getattr(exc, 'code', '')}".strip()
        wait = await asyncio.to_thread(later, self.store, job, reason)
        log.info("mail %s not sent (%s); next try in %.0f s", job.key, reason, wait)
        return False


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye; a server that does not answer it changes nothing."""
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError) as exc:
        client.close()
        _stop_if_cancelled(exc)


def _stop_if_cancelled(exc: Exception) -> None:
    """aiosmtplib turns a cancel in the middle of a command into a disconnect error: a stopping
    agent must stop, not take it for the server's answer."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from exc
