"""AIM symbology identifiers (ISO/IEC 15424): the ``]Xm`` prefix a scanner can send before a code."""

from __future__ import annotations

import re

# Code character -> symbology name; the modifier character is not needed to tell them apart,
# except EAN-8 (``]E4``), which EAN-13 shares its code character with.
SYMBOLOGIES = {
    "A": "code39",
    "C": "code128",
    "E": "ean13",
    "F": "codabar",
    "G": "code93",
    "I": "itf",
    "Q": "qr",
    "d": "datamatrix",
    "e": "gs1-databar",
    "L": "pdf417",
}
_AIM = re.compile(r"^\]([A-Za-z])([0-9A-Za-z])")


def split_aim(text: str) -> tuple[str | None, str]:
    """``"]F030042000000014"`` -> ``("codabar", "30042000000014")``; no identifier -> ``(None, text)``.

    An identifier we do not know is kept as its raw form (``"]Z0"``) so it still shows in logs.
    """
    match = _AIM.match(text)
    if match is None:
        return None, text
    code_char, modifier = match.groups()
    if (code_char, modifier) == ("E", "4"):
        name = "ean8"
    else:
        name = SYMBOLOGIES.get(code_char, match.group(0))
    return name, text[match.end():]


def aim_identifier(code: str) -> str:
    """The identifier a scanner would put before ``code`` when reading our labels: Codabar for the
    14-digit library codes, EAN-13 for a 13-digit ISBN, Code 128 for anything else."""
    if len(code) == 14 and code.isdigit():
        return "]F0"
    if len(code) == 13 and code.isdigit():
        return "]E0"
    return "]C0"
