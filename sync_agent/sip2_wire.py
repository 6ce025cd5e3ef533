"""The SIP2 (SIP 2.00) wire contract: frames, error detection and the fixed-field layouts.

Shared by the kiosk's SIP2 adapter (:mod:`sync_agent.sip2_client`) and the fake ACS the tests and
the demo run (``backend_stub/sip2_acs.py``), so it imports nothing of the project.

A message is a two-digit command, its fixed fields (positional, of known widths), then variable
fields ``XXvalue|`` (two-letter id, value, ``|``), optionally followed by the error-detection
trailer ``AY<sequence digit>AZ<checksum>`` and always by the line terminator (CR, or CRLF for
some ACSes). The checksum is the 16-bit two's complement of the sum of the message's bytes up to
and including ``AZ``, as four upper-case hex digits. Decoding is lenient on purpose: unknown
fields are kept, missing ones read as empty, because real ACSes omit fields the standard calls
required; it is strict only where a wrong reading could change an outcome (the command, the
fixed-field width, the checksum).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

FIXED_WIDTH = {
    "93": 2, "94": 1, "99": 8, "98": 34, "63": 31, "64": 59, "23": 21, "24": 35,
    "11": 38, "12": 22, "09": 37, "10": 22, "17": 18, "18": 24, "29": 38, "30": 22,
    "65": 18, "66": 27, "35": 18, "36": 19, "96": 0, "97": 0,
}
"""Width of the fixed fields after the command, per command (SIP 2.00)."""

ANSWER_OF = {"93": "94", "99": "98", "63": "64", "23": "24", "11": "12", "09": "10",
             "17": "18", "29": "30", "65": "66", "35": "36"}

MAX_FRAME = 64 * 1024
"""Longest frame read: a patron with hundreds of loans fits; a runaway peer does not."""

_TRAILER = re.compile(r"(?:AY(\d))?AZ([0-9A-Fa-f]{4})$")
SIP_DATE_LEN = 18


class WireError(ValueError):
    """A frame that cannot be read: unknown command, short fixed part or a bad checksum."""


class ChecksumError(WireError):
    """The frame's checksum does not match its bytes: ask the peer to send it again."""


@dataclass(frozen=True)
class Frame:
    """One SIP2 message: command, fixed part and variable fields in wire order."""

    command: str
    fixed: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    sequence: int | None = None

    def get(self, field_id: str, default: str = "") -> str:
        return next((value for fid, value in self.fields if fid == field_id), default)

    def all(self, field_id: str) -> list[str]:
        return [value for fid, value in self.fields if fid == field_id]

    def flag(self, position: int, width: int = 1) -> str:
        return self.fixed[position:position + width]


@dataclass(frozen=True)
class Dialect:
    """Per-library quirks of the wire: encoding, terminator and whether AY/AZ are used."""

    encoding: str = "utf-8"
    terminator: bytes = b"\r"
    checksums: bool = True
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))

    def encode(self, frame: Frame, sequence: int | None = None) -> bytes:
        """The frame's bytes, with the trailer when checksums are on, and the terminator."""
        body = frame.command + frame.fixed + "".join(f"{fid}{_clean(value)}|" for fid, value in frame.fields)
        raw = body.encode(self.encoding, errors="replace")
        if self.checksums:
            if sequence is not None and frame.command not in ("96", "97"):
                raw += f"AY{sequence % 10}".encode("ascii")
            raw += b"AZ"
            raw += checksum(raw).encode("ascii")
        return raw + self.terminator

    def decode(self, raw: bytes) -> Frame:
        """A frame from one line (terminator already removed, a stray LF tolerated); WireError if
        it cannot be read, ChecksumError if its trailer does not match its bytes."""
        raw = raw.strip(b"\r\n")
        text = raw.decode(self.encoding, errors="replace")
        sequence = None
        match = _TRAILER.search(text)
        if match:
            head = raw[:len(raw) - 4]
            if checksum(head) != match.group(2).upper():
                raise ChecksumError("checksum does not match the message")
            sequence = int(match.group(1)) if match.group(1) is not None else None
            text = text[:match.start()]
        command = text[:2]
        width = FIXED_WIDTH.get(command)
        if width is None:
            raise WireError(f"unknown command {command!r}")
        if len(text) < 2 + width:
            raise WireError(f"command {command}: fixed part shorter than {width}")
        fixed = text[2:2 + width]
        fields = tuple((piece[:2], piece[2:]) for piece in text[2 + width:].split("|") if len(piece) >= 2)
        return Frame(command, fixed, fields, sequence)

    def date(self, when: datetime) -> str:
        """A SIP date (``YYYYMMDDZZZZHHMMSS``) in the library's local time (zone field blank)."""
        return when.astimezone(self.timezone).strftime("%Y%m%d    %H%M%S")

    def parse_date(self, text: str) -> datetime | None:
        """A SIP date, or the plain ``YYYY-MM-DD`` some ACSes put in AH; None if unreadable."""
        text = text.strip()
        try:
            if len(text) >= SIP_DATE_LEN and text[:8].isdigit():
                zone = text[8:12].strip()
                naive = datetime.strptime(text[:8] + text[12:18], "%Y%m%d%H%M%S")
                return naive.replace(tzinfo=ZoneInfo("UTC") if zone == "Z" else self.timezone)
            if len(text) >= 10 and text[4] == "-":
                naive = datetime.strptime(text[:16] if len(text) >= 16 else text[:10],
                                          "%Y-%m-%d %H:%M" if len(text) >= 16 else "%Y-%m-%d")
                return naive.replace(tzinfo=self.timezone)
        except ValueError:
            return None
        return None


def checksum(head: bytes) -> str:
    """The AZ value of a message whose bytes up to and including ``AZ`` are ``head``."""
    return f"{(-sum(head)) & 0xFFFF:04X}"


def _clean(value: str) -> str:
    """A field value cannot carry the delimiter or a line end: they would split the message."""
    return value.replace("|", "/").replace("\r", " ").replace("\n", " ")


def yes_no(value: bool) -> str:
    return "Y" if value else "N"


def terminator_bytes(name: str) -> bytes:
    return b"\r\n" if name.upper() == "CRLF" else b"\r"
