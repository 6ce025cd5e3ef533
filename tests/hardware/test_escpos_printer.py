"""The receipt printer driver against a printer on a real pty (pyserial on the kiosk's side):
status answers read back as states, a whole job taken, a job the printer stops taking partway."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from hardware.escpos_printer import EscposPrinter, PrinterState, PrintFailed, receipt_stream, state_of
from hardware.escpos_sim import STATUS_BYTES, VirtualPrinter, decode, stacked
from hardware.sim import PtyPort


@pytest.mark.parametrize("state", list(STATUS_BYTES))
def test_status_answers_come_back_through_the_pty_as_states(state, wait):
    with VirtualPrinter() as printer:
        printer.state = state
        assert EscposPrinter(printer.path).state() == PrinterState(state)
        # the virtual printer answers a request before it records it: the last one may be on its way
        wait(lambda: len(printer.printout.status_requests) >= 3)
        assert printer.printout.status_requests == [1, 2, 4], "DLE EOT 1, 2 and 4 asked"


def test_which_state_wins_when_several_hold():
    assert state_of(0x1A, 0x36, 0x7E) is PrinterState.PAPER_OUT, "paper out before cover open"
    assert state_of(0x1A, 0x16, 0x1E) is PrinterState.COVER_OPEN, "cover open before near end"
    assert state_of(0x12, 0x12, 0x1E).can_print, "near end still prints"
    assert not PrinterState.PAPER_OUT.can_print and not PrinterState.COVER_OPEN.can_print


def test_a_printer_that_does_not_answer_or_is_not_there(tmp_path):
    port = PtyPort(tmp_path / "silent")
    port.open()
    try:
        assert EscposPrinter(port.link).state() is PrinterState.NO_ANSWER
    finally:
        port.close()
    unplugged = EscposPrinter(Path("/dev/kiosk-printer-unplugged"))
    assert unplugged.state() is PrinterState.MISSING, "a device name under /dev that is gone"
    usb = EscposPrinter(Path("/dev/usb/kiosk-lp-unplugged"))
    assert not usb.is_file and usb.state() is PrinterState.MISSING, "deeper under /dev too"
    assert EscposPrinter(tmp_path / "no folder" / "printer").state() is PrinterState.MISSING
    assert EscposPrinter(tmp_path / "receipts.bin").state() is PrinterState.FILE, "a file to make"


def picture(width: int, height: int) -> Image.Image:
    image = Image.new("1", (width, height), 1)
    ImageDraw.Draw(image).rectangle((4, 4, width // 2, height - 4), fill=0)
    return image


def test_a_job_arrives_whole_with_its_picture_barcode_and_cut():
    drawn = picture(576, 120)
    stream = receipt_stream([drawn], "26120714300042")
    with VirtualPrinter() as printer:
        EscposPrinter(printer.path).write(stream)
        assert printer.cut.wait(10)
        assert bytes(printer.received) == stream
        out = printer.printout
    assert out.barcodes == ["26120714300042"] and out.cuts == 1
    assert stacked(out.pictures).convert("L").tobytes() == drawn.convert("L").tobytes(), "the picture"


def test_a_file_takes_the_stream_as_it_is(tmp_path):
    target = tmp_path / "receipts.bin"
    stream = receipt_stream([picture(384, 40)], "1")
    EscposPrinter(target).write(stream)
    EscposPrinter(target).write(stream)
    assert decode(target.read_bytes()).cuts == 2


def test_a_printer_that_stops_partway_says_how_much_went_out(monkeypatch):
    monkeypatch.setattr("hardware.escpos_printer.WRITE_TIMEOUT_S", 0.5)
    stream = receipt_stream([picture(576, 900)], "26120714300042")
    with VirtualPrinter() as printer:
        printer.take_only(20_000)
        with pytest.raises(PrintFailed) as failed:
            EscposPrinter(printer.path).write(stream)
        assert 0 < failed.value.sent < len(stream)
        assert printer.printout.cuts == 0, "no cut: the receipt was not finished"
