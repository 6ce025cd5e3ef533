"""``make stack-screenshots``: the welcome, member and receipt screens on the real display stack
(Debian 13, cage, foot, ``kiosk screen``) at the four kiosk displays, in Korean and English, into
``docs/screenshots/stack/``, and the member screen enlarged to 200 % (``*-member-200.png``). Each
picture is taken through the compositor (grim) and the visit is driven as a patron would: a card
and a book through the scanner's serial port, taps on Done, the view's enlargement from the keypad.
Needs root (it builds and enters the Debian 13 root of :mod:`tests.deploy.debian13`)."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

from hardware.sim import encode_scan
from kiosk_data.codes import HOLD_READY, KIM
from kiosk_testing.display_grids import DISPLAY_GRIDS, DisplayGrid, size_setting
from kiosk_testing.processes import stand_in
from tests.deploy.debian13 import (
    Chroot,
    Stack,
    built_root,
    first_frame_s,
    found,
    install_kiosk,
    press_keys,
    start_stack,
    tap_word,
    text_of,
    wait_for_words,
)
from tests.deploy.rfb_input import RfbInput

RECEIPT = {"ko": ("영수증",), "en": ("Receipt",)}
CARD, RESERVED_BOOK = KIM, HOLD_READY
WORDS = {"ko": {"welcome": ("빌리기", "반납하기", "어서오세요", "회원증"), "member": ("김민지",), "done": "완료"},
         "en": {"welcome": ("Borrow", "Return", "Welcome", "card"), "member": ("Kim",), "done": "Done"}}
"""What each screen is read for; the member is greeted by her name in the visit's language."""
VIEW = {"ko": ("화면보기", "꺼짐"), "en": ("View:", "contrast")}
VIEW_FOOT = {"ko": ("낮은위치", "닫기"), "en": ("Low", "Close")}
"""The view chooser, and its last choices: below what is left of the old frame at 200 % before the
app has drawn itself again."""


def lowest_accent_row(shot: Path, pixels: tuple[int, int]) -> int:
    """The lowest row of the middle column drawn in the accent blue (Done's bar)."""
    picture = Image.open(shot).convert("RGB")
    for y in range(pixels[1] - 1, 0, -1):
        red, _green, blue = picture.getpixel((pixels[0] // 2, y))
        if blue > 150 and red < 60:
            return y - 4
    raise AssertionError("no Done bar on the member screen")


@contextmanager
def kiosk_shown(chroot: Chroot, work: Path, display: DisplayGrid, lang: str,
                label: str) -> Iterator[tuple[Stack, int]]:
    """The stack at ``display`` in ``lang``, on a stand-in of its own (its files named ``label``)
    and a scanner pty the ``kiosk`` user may open, once its first frame is drawn: the stack and
    the pty's end a scan is written to. Everything is stopped and closed afterwards, whatever
    failed."""
    central, url = stand_in(work / f"{label}.db", work / f"{label}.log")
    master, slave = os.openpty()
    try:
        os.chown(os.ttyname(slave), chroot.uid("kiosk"), -1)
        env = {"KIOSK_API_URL": url, "KIOSK_DATA_DIR": "/var/lib/kiosk", "KIOSK_LANG": lang,
               "KIOSK_SCANNER_PORT": os.ttyname(slave), "KIOSK_DISPLAY_SIZE_MM": size_setting(display)}
        stack = start_stack(chroot, display.pixels, env, 5900 + display.pixels[0] % 97, work / "stack.log")
        try:
            first_frame_s(stack, work)
            yield stack, master
        finally:
            stack.stop()
    finally:
        central.stop()
        os.close(master)
        os.close(slave)


def visit(chroot: Chroot, out: Path, work: Path, display: DisplayGrid, lang: str) -> None:
    name, pixels = display.name, display.pixels
    words = WORDS[lang]
    with kiosk_shown(chroot, work, display, lang, f"{name}-{lang}") as (stack, master):
        wait_for_words(stack, work, "welcome", words["welcome"])[0].replace(out / f"{name}-{lang}-welcome.png")
        os.write(master, encode_scan(CARD))
        wait_for_words(stack, work, "member", words["member"])
        os.write(master, encode_scan(RESERVED_BOOK))
        shot, seen = wait_for_words(stack, work, "member", ("채식주의자",))
        member = shot.replace(out / f"{name}-{lang}-member.png")
        if not tap_word(stack, seen, words["done"]):
            # White on the accent colour is not always read; Done is the full-width bar of that
            # colour at the bottom of the member screen on every layout (test_layout_fit.py).
            pointer = RfbInput(stack.vnc_port)
            pointer.tap(pixels[0] // 2, lowest_accent_row(member, pixels))
            pointer.close()
        shot, _seen = wait_for_words(stack, work, "receipt", RECEIPT[lang], langs="kor+eng")
        shot.replace(out / f"{name}-{lang}-receipt.png")


def shown(stack: Stack, work: Path, name: str, wanted: tuple[str, ...], psm: int = 11) -> Path:
    """The screenshot once ``wanted`` is read on it; a picture of the wrong screen is never kept."""
    shot, words = wait_for_words(stack, work, name, wanted, psm=psm)
    if not found(words, wanted):
        raise RuntimeError(f"{name}: none of {wanted} read on the screen: {text_of(words)!r}")
    return shot


def visit_enlarged(chroot: Chroot, out: Path, work: Path, display: DisplayGrid, lang: str) -> None:
    """The member screen with everything at 200 %: the view (F11), its first choice (Enter) and
    back (Escape) from the keypad, then the card."""
    name = display.name
    with kiosk_shown(chroot, work, display, lang, f"{name}-{lang}-200") as (stack, master):
        shown(stack, work, "welcome", WORDS[lang]["welcome"])
        press_keys(stack, "f11")
        shown(stack, work, "view", VIEW[lang])
        press_keys(stack, "enter")  # its first choice, focused: enlarge
        shown(stack, work, "view-200", VIEW_FOOT[lang], psm=6)  # drawn again, at 200 %
        press_keys(stack, "escape")
        os.write(master, encode_scan(CARD))
        shown(stack, work, "member-200", WORDS[lang]["member"], psm=6).replace(
            out / f"{name}-{lang}-member-200.png")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    with Chroot(built_root()) as chroot, tempfile.TemporaryDirectory() as work:
        install_kiosk(chroot)
        for display in DISPLAY_GRIDS:
            for lang in ("ko", "en"):
                visit(chroot, out, Path(work), display, lang)
                visit_enlarged(chroot, out, Path(work), display, lang)
                print(f"{display.name} {lang}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/stack")))
