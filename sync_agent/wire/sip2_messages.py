"""The SIP 2.00 messages as data: one table that the parser, the encoder and the readers share.

Each :class:`Message` lists its fixed fields in wire order (name, width, kind) and its variable
fields by id, required or optional, as the SIP 2.00 specification (3M, 1998) lays them out. The
kiosk's decoder (:meth:`sync_agent.wire.sip2.Dialect.decode`) takes the fixed-part width from here,
:meth:`sync_agent.wire.sip2.Frame.build` formats named fixed fields into it, and a frame reads
its fixed fields by name and tells which required fields its sender left out. The kiosk and the
fake ACS both go through it, so a field cannot mean one thing to one side and another to the
other. Data only: it imports nothing and holds no behaviour beyond looking itself up.

Kinds of fixed field, which say how a value is written and read: ``flag`` (``Y``/``N``; the
tri-state ``U`` of magnetic media and desensitize is written as given), ``ok`` (``1``/``0``),
``status`` (``Y`` or a blank: the patron-status flags and the summary), ``count`` (zero-padded
digits; SIP allows blanks for "unknown"), ``date`` (``YYYYMMDDZZZZHHMMSS``; a sender must give
one, except for the no-block due date, blank when nothing was lent offline) and ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

FLAG, OK, STATUS, COUNT, DATE, TEXT = "flag", "ok", "status", "count", "date", "text"


@dataclass(frozen=True)
class Fixed:
    """One fixed field: its name, its width and how its value is written (kind, default)."""

    name: str
    width: int
    kind: str = TEXT
    default: str = ""

    @property
    def blank(self) -> str:
        """What is written when the sender gives no value."""
        if self.default:
            return self.default
        return {FLAG: "N", OK: "0", COUNT: "0" * self.width}.get(self.kind, " " * self.width)


@dataclass(frozen=True)
class Message:
    """One SIP 2.00 message: command, name, fixed fields, required and optional variable ids."""

    command: str
    name: str
    fixed: tuple[Fixed, ...]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    answer: str | None = None
    """For a request, the command of its answer."""

    @cached_property
    def width(self) -> int:
        return sum(field.width for field in self.fixed)

    @cached_property
    def layout(self) -> dict[str, tuple[int, Fixed]]:
        """Fixed field name → (offset after the command, field)."""
        offsets, start = {}, 0
        for field in self.fixed:
            offsets[field.name] = (start, field)
            start += field.width
        return offsets

    @property
    def variable(self) -> tuple[str, ...]:
        return self.required + self.optional


FIELD_NAMES = {
    "AA": "patron identifier", "AB": "item identifier", "AC": "terminal password",
    "AD": "patron password", "AE": "personal name", "AF": "screen message", "AG": "print line",
    "AH": "due date", "AJ": "title identifier", "AL": "blocked card message", "AM": "library name",
    "AN": "terminal location", "AO": "institution id", "AP": "current location",
    "AQ": "permanent location", "AS": "hold items", "AT": "overdue items", "AU": "charged items",
    "AV": "fine items", "BD": "home address", "BE": "e-mail address", "BF": "home phone number",
    "BG": "owner", "BH": "currency type", "BI": "cancel", "BK": "transaction id",
    "BL": "valid patron", "BM": "renewed items", "BN": "unrenewed items", "BO": "fee acknowledged",
    "BP": "start item", "BQ": "end item", "BR": "queue position", "BS": "pickup location",
    "BT": "fee type", "BU": "recall items", "BV": "fee amount", "BW": "expiration date",
    "BX": "supported messages", "BY": "hold type", "BZ": "hold items limit",
    "CA": "overdue items limit", "CB": "charged items limit", "CC": "fee limit",
    "CD": "unavailable hold items", "CF": "hold queue length", "CG": "fee identifier",
    "CH": "item properties", "CI": "security inhibit", "CJ": "recall date", "CK": "media type",
    "CL": "sort bin", "CM": "hold pickup date", "CN": "login user id", "CO": "login password",
    "CP": "location code", "CQ": "valid patron password",
}
"""Every variable field id of SIP 2.00 and its name in the specification."""

REPEATABLE = frozenset({"AF", "AG", "AS", "AT", "AU", "AV", "BU", "CD", "BM", "BN"})
"""Ids that may occur more than once in a message (lists of items, lines of text)."""

PATRON_STATUS = (
    "charge_privileges_denied", "renewal_privileges_denied", "recall_privileges_denied",
    "hold_privileges_denied", "card_reported_lost", "too_many_items_charged",
    "too_many_items_overdue", "too_many_renewals", "too_many_claims_of_items_returned",
    "too_many_items_lost", "excessive_outstanding_fines", "excessive_outstanding_fees",
    "recall_overdue", "too_many_items_billed",
)
"""The 14 patron-status flags of 24, 26 and 64, in wire order; ``Y`` means the condition holds."""

PRIVILEGES_DENIED = PATRON_STATUS[:4]
"""The flags that say the patron may not do something at all (the card is blocked for it)."""

SUMMARY = ("hold_items", "overdue_items", "charged_items", "fine_items", "recall_items",
           "unavailable_holds")
"""The positions of a 63's summary: ``Y`` in one asks for that list (AS, AT, AU, AV, BU, CD)."""

SUMMARY_LIST = dict(zip(SUMMARY, ("AS", "AT", "AU", "AV", "BU", "CD"), strict=True))

SUPPORTED_MESSAGES = ("23", "11", "09", "01", "99", "97", "93", "63", "35", "37", "17", "19",
                      "25", "15", "29", "65")
"""The request each position of BX (98's supported messages) stands for."""

_DATE = Fixed("transaction_date", 18, DATE)
_LANGUAGE = Fixed("language", 3, TEXT, "000")
_STATUS = tuple(Fixed(name, 1, STATUS) for name in PATRON_STATUS)
_SUMMARY = (*(Fixed(f"summary_{name}", 1, STATUS) for name in SUMMARY), Fixed("summary_unused", 4, STATUS))
_SAY = ("AF", "AG")
_LOAN_ANSWER = ((Fixed("ok", 1, OK), Fixed("renewal_ok", 1, FLAG), Fixed("magnetic_media", 1, FLAG),
                 Fixed("desensitize", 1, FLAG), _DATE),
                ("AO", "AA", "AB", "AJ", "AH"), ("BT", "CI", "BH", "BV", "CK", "CH", "BK", *_SAY))
"""A checkout's answer (12) and a renewal's (30) have the same layout."""
_NB_DUE = Fixed("nb_due_date", 18, DATE, " " * 18)
"""The no-block due date: blank unless the SC lent the item offline (read only under no-block Y)."""


def _counts(*names: str) -> tuple[Fixed, ...]:
    return tuple(Fixed(f"{name}_count", 4, COUNT) for name in names)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_TABLE = (
    Message("93", "login", (Fixed("uid_algorithm", 1, TEXT, "0"), Fixed("pwd_algorithm", 1, TEXT, "0")),
            _words("CN CO"), _words("CP"), answer="94"),
    Message("94", "login response", (Fixed("ok", 1, OK),)),
    Message("99", "SC status", (Fixed("status_code", 1, TEXT, "0"), Fixed("max_print_width", 3, COUNT),
                                Fixed("protocol_version", 4, TEXT, "2.00")), answer="98"),
    Message("98", "ACS status", (
        Fixed("online_status", 1, FLAG), Fixed("checkin_ok", 1, FLAG), Fixed("checkout_ok", 1, FLAG),
        Fixed("acs_renewal_policy", 1, FLAG), Fixed("status_update_ok", 1, FLAG),
        Fixed("offline_ok", 1, FLAG), Fixed("timeout_period", 3, COUNT),
        Fixed("retries_allowed", 3, COUNT), Fixed("date_time_sync", 18, DATE),
        Fixed("protocol_version", 4, TEXT, "2.00")), _words("AO BX"), _words("AM AN") + _SAY),
    Message("97", "request ACS resend", ()),
    Message("96", "request SC resend", ()),
    Message("23", "patron status request", (_LANGUAGE, _DATE), _words("AO AA AC AD"), answer="24"),
    Message("24", "patron status response", (*_STATUS, _LANGUAGE, _DATE), _words("AO AA AE"),
            _words("BL CQ BH BV") + _SAY),
    Message("63", "patron information", (_LANGUAGE, _DATE, *_SUMMARY), _words("AO AA"),
            _words("AC AD BP BQ"), answer="64"),
    Message("64", "patron information response", (
        *_STATUS, _LANGUAGE, _DATE,
        *_counts("hold_items", "overdue_items", "charged_items", "fine_items", "recall_items",
                 "unavailable_holds")), _words("AO AA AE"),
        _words("BZ CA CB BL CQ BH BV CC AS AT AU AV BU CD BD BE BF") + _SAY),
    Message("11", "checkout", (Fixed("sc_renewal_policy", 1, FLAG), Fixed("no_block", 1, FLAG), _DATE, _NB_DUE),
            _words("AO AA AB AC"), _words("CH AD BO BI"), answer="12"),
    Message("12", "checkout response", *_LOAN_ANSWER),
    Message("09", "checkin", (Fixed("no_block", 1, FLAG), _DATE, Fixed("return_date", 18, DATE)),
            _words("AP AO AB AC"), _words("CH BI"), answer="10"),
    Message("10", "checkin response", (Fixed("ok", 1, OK), Fixed("resensitize", 1, FLAG),
                                       Fixed("magnetic_media", 1, FLAG), Fixed("alert", 1, FLAG), _DATE),
            _words("AO AB AQ"), _words("AJ CL AA CK CH") + _SAY),
    Message("01", "block patron", (Fixed("card_retained", 1, FLAG), _DATE), _words("AO AL AA AC"),
            answer="24"),
    Message("17", "item information", (_DATE,), _words("AO AB"), _words("AC"), answer="18"),
    Message("18", "item information response", (
        Fixed("circulation_status", 2, TEXT, "01"), Fixed("security_marker", 2, TEXT, "00"),
        Fixed("fee_type", 2, TEXT, "01"), _DATE), _words("AB AJ"),
        _words("CF AH CJ CM BG BH BV CK AQ AP CH") + _SAY),
    Message("29", "renew", (Fixed("third_party_allowed", 1, FLAG), Fixed("no_block", 1, FLAG), _DATE, _NB_DUE),
            _words("AO AA"), _words("AD AB AJ AC CH BO"), answer="30"),
    Message("30", "renew response", *_LOAN_ANSWER),
    Message("65", "renew all", (_DATE,), _words("AO AA"), _words("AD AC BO"), answer="66"),
    Message("66", "renew all response", (Fixed("ok", 1, OK), Fixed("renewed_count", 4, COUNT),
                                         Fixed("unrenewed_count", 4, COUNT), _DATE),
            _words("AO"), _words("BM BN") + _SAY),
    Message("35", "end patron session", (_DATE,), _words("AO AA"), _words("AC AD"), answer="36"),
    Message("36", "end session response", (Fixed("end_session", 1, FLAG), _DATE), _words("AO AA"), _SAY),
    Message("37", "fee paid", (_DATE, Fixed("fee_type", 2, TEXT, "01"), Fixed("payment_type", 2, TEXT, "00"),
                               Fixed("currency_type", 3, TEXT, "USD")),
            _words("BV AO AA"), _words("AC AD CG BK"), answer="38"),
    Message("38", "fee paid response", (Fixed("payment_accepted", 1, FLAG), _DATE), _words("AO AA"),
            _words("BK") + _SAY),
    Message("19", "item status update", (_DATE,), _words("AO AB CH"), _words("AC"), answer="20"),
    Message("20", "item status update response", (Fixed("item_properties_ok", 1, OK), _DATE),
            _words("AB"), _words("AJ CH") + _SAY),
    Message("25", "patron enable", (_DATE,), _words("AO AA"), _words("AC AD"), answer="26"),
    Message("26", "patron enable response", (*_STATUS, _LANGUAGE, _DATE), _words("AO AA AE"),
            _words("BL CQ") + _SAY),
    Message("15", "hold", (Fixed("hold_mode", 1, TEXT, "+"), _DATE), _words("AO AA"),
            _words("BW BS BY AD AB AJ AC BO"), answer="16"),
    Message("16", "hold response", (Fixed("ok", 1, OK), Fixed("available", 1, FLAG), _DATE),
            _words("AO AA"), _words("BW BR BS AB AJ") + _SAY),
)

MESSAGES: dict[str, Message] = {message.command: message for message in _TABLE}
"""Every SIP 2.00 message by command."""
