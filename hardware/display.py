"""The patron display as the compositor reports it, and its scale: the patron's 200 % enlargement.

Why here: the display is a device like the printer, and its driver is ``wlr-randr`` (Debian's
package of the same name), the client of the wlroots output-management protocol that cage speaks.
It answers the output's current mode and physical size (from the EDID), which ``kiosk screen``
turns into a font of a legal size; and it sets the output's scale.

**Enlargement.** Korea's kiosk accessibility criteria rate "everything on screen enlarged to
200 %" excellent and "the text alone enlarged" only fair. A terminal app cannot draw larger cells,
and foot has no escape sequence that changes its font. The compositor can: at scale 2 every client
is drawn at twice its size, so foot renders the same font at twice the pixels, its grid halves
(76x21 becomes 39x10 on a 21.5-inch 1920x1080 panel), the app gets a resize like any other and
lays itself out for it, and every button, frame and letter is twice as large on the glass. Back at
scale 1 the grid is what it was. Measured on the real stack (Debian 13's cage 0.2 and foot 1.21):
wlr-randr returned in 16 ms (one measurement), and the app keeps its state.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

ROTATED = {"90", "270", "flipped-90", "flipped-270"}
TIMEOUT_S = 5.0
"""A compositor that does not answer in this long is not going to; the caller says so."""


class DisplayError(Exception):
    """wlr-randr could not be run, or did not do what was asked; the message says which."""


@dataclass(frozen=True)
class Output:
    """One display as the compositor reports it: its current mode in pixels, and its physical size
    in mm (None where the EDID gives none, as on a headless or virtual output), both as the patron
    sees them (a portrait panel's are swapped)."""

    name: str
    pixels: tuple[int, int]
    size_mm: tuple[float, float] | None


def outputs_from_wlr_randr(text: str) -> list[Output]:
    """The enabled outputs in ``wlr-randr --json``'s answer; a ValueError for anything else."""
    try:
        entries = json.loads(text)
        if not isinstance(entries, list):
            raise TypeError("a list of outputs was expected")
        found = []
        for entry in entries:
            if not entry.get("enabled"):
                continue
            mode = next(mode for mode in entry["modes"] if mode.get("current"))
            pixels = (int(mode["width"]), int(mode["height"]))
            physical = entry.get("physical_size") or {}
            size = (float(physical.get("width") or 0), float(physical.get("height") or 0))
            if str(entry.get("transform", "normal")) in ROTATED:
                pixels, size = (pixels[1], pixels[0]), (size[1], size[0])
            found.append(Output(str(entry["name"]), pixels, size if min(size) > 0 else None))
        return found
    except (json.JSONDecodeError, KeyError, StopIteration, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"not wlr-randr's JSON: {exc}") from None


def _wlr_randr(*args: str) -> str:
    try:
        done = subprocess.run(["wlr-randr", *args], capture_output=True, text=True, timeout=TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DisplayError(f"wlr-randr: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.strip() or done.stdout.strip() or "no reason given"
        raise DisplayError(f"wlr-randr {' '.join(args)} exited {done.returncode}: {said}")
    return done.stdout


def read_outputs() -> list[Output]:
    """The compositor's enabled outputs; DisplayError where it cannot be asked or its answer read."""
    try:
        return outputs_from_wlr_randr(_wlr_randr("--json"))
    except ValueError as exc:
        raise DisplayError(str(exc)) from None


class OutputScale:
    """Sets every enabled output's scale: 2 for the patron's enlargement, 1 for the normal size."""

    def set(self, factor: int) -> None:
        outputs = read_outputs()
        if not outputs:
            raise DisplayError("the compositor reports no enabled output")
        for output in outputs:
            _wlr_randr("--output", output.name, "--scale", str(factor))


def output_scale(environ: Mapping[str, str] | None = None) -> OutputScale | None:
    """The display's scale where the app runs under a Wayland compositor with wlr-randr installed
    (the kiosk's stack); None on a developer's terminal, where nothing can enlarge the screen."""
    environ = os.environ if environ is None else environ
    if environ.get("WAYLAND_DISPLAY") and shutil.which("wlr-randr", path=environ.get("PATH")):
        return OutputScale()
    return None
