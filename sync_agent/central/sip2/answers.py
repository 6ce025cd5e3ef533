"""What a SIP2 answer must say before the kiosk believes it, and reading its numbers safely.

A SIP2 answer carries no request id: the only proof that an answer is about the request it
follows is what it names. An answer naming another item (AB), another patron (AA) or another
institution (AO) than its request did is about some other exchange (a confused ACS, a proxy, a
terminal sharing the login), so nothing the kiosk tells the patron or writes down may rest on
it: the adapter reports it *in doubt* as ``MISMATCHED``, exactly as the REST client reports a 2xx
about another rental (:mod:`sync_agent.central.rest.delivery_answer`), and the relay turns repeats of it into a
dead letter with words for the technician. A field the answer leaves out is not held against it
(real ACSes omit fields SIP 2.00 calls required); a field it sends must agree. The fixed fields an
outcome is read from must be readable too: an ok flag that is neither 0 nor 1, or a circulation
status that is none of SIP 2.00's thirteen, may hide a done request, so it is in doubt
(``MALFORMED``), never a "no" and never "on the shelf".

Numbers (fines BV, limits CB, counts, hold queues CF) are read with :func:`number`, which never
raises: a value that is not a plain bounded number (``1e999``, ``nan``, a word) reads as the
default.
"""

from __future__ import annotations

from sync_agent.central.results import DoubtReason, InDoubt
from sync_agent.wire.sip2 import Frame, read_amount

ABOUT = (("AB", "item"), ("AA", "patron"), ("AO", "institution"))
"""The fields that name what a request and its answer are about."""
UNNAMED = frozenset({"AA"})
"""Fields whose values are never written into a detail: a patron barcode is a card number, which
the kiosk keeps nowhere in clear (docs/privacy.md), and a detail ends up in the store."""

OK_FLAGGED = ("10", "12", "30", "66")
"""Answers whose first fixed character is the ok flag (0 or 1) the outcome is read from."""
CIRCULATION_CODES = 13
"""An 18's circulation status is 01 (other) to 13 (lost)."""


def differences(request: Frame, answer: Frame) -> list[str]:
    """How ``answer`` names something other than ``request`` did (empty: it is about it)."""
    found = []
    for field_id, name in ABOUT:
        asked, said = request.get(field_id).strip(), answer.get(field_id).strip()
        if asked and said and asked != said:
            values = "" if field_id in UNNAMED else f" {said}, not {asked}"
            found.append(f"another {name}{values} ({answer.command}: {field_id})")
    return found


def unreadable(answer: Frame) -> str | None:
    """What of ``answer``'s outcome cannot be read, if anything."""
    if answer.command in OK_FLAGGED and answer.flag(0) not in ("0", "1"):
        return f"{answer.command}: ok flag {answer.flag(0)!r} is neither 0 nor 1"
    status = answer.flag(0, 2)
    if answer.command == "18" and not (status.isdigit() and 1 <= int(status) <= CIRCULATION_CODES):
        return f"18: circulation status {status!r} is none of SIP 2.00's"
    return None


def doubt(service: str, request: Frame, answer: Frame) -> InDoubt | None:
    """In doubt when ``answer`` is about another request than ``request`` (``MISMATCHED``) or its
    outcome cannot be read (``MALFORMED``); None when it may be believed."""
    found = differences(request, answer)
    if found:
        return InDoubt(service, DoubtReason.MISMATCHED, "the ACS answered about " + "; ".join(found))
    problem = unreadable(answer)
    return InDoubt(service, DoubtReason.MALFORMED, problem) if problem else None


def number(text: str, default: int = 0) -> int:
    """A whole number from a SIP2 count or amount field (decimals dropped), or ``default`` when it
    is missing or unreadable (the wire's :func:`read_amount`: never raises, ``1e999`` included)."""
    value = read_amount(text)
    return int(value) if value is not None else default
