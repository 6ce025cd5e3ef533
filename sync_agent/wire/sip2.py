"""The SIP2 (SIP 2.00) wire contract: frames, error detection, and reading fields safely.

Shared by the kiosk's SIP2 adapter (:mod:`sync_agent.central.sip2.client`) and the fake ACS the tests and
the demo run (``backend_stub/sip2_acs.py``), so it imports nothing of the project but the
message table (:mod:`sync_agent.wire.sip2_messages`), which gives every command's fixed fields (names,
widths) and its required and optional variable fields.

A message is a two-digit command, its fixed fields (positional, of known widths), then variable
fields ``XXvalue|`` (two-letter id, value, ``|``), optionally followed by the error-detection
trailer ``AY<sequence digit>AZ<checksum>`` and always by the line terminator (CR, or CRLF for
some ACSes). The checksum is the 16-bit two's complement of the sum of the message's bytes up to
and including ``AZ``, as four upper-case hex digits.

Decoding (:meth:`Dialect.decode`) is lenient on purpose: unknown fields are kept, missing ones
read as empty, because real ACSes omit fields the standard calls required; it is strict only
where a wrong reading could change an outcome (the command, the fixed-field width, the checksum),
and whatever the bytes, it raises nothing but :class:`WireError` (:class:`ChecksumError` for a
bad checksum). Whether a sender left out what SIP 2.00 requires is a question the caller asks:
:meth:`Frame.missing_required` gives the ids (an answer without what the kiosk needs is in
doubt, not a "no"). Encoding goes through the table too: :meth:`Frame.build` takes fixed fields
by name and refuses a frame SIP 2.00 would not accept.

Reading a field never raises, whatever the ACS sent, so a strange value cannot crash the agent:

- ``frame.fixed_field(name)``: the text of a fixed field by its name in the table
  (``"circulation_status"``, ``"charge_privileges_denied"``...);
- ``frame.yes(name)``: a flag (``Y``) or an ok field (``1``);
- ``frame.patron_status()``: the names of the patron-status flags set in a 24, 26 or 64
  (:data:`~sync_agent.wire.sip2_messages.PATRON_STATUS`; the first four,
  :data:`~sync_agent.wire.sip2_messages.PRIVILEGES_DENIED`, block the card);
- ``frame.count(name)``, ``frame.integer(field_id)``, :func:`read_int`: counts and limits, None
  unless plain ASCII digits (at most :data:`MAX_DIGITS`): ``1e999``, ``-1``, ``NaN``, ``inf``,
  other scripts' digits and 20-digit numbers are None, never an OverflowError;
- ``frame.amount(field_id)``, :func:`read_amount`: money (BV, CC) as a ``Decimal``, None unless
  a plain decimal (``12``, ``12.50``, ``-3.00``);
- ``frame.supports(command)``: for a 98, whether BX lists the message;
- ``dialect.parse_date(text)``: a SIP date, None if unreadable or outside :data:`YEARS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from sync_agent.wire.sip2_messages import (
    COUNT,
    DATE,
    MESSAGES,
    OK,
    PATRON_STATUS,
    STATUS,
    SUPPORTED_MESSAGES,
    Fixed,
)

FIXED_WIDTH = {command: message.width for command, message in MESSAGES.items()}
"""Width of the fixed fields after the command, per command (SIP 2.00, from the message table)."""

ANSWER_OF = {command: message.answer for command, message in MESSAGES.items() if message.answer}
"""The command that answers each request."""

MAX_FRAME = 64 * 1024
"""Longest frame read: a patron with hundreds of loans fits; a runaway peer does not."""

_TRAILER = re.compile(r"(?:AY([0-9]))?AZ([0-9A-Fa-f]{4})$")
SIP_DATE_LEN = 18
MAX_DIGITS = 12
"""The longest number a reader accepts (a count, a limit, the whole part of an amount): more is
not a library's figure but noise, and a bound keeps every later sum and model finite."""
_AMOUNT = re.compile(rf"[+-]?[0-9]{{1,{MAX_DIGITS}}}(?:\.[0-9]{{1,4}})?")
YEARS = range(1900, 9999)
"""SIP dates read outside these years are None: far enough from datetime's ends that a time
zone or a loan period added to one cannot overflow."""
_WITH_PATRON_STATUS = frozenset(c for c, message in MESSAGES.items() if PATRON_STATUS[0] in message.layout)


SECRET_FIELDS = frozenset({"CO", "AC", "AD"})
"""Variable fields that carry a password: the login's, the terminal's, the patron's PIN."""


class WireError(ValueError):
    """A frame that cannot be read: unknown command, short fixed part or a bad checksum."""


class ChecksumError(WireError):
    """The frame's checksum does not match its bytes: ask the peer to send it again."""


@dataclass(frozen=True)
class Frame:
    """One SIP2 message: command, fixed part and variable fields in wire order.

    ``fixed`` is the fixed part as text; the named readers below find a field in it through the
    message table (:mod:`sync_agent.wire.sip2_messages`). A name the command's layout does not have is
    a mistake in the caller and raises KeyError; nothing in the frame's content can make a reader
    raise."""

    command: str
    fixed: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    sequence: int | None = None

    def __repr__(self) -> str:
        """Passwords (login CO, terminal AC, patron AD) shown as ``***``: a frame may reach a log
        or an exception's message, a password never may."""
        shown = tuple((fid, "***" if fid in SECRET_FIELDS and value else value) for fid, value in self.fields)
        return f"Frame({self.command!r}, {self.fixed!r}, {shown!r}, sequence={self.sequence!r})"

    @classmethod
    def build(cls, command: str, fields: Iterable[tuple[str, str]] = (), **fixed: str | int | bool) -> Frame:
        """A frame of ``command`` with its fixed fields given by name (the others take their
        blank) and its variable fields in the order given. Strict, as a sender should be: an
        unknown name or id, a value of the wrong width, a count out of range, a date not given
        (but the no-block due date, blank unless lent offline) or a missing required field is a
        ValueError."""
        message = MESSAGES[command]
        unknown = set(fixed) - set(message.layout)
        if unknown:
            raise ValueError(f"{command} has no fixed field {sorted(unknown)}")
        text = "".join(_format(spec, fixed.get(spec.name)) for spec in message.fixed)
        fields = tuple(fields)
        strangers = {fid for fid, _ in fields} - set(message.variable)
        if strangers:
            raise ValueError(f"{command} ({message.name}) has no field {sorted(strangers)}")
        frame = cls(command, text, fields)
        missing = frame.missing_required()
        if missing:
            raise ValueError(f"{command} ({message.name}) needs {', '.join(missing)}")
        return frame

    def get(self, field_id: str, default: str = "") -> str:
        return next((value for fid, value in self.fields if fid == field_id), default)

    def all(self, field_id: str) -> list[str]:
        return [value for fid, value in self.fields if fid == field_id]

    def flag(self, position: int, width: int = 1) -> str:
        return self.fixed[position:position + width]

    def fixed_field(self, name: str) -> str:
        """The text of the fixed field ``name`` (``"charge_privileges_denied"``,
        ``"circulation_status"``...), short or empty if the frame is; KeyError if this command
        has no such field."""
        start, spec = MESSAGES[self.command].layout[name]
        return self.fixed[start:start + spec.width]

    def yes(self, name: str) -> bool:
        """Whether the fixed field ``name`` says yes: ``1`` for an ok field, ``Y`` for the others."""
        _, spec = MESSAGES[self.command].layout[name]
        return self.fixed_field(name).upper() == ("1" if spec.kind == OK else "Y")

    def patron_status(self) -> frozenset[str]:
        """The patron-status flags (of 24, 26, 64) that are set, by name; empty for other frames."""
        if self.command not in _WITH_PATRON_STATUS:
            return frozenset()
        return frozenset(name for name in PATRON_STATUS if self.yes(name))

    def count(self, name: str) -> int | None:
        """The fixed count ``name`` (``"charged_items_count"``...); None if blank or not digits."""
        return read_int(self.fixed_field(name))

    def integer(self, field_id: str) -> int | None:
        """The variable field ``field_id`` as a count or limit (CB, CF, BZ...); None if absent or
        unreadable (see :func:`read_int`)."""
        return read_int(self.get(field_id))

    def amount(self, field_id: str = "BV") -> Decimal | None:
        """The variable field ``field_id`` as money (BV, CC); None if absent or unreadable (see
        :func:`read_amount`)."""
        return read_amount(self.get(field_id))

    def supports(self, command: str) -> bool | None:
        """For a 98: whether its BX lists ``command`` as supported; None if BX does not say
        (ValueError for a command BX has no position for, such as 96)."""
        position = SUPPORTED_MESSAGES.index(command)
        listed = self.get("BX")
        return listed[position].upper() == "Y" if len(listed) > position else None

    def missing_required(self) -> tuple[str, ...]:
        """The ids of the variable fields SIP 2.00 requires in this message that the sender left
        out, in the table's order (empty for a command the table does not know)."""
        message = MESSAGES.get(self.command)
        present = {fid for fid, _ in self.fields}
        return tuple(fid for fid in (message.required if message else ()) if fid not in present)


def read_int(text: str) -> int | None:
    """A count or limit: ASCII digits only (blanks around them allowed), at most
    ``MAX_DIGITS``; anything else (a sign, a decimal point, ``1e999``, ``NaN``, other scripts'
    digits, twenty nines) is None. Never raises."""
    text = text.strip()
    if not (0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()):
        return None
    return int(text)


def read_amount(text: str) -> Decimal | None:
    """Money as an ACS writes it (``12``, ``12.50``, ``-3.00``): a sign, at most
    ``MAX_DIGITS`` digits before the point and 4 after; anything else (``1e999``, ``inf``,
    ``1,000``, a currency sign) is None. Never raises."""
    text = text.strip()
    return Decimal(text) if _AMOUNT.fullmatch(text) else None


def _format(spec: Fixed, value: str | int | bool | None) -> str:
    """A fixed field's text for a value given to :meth:`Frame.build`."""
    if value is None and spec.kind == DATE and not spec.default:
        raise ValueError(f"{spec.name}: a date is needed")
    if value is None:
        text = spec.blank
    elif isinstance(value, bool):
        text = {OK: "10", STATUS: "Y "}.get(spec.kind, "YN")[0 if value else 1]
    elif isinstance(value, int):
        if spec.kind != COUNT or not 0 <= value < 10 ** spec.width:
            raise ValueError(f"{spec.name}: {value} is not a count of {spec.width} digits")
        text = f"{value:0{spec.width}d}"
    else:
        text = value
    if len(text) != spec.width:
        raise ValueError(f"{spec.name}: {text!r} is not {spec.width} characters wide")
    return text


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
        """A SIP date, or the plain ``YYYY-MM-DD`` some ACSes put in AH; None if unreadable
        (other scripts' digits, a year outside :data:`YEARS`, a blank). Never raises."""
        text = text.strip()
        if not text.isascii():
            return None
        try:
            if len(text) >= SIP_DATE_LEN and text[:8].isdigit():
                zone = text[8:12].strip()
                naive = datetime.strptime(text[:8] + text[12:18], "%Y%m%d%H%M%S")
                when = naive.replace(tzinfo=ZoneInfo("UTC") if zone == "Z" else self.timezone)
            elif len(text) >= 10 and text[4] == "-":
                naive = datetime.strptime(text[:16] if len(text) >= 16 else text[:10],
                                          "%Y-%m-%d %H:%M" if len(text) >= 16 else "%Y-%m-%d")
                when = naive.replace(tzinfo=self.timezone)
            else:
                return None
        except ValueError:
            return None
        return when if when.year in YEARS else None


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
