"""A Debian 13 root with the kiosk installed by ``deploy/install.sh``, and the display stack run in it
headless, as ``kiosk.service`` runs it: for the display-stack test and ``make stack-screenshots``.

The root is built with mmdebstrap from the Debian registry, from ``deploy/packages.txt`` plus what
the test itself looks with (grim for screenshots, wayvnc for a pointer through the compositor,
tesseract with Korean for reading them), and cached between runs (``KIOSK_TEST_CACHE``, default
``~/.cache/kiosk-tests``), keyed by that list. Each run copies this checkout in and runs
``install.sh`` inside it; pip reaches PyPI there with this machine's CA bundle.

Taps: ``wlrctl`` makes a new virtual pointer for every action, and cage gives each a fresh seat
capability, so the click arrives before foot has taken the pointer and is lost. wayvnc keeps one
virtual pointer for as long as it runs, so clicks sent to it (vncdotool, over loopback) reach foot
as they would from a touchscreen: foot turns taps into the same pointer presses.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import itertools
import os
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from PIL import Image, ImageOps

from tests.deploy.rfb_input import RfbInput

ROOT = Path(__file__).resolve().parents[2]
SUITE = "trixie"
MIRROR = "http://deb.debian.org/debian"
TEST_PACKAGES = ["grim", "wayvnc", "tesseract-ocr", "tesseract-ocr-kor", "passwd", "systemd",
                 "ca-certificates", "procps"]
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


class Unavailable(Exception):
    """The root cannot be had here; the message says why (the test skips with it)."""


def packages() -> list[str]:
    lines = (ROOT / "deploy" / "packages.txt").read_text().splitlines()
    return [word for line in lines if (word := line.split("#")[0].strip())] + TEST_PACKAGES


def cache_dir() -> Path:
    return Path(os.environ.get("KIOSK_TEST_CACHE", Path.home() / ".cache" / "kiosk-tests"))


def _run(argv: list[str], timeout: float, what: str, **kwargs) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Unavailable(f"{what}: {exc}") from None
    if done.returncode:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{what} failed ({done.returncode}): {' | '.join(tail)}")
    return done


def _mmdebstrap() -> str:
    found = shutil.which("mmdebstrap")
    if found:
        return found
    _run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "mmdebstrap"], 300,
         "installing mmdebstrap from Debian", env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("mmdebstrap") or "mmdebstrap"


def built_root() -> Path:
    """The cached Debian 13 root for today's package list, built once (about 40 s)."""
    if os.geteuid() != 0:
        raise Unavailable("building and entering a Debian 13 root needs root (mount, chroot)")
    key = hashlib.sha256(" ".join([SUITE, *packages()]).encode()).hexdigest()[:12]
    target = cache_dir() / f"debian13-{key}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        _run([_mmdebstrap(), "--variant=apt", "--include=" + ",".join(packages()), SUITE,
              str(target), MIRROR], 900, "mmdebstrap of Debian 13")
        (target / ".complete").touch()
    return target


@dataclass
class Chroot:
    """The root with /proc, /dev and /sys mounted; commands run in it with a clean environment.

    One user at a time: the suite's display-stack test and ``make stack-screenshots`` would
    otherwise share its mounts, its installed checkout and its Wayland socket, and one's exit would
    unmount the other's /dev. A second user waits for the first (a lock beside the root)."""

    path: Path
    mounts: list[Path] = field(default_factory=list)
    _in_use: IO[str] | None = field(default=None, init=False, repr=False)

    def __enter__(self) -> Chroot:
        self._in_use = open(self.path.parent / f".{self.path.name}.in-use", "w")  # held until __exit__
        fcntl.flock(self._in_use, fcntl.LOCK_EX)
        try:
            for name, how in (("proc", ["-t", "proc", "proc"]), ("sys", ["--rbind", "/sys"]),
                              ("dev", ["--rbind", "/dev"])):
                point = self.path / name
                _run(["mount", *how, str(point)], 30, f"mounting /{name} in the root")
                if name != "proc":
                    subprocess.run(["mount", "--make-rslave", str(point)], check=False)
                self.mounts.append(point)
            shutil.copyfile("/etc/resolv.conf", self.path / "etc" / "resolv.conf")
        except BaseException:
            self.__exit__()  # what was mounted is unmounted, and the root is free again
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        for point in reversed(self.mounts):
            subprocess.run(["umount", "-R", "-l", str(point)], check=False, capture_output=True)
        self.mounts.clear()
        if self._in_use is not None:
            self._in_use.close()  # the lock goes with the file
            self._in_use = None

    def run(self, command: str, timeout: float, what: str, user: str = "root",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return _run(self.argv(command, user, env), timeout, what)

    def argv(self, command: str, user: str = "root", env: dict[str, str] | None = None) -> list[str]:
        base = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": "/root" if user == "root"
                else "/var/lib/kiosk", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
        words = ["env", "-i", *(f"{k}={v}" for k, v in {**base, **(env or {})}.items()),
                 "sh", "-c", command]
        if user != "root":
            words = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *words]
        return ["chroot", str(self.path), *words]

    def uid(self, user: str) -> int:
        return int(self.run(f"id -u {user}", 10, "id").stdout)


def install_kiosk(chroot: Chroot) -> None:
    """This checkout, as committed or not, installed by ``deploy/install.sh`` inside the root."""
    source = chroot.path / "tmp" / "kiosk-src"
    shutil.rmtree(source, ignore_errors=True)
    ignore = shutil.ignore_patterns(".venv", ".git", "var", "__pycache__", "*.egg-info",
                                    ".pytest_cache", "snapshot_report.html")
    shutil.copytree(ROOT, source, ignore=ignore)
    # pip inside the root reaches PyPI only with this machine's CA bundle.
    if HOST_CA.exists():
        shutil.copyfile(HOST_CA, chroot.path / "etc" / "ssl" / "certs" / "ca-certificates.crt")
    chroot.run("bash /tmp/kiosk-src/deploy/install.sh", 900, "deploy/install.sh in Debian 13")


def unit_command() -> list[str]:
    """kiosk.service's ExecStart, as words."""
    for line in (ROOT / "kiosk.service").read_text().splitlines():
        if line.startswith("ExecStart="):
            return shlex.split(line.removeprefix("ExecStart="))
    raise AssertionError("kiosk.service has no ExecStart")


@dataclass
class Stack:
    """cage → kiosk screen → foot → kiosk run, headless at one display size, with wayvnc beside it."""

    chroot: Chroot
    process: subprocess.Popen[bytes]
    runtime: str
    vnc_port: int
    started: float

    def shot(self, path: Path) -> Path:
        """A screenshot through the compositor (grim), copied out of the root."""
        inside = f"/tmp/shot-{os.getpid()}.png"
        self.chroot.run(f"grim {inside}", 20, "grim", user="kiosk",
                        env={"XDG_RUNTIME_DIR": self.runtime, "WAYLAND_DISPLAY": "wayland-0"})
        shutil.move(self.chroot.path / inside.lstrip("/"), path)
        return path

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()


def start_stack(chroot: Chroot, pixels: tuple[int, int], env: dict[str, str], vnc_port: int,
                log: Path) -> Stack:
    """kiosk.service's command line as user kiosk, the headless output set to ``pixels`` first (a
    real display has its mode from its EDID), wayvnc beside the app for the test's clicks."""
    uid = chroot.uid("kiosk")
    runtime = f"/run/user/{uid}"
    folder = chroot.path / runtime.lstrip("/")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, mode=0o700)
    os.chown(folder, uid, uid)
    cage, *rest = unit_command()
    app = shlex.join(rest[rest.index("--") + 1:])
    inner = (f"wlr-randr --output HEADLESS-1 --custom-mode {pixels[0]}x{pixels[1]} && "
             f"(wayvnc 127.0.0.1 {vnc_port} >/dev/null 2>&1 &) && exec {app}")
    command = f"exec {shlex.quote(cage)} -- sh -c {shlex.quote(inner)}"
    full = {"XDG_RUNTIME_DIR": runtime, "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman",
            "WLR_LIBINPUT_NO_DEVICES": "1", **env}
    started = time.monotonic()
    with open(log, "ab") as out:
        process = subprocess.Popen(chroot.argv(command, "kiosk", full), stdout=out, stderr=out,
                                   start_new_session=True)
    return Stack(chroot, process, runtime, vnc_port, started)


PREPARED = {
    "inverted": lambda grey: ImageOps.invert(grey),
    "thresholded": lambda grey: grey.point(lambda value: 0 if value > 150 else 255),
    "as shown": lambda grey: grey,
}
"""Ways of showing tesseract the screen: it reads dark text on light far better than the kiosk's
light text on dark, a button's label on a coloured ground best in black and white, and a focused
label (dark on light) as it is shown."""


def read_screen(chroot: Chroot, shot: Path, langs: str = "kor+eng", prepared: str = "inverted",
                top_only: bool = False, psm: int = 11) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The words tesseract reads on ``shot`` (``top_only``: its top eighth, where the top bar is),
    each with its box (left, top, width, height). ``psm`` 11 looks for words anywhere; 6 reads the
    screen as one block of lines, which finds the large letters of the 200 % view better."""
    grey = Image.open(shot).convert("L")
    if top_only:
        grey = grey.crop((0, 0, grey.width, grey.height // 8))
    PREPARED[prepared](grey).save(chroot.path / "tmp" / shot.name)
    done = chroot.run(f"tesseract /tmp/{shot.name} - -l {langs} --psm {psm} tsv", 120, "tesseract")
    words = []
    for line in done.stdout.splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[11].strip() and float(cells[10]) > 30:
            words.append((cells[11].strip(), tuple(int(cell) for cell in cells[6:10])))
    return words


def text_of(words) -> str:
    return "".join(word for word, _box in words)


def found(words, wanted: tuple[str, ...], need: int = 1) -> bool:
    """Whether at least ``need`` of the ``wanted`` phrases were read (spaces ignored): OCR misreads
    a word now and then, never the whole screen."""
    read = text_of(words)
    return sum(phrase in read for phrase in wanted) >= need


def wait_for_words(stack: Stack, folder: Path, name: str, wanted: tuple[str, ...], need: int = 1,
                   timeout_s: float = 20, langs: str = "kor+eng", psm: int = 11):
    """Screenshots until tesseract reads ``need`` of the ``wanted`` phrases; the last picture and
    its words."""
    deadline = time.monotonic() + timeout_s
    while True:
        shot = stack.shot(folder / f"{name}.png")
        words = read_screen(stack.chroot, shot, langs, psm=psm)
        if found(words, wanted, need) or time.monotonic() > deadline:
            return shot, words
        time.sleep(0.3)


def first_frame_s(stack: Stack, folder: Path, timeout_s: float = 30) -> float:
    """Seconds from the stack's start to a screenshot showing the app's screen (foot's empty
    window is one colour; Textual's screen has many)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            shot = stack.shot(folder / "first.png")
        except Unavailable:
            time.sleep(0.05)
            continue
        if len(Image.open(shot).convert("RGB").getcolors(maxcolors=4096) or range(4096)) > 8:
            return time.monotonic() - stack.started
        time.sleep(0.05)
    raise AssertionError(f"no frame within {timeout_s} s")


def like(word: str, wanted: str) -> bool:
    """Whether OCR's ``word`` is ``wanted`` misread by a letter or two ("Enclish", even "fetish", for
    English); a word of two letters or fewer must be read whole (대 is not 확대)."""
    if len(wanted) <= 2:
        return word.lower().rstrip(":") == wanted.lower()
    return difflib.SequenceMatcher(None, word.lower(), wanted.lower()).ratio() >= 0.6


def tap_word(stack: Stack, words, wanted: str, shot: Path | None = None) -> bool:
    """Tap, through the compositor, the middle of the first word read as ``wanted`` (a letter or
    two misread allowed); where ``words`` lack it, ``shot`` is read again in every way of
    :data:`PREPARED`, as words and as lines: a Latin word in the top bar in English alone, any other
    on the whole screen. False if it is not read."""
    box = next((box for word, box in words if like(word, wanted)), None)
    latin = wanted.isascii()
    for prepared, psm in itertools.product(PREPARED, (11, 6)) if box is None and shot is not None else ():
        again = read_screen(stack.chroot, shot, "eng" if latin else "kor+eng", prepared, top_only=latin, psm=psm)
        box = next((box for word, box in again if like(word, wanted)), None)
        if box is not None:
            break
    if box is None:
        return False
    pointer = RfbInput(stack.vnc_port)
    try:
        pointer.tap(box[0] + box[2] // 2, box[1] + box[3] // 2)
    finally:
        pointer.close()
    return True


def press_keys(stack: Stack, *keys: str) -> None:
    """Keys of an accessibility keypad, pressed through the compositor (``rfb_input.KEYSYMS``)."""
    keypad = RfbInput(stack.vnc_port)
    try:
        # The first key of wayvnc's new virtual keyboard can reach cage before its keymap and be
        # lost (an F11 was, on the real stack); a Shift, which sends the terminal nothing, goes first.
        keypad.press("shift")
        for key in keys:
            keypad.press(key)
    finally:
        keypad.close()
