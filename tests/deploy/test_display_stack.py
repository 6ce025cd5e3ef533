"""The real display stack on Debian 13: cage → ``kiosk screen`` → foot → ``kiosk run``, installed by
``deploy/install.sh`` into a Debian 13 root, run headless at each of the four kiosk displays.

At each display the test reads the screen as a patron would see it (grim, then tesseract with
Korean), taps through the compositor (a pointer over wayvnc) the view button and, in its chooser,
the enlargement to 200 %, sees the app laid out again at half the grid and still read, and counts
the watchdog pings. It checks that one line of text is at least 12 mm on the glass, that the app's
grids at 100 % and 200 % are the ones the layout tests use (``kiosk_testing.display_grids``), and
that no patron ever reads "enlarge the window". Skipped, saying why, where the root cannot be built
(not root, no Debian registry) or pip cannot reach PyPI inside it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hardware.sim import encode_scan
from kiosk_data.codes import KIM
from kiosk_testing.display_grids import DISPLAY_GRIDS, size_setting
from kiosk_testing.processes import stand_in
from kiosk_testing.waiting import wait_until
from tests.deploy.debian13 import (
    Chroot,
    Unavailable,
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
from tests.fake_systemd import FakeSystemd

pytestmark = pytest.mark.timeout(900)

WELCOME_KO = ("어서오세요", "빌리기", "반납하기", "회원증")
VIEW_CHOOSER = ("화면보기", "꺼짐", "닫기")
CHOOSER_FOOT_200 = ("낮은위치", "닫기")
"""The chooser's last choices at 200 %: below what is left of the old frame before the app redraws."""
MEMBER_KO = ("김민지", "찾아갈예약", "대출중인", "예약취소")
FIGURES = Path(__file__).resolve().parents[2] / "var" / "display-stack.json"


@pytest.fixture(scope="module")
def debian13():
    try:
        root = built_root()
    except Unavailable as exc:
        pytest.skip(f"skipped, because no Debian 13 root can be built here: {exc}")
    with Chroot(root) as chroot:
        try:
            install_kiosk(chroot)
        except Unavailable as exc:
            pytest.skip(f"skipped, because the kiosk cannot be installed in Debian 13 here: {exc}")
        yield chroot


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    folder = tmp_path_factory.mktemp("central")
    process, url = stand_in(folder / "central.db", folder / "central.log")
    yield url
    process.stop()


def app_grid(chroot: Chroot) -> tuple[int, int] | None:
    log = chroot.path / "var" / "lib" / "kiosk" / "kiosk-app.log"
    found = re.findall(r"patron screen: (\d+)x(\d+) cells", log.read_text(errors="replace")) \
        if log.exists() else []
    return (int(found[-1][0]), int(found[-1][1])) if found else None


@pytest.mark.parametrize("display", DISPLAY_GRIDS, ids=[display.name for display in DISPLAY_GRIDS])
def test_the_kiosk_on_a_real_display_stack(debian13, central, tmp_path, display):
    chroot, name, pixels, size_mm = debian13, display.name, display.pixels, display.size_mm
    uid = chroot.uid("kiosk")
    data = chroot.path / "var" / "lib" / "kiosk"
    for old in data.glob("*"):
        if old.is_file():
            old.unlink()
    notify_dir = chroot.path / "run" / "kiosk-notify"
    notify_dir.mkdir(parents=True, exist_ok=True)
    (notify_dir / "notify.sock").unlink(missing_ok=True)
    notify_dir.chmod(0o755)
    systemd = FakeSystemd(notify_dir)
    systemd.path.chmod(0o777)
    master, slave = os.openpty()
    os.chown(os.ttyname(slave), uid, -1)
    env = {"KIOSK_API_URL": central, "KIOSK_DATA_DIR": "/var/lib/kiosk",
           "KIOSK_SCANNER_PORT": os.ttyname(slave), "KIOSK_DISPLAY_SIZE_MM": size_setting(display),
           "NOTIFY_SOCKET": "/run/kiosk-notify/notify.sock", "WATCHDOG_USEC": "2000000",
           "WATCHDOG_PID": "1", "KIOSK_LANG": "ko"}
    vnc_port = 5900 + (os.getpid() + pixels[0]) % 1000
    stack = start_stack(chroot, pixels, env, vnc_port, tmp_path / "stack.log")
    try:
        to_first_frame = first_frame_s(stack, tmp_path)
        shot, words = wait_for_words(stack, tmp_path, "welcome-ko", WELCOME_KO, need=2)
        seen = text_of(words)
        assert found(words, WELCOME_KO, need=2), f"the welcome screen is not read: {seen!r}"
        assert "창을키워" not in seen and "enlarge" not in seen.lower(), seen

        grid = app_grid(chroot)
        assert grid == display.grid, f"the app's grid {grid} is not the layout tests' {display.grid}"

        # A tap through the compositor, as a patron's finger: "보기" opens the view chooser. (The
        # language button's bold Latin label on the top row is read too unreliably by OCR to aim
        # at; narrow grids label the view button "Aa".) Then the keypad, through the compositor
        # too: OK on the chooser's first choice enlarges everything to 200 % (the output's scale),
        # back closes the chooser.
        assert tap_word(stack, words, "보기", shot) or tap_word(stack, words, "Aa"), \
            f"no 보기 button read on the screen: {seen!r}"
        shot, words = wait_for_words(stack, tmp_path, "view-chooser", VIEW_CHOOSER, need=2)
        assert found(words, VIEW_CHOOSER, need=2), f"the tap did not open the chooser: {text_of(words)!r}"
        press_keys(stack, "enter")
        enlarged = wait_until(lambda: app_grid(chroot) == display.grid_200 and display.grid_200, 10,
                              lambda: f"the grid at 200 % to be {display.grid_200}: it is {app_grid(chroot)}")
        # Until the app has drawn itself again, foot shows the old frame twice as large and cut
        # off; its large letters read best as lines (psm 6).
        shot, words = wait_for_words(stack, tmp_path, "view-enlarged", CHOOSER_FOOT_200, psm=6)
        assert found(words, CHOOSER_FOOT_200) and found(words, ("화면보기", "200%", "고대비")), \
            f"the chooser is not read at 200 %: {text_of(words)!r}"
        press_keys(stack, "escape")
        shot, words = wait_for_words(stack, tmp_path, "welcome-enlarged", WELCOME_KO, need=2, psm=6)
        assert found(words, WELCOME_KO, need=2), f"the welcome is not read at 200 %: {text_of(words)!r}"
        assert not found(words, VIEW_CHOOSER, need=2), "back closed the chooser"

        os.write(master, encode_scan(KIM))  # 김민지's card, her screen at 200 %
        shot, words = wait_for_words(stack, tmp_path, "member-ko", MEMBER_KO, need=2, psm=6)
        assert found(words, MEMBER_KO, need=2), text_of(words)

        pings = systemd.pings(after=stack.started)
        assert len(pings) >= 2, "the app's watchdog pings did not reach NOTIFY_SOCKET"
        # kiosk screen's journal line names the font's pixel size, which is the line's height.
        font_px = int(re.findall(r"font (\d+) px for 12 mm lines \(measured\)",
                                 (tmp_path / "stack.log").read_text())[-1])
        line_mm = font_px * size_mm[1] / pixels[1]
        assert line_mm >= 12.0, f"a line of text is {line_mm:.2f} mm"
        figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
        figures[name] = {"grid": list(grid), "grid_200": list(enlarged), "font_px": font_px,
                         "line_mm": round(line_mm, 2),
                         "cell_mm": [round(size_mm[0] / grid[0], 2), round(size_mm[1] / grid[1], 2)],
                         "cell_mm_200": [round(size_mm[0] / enlarged[0], 2),
                                         round(size_mm[1] / enlarged[1], 2)],
                         "first_frame_s": round(to_first_frame, 2), "pings": len(pings)}
        FIGURES.parent.mkdir(exist_ok=True)
        FIGURES.write_text(json.dumps(figures, indent=1))
    finally:
        stack.stop()
        os.close(master)
        os.close(slave)
        systemd.close()
