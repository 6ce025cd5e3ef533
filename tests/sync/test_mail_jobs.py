"""Email receipts as durable jobs, sent by the agent's mail loop to a real SMTP server (aiosmtpd
on 127.0.0.1): the mail as committed, in Korean and English; a server down while the agent runs
and back later gets the mail exactly once; a refused address is given up, not retried forever."""

from __future__ import annotations

import asyncio
import shutil
import signal
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from kiosk_app.receipt import build_receipt
from kiosk_app.receipt_mail import receipt_mail
from kiosk_app.session import BorrowLine, Session
from kiosk_data.codes import HOLD_READY
from kiosk_demo.mailbox import Mailbox
from kiosk_testing.waiting import wait_until, wait_until_async
from sync_agent.settings import Settings
from sync_agent.store import mail_jobs, schedule_clock
from sync_agent.store.database import Store
from sync_agent.store.mail_jobs import MailSender

ADDRESS = "minji.kim@example.org"
DUE = datetime(2026, 12, 21, 5, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "kiosk.sqlite3")
    yield opened
    opened.close()


def settings(tmp_path, port: int) -> Settings:
    return Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_tls="off",
                    smtp_from="library@example.org")


def enqueue_receipt(store: Store, lang: str) -> None:
    visit = Session("26120714300042", DUE - timedelta(days=14))
    visit.borrows.append(BorrowLine(HOLD_READY, "채식주의자", DUE, False))
    mail = receipt_mail(build_receipt(visit, lang, UTC, "한빛도서관 Hanbit Library"), lang, "한빛도서관")
    mail_jobs.enqueue(store, "kiosk-07", ADDRESS, mail.subject, mail.text, mail.html)


def started(sender: MailSender) -> asyncio.Task:
    return asyncio.create_task(sender.run())


async def stopped(sender: MailSender, task: asyncio.Task) -> None:
    sender.stop()
    await asyncio.gather(task, return_exceptions=True)


async def deliver_everything(store, tmp_path, server) -> None:
    """A real MailSender until the server has a message and nothing is owed; then both stopped."""
    sender = MailSender(store, settings(tmp_path, server.port))
    loop = started(sender)
    try:
        assert await asyncio.to_thread(server.wait_for, 1, 10)
        await wait_until_async(lambda: asyncio.to_thread(lambda: mail_jobs.owed(store) == 0))
    finally:
        await stopped(sender, loop)
        server.stop()


@pytest.mark.parametrize(("lang", "subject", "due"), [
    ("ko", "한빛도서관 이용 영수증", "반납 예정일 2026년 12월 21일"),
    ("en", "Your receipt from 한빛도서관", "due Dec 21, 2026"),
])
async def test_the_mail_arrives_as_plain_text_and_html_in_the_patrons_language(tmp_path, store, lang,
                                                                               subject, due):
    server = Mailbox().start()
    enqueue_receipt(store, lang)
    await deliver_everything(store, tmp_path, server)
    message = server.messages[0]
    assert message["Subject"] == subject and message["To"] == ADDRESS
    assert server.envelopes == [("library@example.org", [ADDRESS])]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "채식주의자" in text and due in text and "26120714300042" in text
    assert "채식주의자" in html and due in html and html.startswith("<!doctype html>")
    assert mail_jobs.owed(store) == 0, "sent: the job and its address are gone"


async def test_a_server_down_while_the_agent_runs_gets_the_mail_once_it_is_back(tmp_path, store,
                                                                                monkeypatch):
    monkeypatch.setattr(mail_jobs, "FIRST_RETRY_S", 0.2)
    server = Mailbox()  # its port reserved, nothing listening yet
    enqueue_receipt(store, "ko")
    sender = MailSender(store, settings(tmp_path, server.port))
    loop = started(sender)
    try:
        await wait_until_async(lambda: asyncio.to_thread(
            lambda: store.rows("SELECT attempts FROM mail_jobs")[0]["attempts"] >= 2))
        assert mail_jobs.owed(store) == 1, "kept while the server is down"
        server.start()
        assert await asyncio.to_thread(server.wait_for, 1, 10)
        await wait_until_async(lambda: asyncio.to_thread(lambda: mail_jobs.owed(store) == 0))
        enqueue_receipt(store, "en")  # a later mail: the loop went on past the first one
        assert await asyncio.to_thread(server.wait_for, 2, 10)
    finally:
        await stopped(sender, loop)
        server.stop()
    subjects = [message["Subject"] for message in server.messages]
    assert subjects == ["한빛도서관 이용 영수증", "Your receipt from 한빛도서관"], "each exactly once"


class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 - aiosmtpd's name
        return "550 no such mailbox"


async def test_an_address_the_server_refuses_for_good_is_given_up(tmp_path, store, caplog):
    server = Refusing().start()
    try:
        enqueue_receipt(store, "en")
        sender = MailSender(store, settings(tmp_path, server.port))
        assert not await sender.deliver(mail_jobs.due(store)[0])
    finally:
        server.stop()
    assert mail_jobs.owed(store) == 0 and server.messages == []
    assert ADDRESS not in caplog.text, "the address is never logged"


async def test_an_address_no_mail_can_carry_is_given_up_and_the_loop_goes_on(tmp_path, store, caplog):
    """A line break in an address (an ACS's BE field) cannot be written in a header: the job is
    dropped, the address not logged, and the next mail still goes."""
    server = Mailbox().start()
    mail_jobs.enqueue(store, "kiosk-07", "k@example.org\nBcc: x@example.org", "s", "t", "<p>h</p>")
    enqueue_receipt(store, "en")
    await deliver_everything(store, tmp_path, server)
    assert [message["To"] for message in server.messages] == [ADDRESS]
    assert "x@example.org" not in caplog.text


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with openssl; (cert, key)."""
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed: no certificate for the TLS mail server")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_sent_over_starttls_or_tls_with_the_certificate_verified(tmp_path, store, certificate,
                                                                        monkeypatch, mode):
    cert, key = certificate
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    options = ({"tls_context": server_side, "require_starttls": True} if mode == "starttls"
               else {"ssl_context": server_side})
    server = Mailbox(**options).start()
    sender = MailSender(store, settings(tmp_path, server.port).model_copy(update={"smtp_tls": mode}))
    try:
        enqueue_receipt(store, "en")
        assert not await sender.deliver(mail_jobs.due(store)[0]), "an unknown CA is refused"
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the library's CA, trusted by the system
        assert await sender.deliver(mail_jobs.due(store, now=schedule_clock.now() + 60)[0])
    finally:
        server.stop()
    assert len(server.messages) == 1 and mail_jobs.owed(store) == 0


def test_the_agent_process_sends_a_mail_once_its_server_is_back(tmp_path, store):
    """``kiosk-sync run`` as a real process: its mail loop runs beside the relay."""
    server = Mailbox()
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'data_dir = "{tmp_path}"\nsmtp_host = "127.0.0.1"\nsmtp_port = {server.port}\n'
                   f'smtp_tls = "off"\napi_url = "http://127.0.0.1:9"\nmetrics_listen = ""\n')
    enqueue_receipt(store, "ko")
    agent = subprocess.Popen([sys.executable, "-m", "sync_agent", "--config", str(cfg), "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: store.rows("SELECT attempts FROM mail_jobs")[0]["attempts"] >= 1
                   or agent.poll() is not None, 20, "the agent tries")
        assert agent.poll() is None, "the agent tries"
        server.start()
        assert server.wait_for(1, 20)
        wait_until(lambda: not mail_jobs.owed(store), 40, "the mail delivered and nothing owed")
    finally:
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=20)
        server.stop()
    assert agent.returncode == 0, err
    assert len(server.messages) == 1 and ADDRESS not in err


def test_a_mail_not_sent_within_a_week_is_given_up_with_its_address(store):
    enqueue_receipt(store, "en")
    week = mail_jobs.MAX_AGE_S
    assert mail_jobs.expire(store, now=time.time() + week - 60) == 0, "kept through a long outage"
    assert mail_jobs.expire(store, now=time.time() + week + 60) == 1
    assert mail_jobs.owed(store) == 0
