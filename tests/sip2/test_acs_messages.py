"""The fake ACS says in its BX exactly what it answers, and answers as SIP 2.00 says: every message
over a real socket, the patron status of the demo library, a repeated checkout as a renewal, and
the request's own AO/AA/AB said back. pysip2 checks every frame (the ``acs`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from backend_stub.sip2_acs import FakeAcs
from kiosk_data.codes import AT_LIMIT, AVAILABLE, BLOCKED, CHOI, HOLD_READY, KIM, ON_LOAN, OVERDUE
from kiosk_testing.sip2_load import RawSip2
from sync_agent.wire.sip2 import ANSWER_OF, Dialect, Frame
from sync_agent.wire.sip2_messages import DATE, MESSAGES, PRIVILEGES_DENIED, SUPPORTED_MESSAGES
from tests.sip2.conftest import IndependentDecoder, as_pysip2_reads_it

ANSWERED = {"23", "11", "09", "99", "97", "93", "63", "35", "17", "29", "65"}
BRANCH = "branch-7"
VALUES = {"AO": BRANCH, "AA": KIM, "AB": ON_LOAN, "CN": "kiosk", "CO": "secret", "BV": "1.00",
          "AL": "card kept", "AC": "", "AD": "", "AP": "kiosk-07", "CH": ""}
"""A value for each field some request requires."""


def request(command: str, fields: dict[str, str] | None = None, **fixed: str | int | bool) -> Frame:
    """``command`` with every field SIP 2.00 requires of it (``fields`` override or add), built
    through the table, dated now."""
    values = {**VALUES, **(fields or {})}
    chosen = [*MESSAGES[command].required, *(fid for fid in fields or {} if fid not in MESSAGES[command].required)]
    for spec in MESSAGES[command].fixed:
        if spec.kind == DATE and not spec.default:
            fixed.setdefault(spec.name, Dialect().date(datetime.now(UTC)))
    return Frame.build(command, [(fid, values[fid]) for fid in chosen], **fixed)


def connect(server: FakeAcs) -> RawSip2:
    raw = RawSip2(server.port, server.dialect)
    raw.sock.settimeout(5)
    return raw


@pytest.mark.parametrize("family, dialect", [
    ("koha", Dialect()), ("evergreen", Dialect(encoding="cp949", terminator=b"\r\n", checksums=False))])
def test_bx_lists_exactly_the_messages_it_answers_and_each_is_answered(acs, family, dialect) -> None:
    server = acs(family, dialect=dialect)
    raw = connect(server)
    bx = raw.ask(Frame.build("99")).get("BX")
    assert {command for command, flag in zip(SUPPORTED_MESSAGES, bx, strict=True) if flag == "Y"} == ANSWERED
    last = None
    for command in SUPPORTED_MESSAGES:
        if command == "97":  # the ACS sends its last answer again
            assert raw.ask(Frame("97")) == last
            continue
        sent = request(command)
        answer = raw.ask(sent)
        if command not in ANSWERED:
            assert answer.command == "96", command
            continue
        assert answer.command == ANSWER_OF[command] and answer.missing_required() == (), answer
        for fid in ("AO", "AA", "AB"):
            if fid in dict(sent.fields) and fid in MESSAGES[answer.command].variable:
                assert answer.get(fid) == sent.get(fid), (command, fid)
        last = answer
    raw.close()
    assert server.on_frame.seen == {"in": 18, "out": 17}  # with the login and 99; a 97 resends bytes seen


def test_a_message_turned_off_is_neither_listed_nor_answered(acs) -> None:
    no_checkout_no_end = "Y" + "N" + "Y" * 6 + "N" + "Y" * 7
    raw = connect(acs("evergreen", supported=no_checkout_no_end))
    assert raw.ask(Frame.build("99")).get("BX") == "YNYNYYYYNNYNNNYY"  # 01, 37, 19, 25, 15 stay N
    assert raw.ask(request("35")).command == "96"
    refused = raw.ask(request("11", {"AA": CHOI, "AB": AVAILABLE}))
    assert refused.command == "12" and not refused.yes("ok") and refused.get("AF") == "Message not supported"
    raw.close()


def test_a_blocked_member_with_fines_says_so_in_the_patron_status(acs) -> None:
    raw = connect(acs())
    for command in ("23", "63"):
        answer = raw.ask(request(command, {"AA": BLOCKED}))
        assert answer.patron_status() == {*PRIVILEGES_DENIED, "excessive_outstanding_fines"}, command
        assert answer.amount("BV") == Decimal(12000) and answer.get("BH") == "KRW"
        assert answer.get("BL") == "Y" and answer.get("AA") == BLOCKED and answer.get("AO") == BRANCH
    raw.close()


def test_patron_information_lists_what_its_summary_asks_for(acs) -> None:
    raw = connect(acs())
    plain = raw.ask(request("63"))
    assert plain.patron_status() == frozenset() and plain.integer("CB") == 5
    assert [plain.count(f"{name}_count") for name in ("hold_items", "overdue_items", "charged_items")] == [1, 1, 2]
    assert not (plain.all("AS") or plain.all("AT") or plain.all("AU"))
    loans = raw.ask(request("63", summary_charged_items=True))
    assert sorted(loans.all("AU")) == [ON_LOAN, OVERDUE] and not loans.all("AS")
    assert raw.ask(request("63", summary_hold_items=True)).all("AS") == [HOLD_READY]
    assert raw.ask(request("63", summary_overdue_items=True)).all("AT") == [OVERDUE]
    second = raw.ask(request("63", {"BP": "2", "BQ": "2"}, summary_charged_items=True))
    assert second.all("AU") == loans.all("AU")[1:2]
    raw.close()


def test_a_member_at_the_limit_has_too_many_items_charged_and_no_denial(acs) -> None:
    raw = connect(acs())
    assert raw.ask(request("63", {"AA": AT_LIMIT})).patron_status() == {"too_many_items_charged"}
    raw.close()


def test_an_unknown_patron_is_not_valid_and_may_do_nothing(acs) -> None:
    raw = connect(acs())
    answer = raw.ask(request("63", {"AA": "20042999999990"}))
    assert answer.patron_status() == set(PRIVILEGES_DENIED) and answer.get("BL") == "N"
    assert answer.missing_required() == () and answer.get("AE") == ""
    raw.close()


@pytest.mark.parametrize("family, policy", [("koha", False), ("koha", True), ("evergreen", True)])
def test_a_checkout_of_a_copy_already_charged_to_the_patron_is_a_renewal(acs, family, policy) -> None:
    server = acs(family)
    due = server.library.items[ON_LOAN].due
    raw = connect(server)
    answer = raw.ask(request("11", sc_renewal_policy=policy))
    assert answer.command == "12" and answer.yes("ok") and answer.yes("renewal_ok")
    assert Dialect().parse_date(answer.get("AH")) > due and server.library.items[ON_LOAN].renewals == 1
    first = raw.ask(request("11", {"AA": CHOI, "AB": AVAILABLE}))
    assert first.yes("ok") and not first.yes("renewal_ok") and first.get("AA") == CHOI
    raw.close()


def test_the_independent_decoder_allows_only_the_blank_no_block_due_date() -> None:
    """The check is real: pysip2 rejects a frame without a required field, and the one exception
    (a blank no-block due date) holds only under no-block N."""
    dialect, decoder = Dialect(), IndependentDecoder(Dialect())
    decoder("in", dialect.encode(request("11"), 1))
    decoder("in", Dialect(terminator=b"\r\n").encode(request("17"), 2))
    assert decoder.rejected == []
    decoder("in", dialect.encode(request("11", no_block=True), 3))
    decoder("out", dialect.encode(Frame("12", "1NNY" + dialect.date(datetime.now(UTC)), (("AO", BRANCH),)), 4))
    assert len(decoder.rejected) == 2 and "missing required field AA" in decoder.rejected[1]
    assert as_pysip2_reads_it(dialect.encode(request("11", no_block=True), 5)).count(b" " * 18) == 1
