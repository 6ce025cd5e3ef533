"""What the drivers hand to the app: a valid scan, or a rejection with its reason."""

from __future__ import annotations

from dataclasses import dataclass

from hardware.codes import CodeKind, RejectReason

SHOWN_TEXT_LIMIT = 40


@dataclass(frozen=True, slots=True)
class ScanEvent:
    """A validated scan: a member card, an item label or an ISBN (never an invalid code).

    ``at`` is ``time.monotonic()`` when the line was decoded; ``symbology`` is known only when the
    scanner sends AIM identifiers.
    """

    code: str
    kind: CodeKind
    symbology: str | None
    device: str
    at: float


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line that is not a scan. ``text`` is printable and short, safe to log or show.

    ``plausible`` is true for something a patron may really have scanned (a wrong check digit, a
    label of another library, a barcode of another kind); noise (binary, overlong or cut-off
    lines) is only counted.
    """

    text: str
    reason: RejectReason
    device: str
    at: float
    plausible: bool


def shown_text(raw: str | bytes, limit: int = SHOWN_TEXT_LIMIT) -> str:
    """Printable ASCII rendering of ``raw``, cut to ``limit`` characters."""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="replace")
    text = "".join(ch if " " <= ch <= "~" else "?" for ch in raw[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "…"
