"""What a scanned text is: a member card, an item label, a book's ISBN, or nothing we accept.

Library barcodes are 14 digits: type (``2`` member card, ``3`` item), a 4-digit institution code,
an 8-digit sequence and a Luhn check digit. A patron who scans the ISBN/EAN-13 on the back cover
instead of the item label gets ``kind=isbn`` so the screen can point at the right label. Every
check digit is verified with python-stdnum; this module is the only place that decides validity.

python-stdnum is imported by the functions that check a code, at the first scan: it loads pydoc
and ssl (tens of milliseconds), which the kiosk's first frame need not wait for (the kinds are
used long before, by the screens and messages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

LIBRARY_CODE_LENGTH = 14
TYPE_DIGITS = {"2": "member_card", "3": "item"}
_SEPARATORS = re.compile(r"[\s-]")
# Codabar labels carry start/stop characters A-D; scanners may transmit them.
_CODABAR_GUARDS = re.compile(r"^[A-Da-d]([0-9]{14})[A-Da-d]$")


class CodeKind(StrEnum):
    MEMBER_CARD = "member_card"
    ITEM = "item"
    ISBN = "isbn"
    INVALID = "invalid"


class RejectReason(StrEnum):
    """Why a line is not a scan. ``LINE_TOO_LONG`` and ``INCOMPLETE_LINE`` come from framing;
    ``NOT_TEXT`` from either (non-ASCII or control characters); the rest from the classifier."""

    WRONG_CHECK_DIGIT = "wrong check digit"
    OTHER_INSTITUTION = "other institution"
    TOO_SHORT = "too short"
    TOO_LONG = "too long"
    NOT_LIBRARY_CODE = "not a library code"
    NOT_TEXT = "not text"
    LINE_TOO_LONG = "line too long"
    INCOMPLETE_LINE = "incomplete line"


@dataclass(frozen=True, slots=True)
class Classification:
    """``code`` is the normalised form (digits only; ISBN-10 becomes its ISBN-13)."""

    kind: CodeKind
    code: str
    reason: RejectReason | None = None

    @property
    def valid(self) -> bool:
        return self.kind is not CodeKind.INVALID


def classify(text: str, institution: str = "0042") -> Classification:
    """Classify one scanned text; never raises."""
    from stdnum import isbn

    compact = _SEPARATORS.sub("", text)
    if not compact.isascii():
        return Classification(CodeKind.INVALID, compact, RejectReason.NOT_TEXT)
    guarded = _CODABAR_GUARDS.match(compact)
    if guarded:
        compact = guarded.group(1)
    if len(compact) == LIBRARY_CODE_LENGTH and compact.isdigit():
        return _library_code(compact, institution)
    if len(compact) in (10, 13) and isbn.is_valid(compact):
        return Classification(CodeKind.ISBN, isbn.to_isbn13(isbn.compact(compact)))
    if len(compact) == 13 and compact.isdigit():
        return _thirteen_digits(compact, institution)
    return _rejected(compact)


def _library_code(code: str, institution: str) -> Classification:
    from stdnum import luhn

    kind = TYPE_DIGITS.get(code[0])
    if kind is None:
        return Classification(CodeKind.INVALID, code, RejectReason.NOT_LIBRARY_CODE)
    if not luhn.is_valid(code):
        return Classification(CodeKind.INVALID, code, RejectReason.WRONG_CHECK_DIGIT)
    if code[1:5] != institution:
        return Classification(CodeKind.INVALID, code, RejectReason.OTHER_INSTITUTION)
    return Classification(CodeKind(kind), code)


def _thirteen_digits(code: str, institution: str) -> Classification:
    """13 digits that are no ISBN: a truncated library code, another EAN-13, or a misread."""
    from stdnum import ean

    if code[0] in TYPE_DIGITS and code[1:5] == institution:
        return Classification(CodeKind.INVALID, code, RejectReason.TOO_SHORT)
    if ean.is_valid(code):
        return Classification(CodeKind.ISBN, code)
    return Classification(CodeKind.INVALID, code, RejectReason.WRONG_CHECK_DIGIT)


def _rejected(compact: str) -> Classification:
    if compact and not compact.isdigit():
        if len(compact) == 10 and compact[:9].isdigit() and compact[9] in "xX":
            return Classification(CodeKind.INVALID, compact, RejectReason.WRONG_CHECK_DIGIT)
        return Classification(CodeKind.INVALID, compact, RejectReason.NOT_LIBRARY_CODE)
    if len(compact) == 10:
        return Classification(CodeKind.INVALID, compact, RejectReason.WRONG_CHECK_DIGIT)
    if len(compact) < LIBRARY_CODE_LENGTH:
        return Classification(CodeKind.INVALID, compact, RejectReason.TOO_SHORT)
    return Classification(CodeKind.INVALID, compact, RejectReason.TOO_LONG)
