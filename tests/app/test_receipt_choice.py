"""The end of a visit through the real app (Pilot), the real stand-in and store: the patron
chooses print, email or none. The printer is a virtual one on a pty; what it takes is decoded
(the raster turned back into a picture and read with tesseract's Korean data); its status
answers come back through the same pty. Email goes to a real SMTP server by way of the agent's
mail loop. Afterwards no byte of the store, its log or the app's log holds the address."""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import UTC, datetime

import pytest

from hardware.escpos_sim import VirtualPrinter, decode, stacked
from kiosk_app import logbook
from kiosk_app.messages import PrintReceipt
from kiosk_app.receipt import build_receipt
from kiosk_app.receipt_escpos import TEXT_PX, cjk_font, escpos_receipt, receipt_picture, wrap
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_app.session import BorrowLine, CancelLine, Session
from kiosk_app.techpin import hash_pin
from kiosk_data.codes import AVAILABLE_KO, CHOI, HOLD_READY, KIM
from kiosk_demo.mailbox import Mailbox
from kiosk_testing.pilot import screen_text
from kiosk_testing.waiting import wait_until_async
from sync_agent.store import mail_jobs
from sync_agent.store.mail_jobs import MailSender

from .conftest import SIZE, scan_and_settle, settle
from .test_privacy import found_in
from .test_technician import PIN, detail_text, open_technician

ADDRESS = "minji.kim@example.org"
MASKED = "m***@example.org"


def ocr(tesseract: str, printer: VirtualPrinter, folder) -> str:
    path = folder / "printed.png"
    stacked(printer.printout.pictures).save(path)
    done = subprocess.run([tesseract, str(path), "-", "-l", "kor+eng"], capture_output=True, text=True,
                          check=True)
    return done.stdout


async def visit_to_receipt(pilot, card: str = KIM) -> None:
    await scan_and_settle(pilot, card, HOLD_READY)
    await pilot.click("#done")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReceiptScreen)


def buttons(app) -> list[str]:
    return [button.id for button in app.screen.query("#receipt-choice Button")]


async def test_printed_in_korean_with_due_date_barcode_and_cut(kiosk, korean_ocr, tmp_path):
    with VirtualPrinter() as printer:
        k = kiosk(receipt_printer=printer.path, smtp_host="127.0.0.1")
        async with k.app.run_test(size=SIZE) as pilot:
            await visit_to_receipt(pilot)
            assert buttons(k.app) == ["print", "email", "finish"], "the library's order, all possible"
            assert MASKED in screen_text(k.app) and ADDRESS not in screen_text(k.app)
            await pilot.click("#print")
            await settle(pilot)
            assert printer.cut.wait(10)
            assert "영수증을 출력했습니다." in screen_text(k.app)
            assert buttons(k.app) == ["finish"], "a receipt given: only finish is left"
            visit = k.app.session.id
            due = k.app.session.borrows[0].due_at.astimezone(k.app.tz)  # the library's day
        text = ocr(korean_ocr, printer, tmp_path).replace(" ", "")
    assert "채식주의자" in text and "반납예정일" in text, text
    assert f"{due.year}년{due.month}월{due.day}일" in text, text
    assert "한빛도서관" in text and visit in text
    assert printer.printout.barcodes == [visit] and printer.printout.cuts == 1


async def test_paper_out_is_told_before_the_choice_and_email_is_offered(kiosk, tmp_path):
    with VirtualPrinter() as printer:
        printer.state = "paper_out"
        k = kiosk(receipt_printer=printer.path, smtp_host="127.0.0.1", lang="en")
        async with k.app.run_test(size=SIZE) as pilot:
            await visit_to_receipt(pilot)
            assert buttons(k.app) == ["email", "finish"], "no print button while out of paper"
            assert "The printer is out of paper" in screen_text(k.app)
            assert printer.printout.pictures == [], "nothing sent to a printer that cannot print"
            printer.state = "cover_open"
            await k.app.receipts.check_printer()
            statuses = {status.name: status.state for status in k.app.devices.statuses()}
            assert statuses["printer"] == "cover_open", "the technician's devices follow"
        recorded = k.store.rows("SELECT status FROM devices WHERE name = 'printer'")
        assert '"cover_open"' in recorded[0]["status"], "and the store, which the metrics read"


async def test_a_print_the_printer_cannot_finish_is_not_told_as_printed(kiosk, cjk_font):
    """The job reached the printer, which then reports paper out: the patron is not told
    "printed", only that the receipt may be incomplete."""
    with VirtualPrinter() as printer:
        k = kiosk(receipt_printer=printer.path, smtp_host="127.0.0.1", lang="en")
        async with k.app.run_test(size=SIZE) as pilot:
            await visit_to_receipt(pilot)
            assert "print" in buttons(k.app)
            printer.state = "paper_out"  # the roll ends during the job
            await pilot.click("#print")
            await settle(pilot)
            text = screen_text(k.app)
            assert "Receipt printed" not in text and "may be incomplete" in text, text
            assert "print" not in buttons(k.app), "not printed again"


async def test_a_print_that_stops_partway_is_not_printed_again(kiosk, cjk_font, monkeypatch):
    monkeypatch.setattr("hardware.escpos_printer.WRITE_TIMEOUT_S", 0.5)
    with VirtualPrinter() as printer:
        k = kiosk(receipt_printer=printer.path, smtp_host="127.0.0.1", lang="en")
        async with k.app.run_test(size=SIZE) as pilot:
            # a long receipt (about 100 KB), more than the pty and the kernel hold unread
            k.app.session.cancels.extend(CancelLine(f"3004200000{n:04d}", "아몬드", 1000) for n in range(40))
            await visit_to_receipt(pilot)
            printer.take_only(3000)
            await pilot.click("#print")
            await settle(pilot)
            text = screen_text(k.app)
            assert "Printing stopped partway" in text and "not printed again" in text
            assert buttons(k.app) == ["email", "finish"], "email still offered, print not"
            printer.take_only(10**9)  # the printer reads again: what the kernel held arrives
            k.app.post_message(PrintReceipt(k.app.screen.receipt))  # as a retry would
            await settle(pilot)
            # a status check once the printer reads again: its answer means all before it arrived
            assert await k.app.receipts.check_printer() == "ok"
            stream = escpos_receipt(k.app.screen.receipt, 80)
        received = bytes(printer.received)
        ask = b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"
        assert received.startswith(ask) and received.endswith(ask)
        job = received[len(ask):]
        printed = next(n for n in range(len(job)) if n == len(stream) or job[n] != stream[n])
        assert 3000 < printed < len(stream), "the beginning of one job, not all of it"
        assert set(job[printed:]) <= set(ask), "after it only status requests: nothing sent again"
        assert printer.printout.cuts == 0, "the half receipt was not cut"


async def test_emailed_in_the_patrons_language_once_and_the_address_leaves_no_trace(kiosk, root_logger):
    server = Mailbox().start()
    k = kiosk(smtp_host="127.0.0.1", smtp_port=server.port, smtp_tls="off", lang="en",
              member_view_grace_s=0.1)
    folder = k.settings.data_dir
    logbook.install(folder)
    try:
        async with k.app.run_test(size=SIZE) as pilot:
            await visit_to_receipt(pilot)
            assert buttons(k.app) == ["email", "finish"], "no printer configured: no print"
            await pilot.click("#email")
            await settle(pilot)
            assert f"Your receipt will be emailed to {MASKED}." in screen_text(k.app)
            assert buttons(k.app) == ["finish"]
            await pilot.click("#finish")
            await settle(pilot)
            assert isinstance(k.app.screen, WelcomeScreen)
        sender = MailSender(k.store, k.settings)
        loop = asyncio.create_task(sender.run())
        try:
            assert await asyncio.to_thread(server.wait_for, 1, 10)
            await wait_until_async(lambda: not mail_jobs.owed(k.store), 10, "the receipt mail delivered")
        finally:
            sender.stop()
            await asyncio.gather(loop, return_exceptions=True)
    finally:
        server.stop()
    message = server.messages[0]
    assert message["To"] == ADDRESS and message["Subject"] == "Your receipt from 한빛도서관 Hanbit Library"
    assert "Borrowed  채식주의자" in message.get_body(("plain",)).get_content()
    assert len(server.messages) == 1
    assert (await k.relay.drain(10)).empty, "nothing of the visit left to send"
    assert k.lending.retention.purge(now=time.time() + 60) == 1, "the patron's view forgotten"
    for handler in root_logger.handlers:
        handler.flush()
    assert found_in(folder, ADDRESS) == [], "no byte of the address in the store, its log or the logs"


@pytest.mark.parametrize(("choices", "smtp", "card", "offered"), [
    ("print,email,none", "127.0.0.1", CHOI, ["print", "finish"]),       # no address for her
    ("email,print,none", "127.0.0.1", KIM, ["email", "print", "finish"]),  # the library's default first
    ("print,email,none", "", KIM, ["print", "finish"]),                # no mail server
    ("email", "127.0.0.1", KIM, ["email", "finish"]),                  # finish stays, labelled as such
])
async def test_only_what_is_possible_and_allowed_is_offered(kiosk, tmp_path, choices, smtp, card, offered):
    k = kiosk(receipt_printer=tmp_path / "receipts.bin", smtp_host=smtp, receipt_choices=choices)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, card)
        k.app.session.cancels.append(CancelLine(AVAILABLE_KO, "아몬드", 1000))
        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, ReceiptScreen)
        assert buttons(k.app) == offered
        primary = [button.id for button in k.app.screen.query("#receipt-choice Button")
                   if button.variant == "primary"]
        assert primary == [offered[0]], "the first possible choice is the default"


@pytest.mark.parametrize(("lang", "words"), [("ko", "용지 없음 (용지를 넣으세요)"), ("en", "paper out (load a roll)")])
async def test_the_technician_reads_the_printer_state_in_words(kiosk, lang, words):
    with VirtualPrinter() as printer:
        printer.state = "paper_out"
        k = kiosk(tech_pin_hash=hash_pin(PIN), lang=lang, receipt_printer=printer.path)
        async with k.app.run_test(size=SIZE) as pilot:
            await k.app.receipts.check_printer()
            await open_technician(pilot, k)
            text = detail_text(k.app.screen)
    assert f"printer · {printer.path} · {words}" in text


@pytest.mark.usefixtures("cjk_font")
def test_58_mm_paper_is_384_dots_and_long_titles_wrap():
    visit = Session("26120714300042", datetime(2026, 12, 7, 5, 30, tzinfo=UTC))
    title = "당신이 계속 나아갈 수 있도록 오늘의 문장을 건네는 작은 책"
    visit.borrows.append(BorrowLine(HOLD_READY, title, datetime(2026, 12, 21, tzinfo=UTC), False))
    receipt = build_receipt(visit, "ko", UTC, "한빛도서관")
    narrow, wide = receipt_picture(receipt, 58), receipt_picture(receipt, 80)
    assert (narrow.width, wide.width) == (384, 576)
    line = f"대출  {title}"
    pieces = wrap(line, cjk_font(TEXT_PX[58]), 384)
    assert len(pieces) > 1, "a title wider than the paper goes on the next line"
    assert all(cjk_font(TEXT_PX[58]).getlength(piece) <= 384 for piece in pieces), "each fits"
    assert "".join(piece.strip() for piece in pieces).replace(" ", "") == line.replace(" ", "")
    assert decode(escpos_receipt(receipt, 58)).pictures[0].width == 384
