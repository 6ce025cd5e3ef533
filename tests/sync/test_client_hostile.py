"""The client against answers the central side should never give, on a real socket: every one
comes back as a typed result, never as an exception (a broken gzip body, JSON nested past
Python's recursion limit, a ``Retry-After`` of ``²``, a body far over the cap), and properties
over any status, header, encoding and body."""

from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk_data.codes import KIM, ON_LOAN
from sync_agent.agent.dispatch import send
from sync_agent.central.rest.capped_body import MAX_BODY_BYTES
from sync_agent.central.rest.client import MAX_MESSAGE_CHARS, CentralClient
from sync_agent.central.rest.retry_after import MAX_RETRY_AFTER_S, parse_retry_after
from sync_agent.central.results import Busy, DoubtReason, InDoubt, NotFound, Ok, Refused
from sync_agent.store.outbox import Outbox

from .conftest import RENTAL, HostileServer, Reply, make_settings

JSON = {"Content-Type": "application/json"}
DEEP = b"[" * 100_000 + b"]" * 100_000
RESULTS = (Ok, Refused, NotFound, Busy, InDoubt)


@pytest.mark.parametrize(("reply", "reason"), [
    (Reply(200, b"not gzip at all", {**JSON, "Content-Encoding": "gzip"}),
     DoubtReason.MALFORMED),
    (Reply(200, DEEP, JSON), DoubtReason.MALFORMED),
    (Reply(500, DEEP, JSON), DoubtReason.SERVER_ERROR),
    (Reply(502, b"", {"Retry-After": "\u00b2"}), DoubtReason.SERVER_ERROR),
    (Reply(200, b"{" + b'"x": "' + b"y" * (2 * 2**20) + b'"}', JSON), DoubtReason.TOO_LARGE),
    (Reply(200, b"", JSON, truncate_to=0, declared_length=150 * 2**20), DoubtReason.TOO_LARGE),
])
async def test_a_hostile_2xx_or_5xx_is_in_doubt_never_an_exception(hostile, tmp_path: Path, outbox: Outbox,
                                                                  reply: Reply, reason: DoubtReason) -> None:
    """Each of these once raised out of the client and ended the agent and the app."""
    hostile.queue(reply, reply)
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    async with CentralClient(make_settings(tmp_path, hostile.url)) as client:
        health = await client.health()
        delivered = await send(client, entry)
    for result in (health, delivered):
        assert isinstance(result, InDoubt) and result.reason is reason, result


async def test_a_garbage_retry_after_is_ignored_and_a_huge_one_is_bounded(hostile, tmp_path: Path) -> None:
    hostile.queue(Reply(429, b"", {"Retry-After": "\u00b2"}),
                  Reply(429, b"", {"Retry-After": "31536000"}),
                  Reply(429, b"", {"Retry-After": "9" * 5000}))
    async with CentralClient(make_settings(tmp_path, hostile.url)) as client:
        garbage, year, absurd = [await client.member_by_card(KIM) for _ in range(3)]
    assert isinstance(garbage, Busy) and garbage.retry_after_s is None
    assert isinstance(year, Busy) and year.retry_after_s == MAX_RETRY_AFTER_S
    assert isinstance(absurd, Busy) and absurd.retry_after_s == MAX_RETRY_AFTER_S


def test_retry_after_as_rfc_9110_reads_it() -> None:
    soon = datetime.now(UTC) + timedelta(seconds=40)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 7 ") == 7.0
    assert 35 < parse_retry_after(format_datetime(soon, usegmt=True)) <= 40  # IMF-fixdate
    assert 35 < parse_retry_after(soon.strftime("%A, %d-%b-%y %H:%M:%S GMT")) <= 40  # RFC 850
    assert 35 < parse_retry_after(soon.strftime("%a %b %d %H:%M:%S %Y")) <= 40  # asctime
    assert parse_retry_after(format_datetime(datetime(2001, 1, 1, tzinfo=UTC), usegmt=True)) == 0.0
    assert parse_retry_after(format_datetime(soon + timedelta(days=365), usegmt=True)) == MAX_RETRY_AFTER_S
    for garbage in ("\u00b2", "\u0661\u0662", "-5", "1.5", "1e3", "soon", "", "Sun, 99 Foo 1994", None):
        assert parse_retry_after(garbage) is None, garbage


HEADER_VALUES = st.one_of(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
                          st.sampled_from(["\u00b2", "9" * 400, "-1", "0", "Wed, 21 Oct 2015 07:28:00 GMT"]))
ENCODINGS = st.sampled_from([None, "gzip", "deflate", "br", "identity", "x-unknown", "gzip, gzip"])
BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([RENTAL, DEEP[:4000] + DEEP[-4000:], gzip.compress(RENTAL), gzip.compress(DEEP),
                     b"\xff\xfe\x00{", b'{"code": "unauthorized", "message": 1}', b"null", b"[]",
                     b'{"code": "validation_error", "message": "occurredAt is in the future"}']),
)
STATUSES = st.one_of(st.sampled_from([200, 201, 204, 301, 304, 401, 403, 404, 408, 409, 422, 429, 500,
                                      502, 503, 504]), st.integers(100, 599))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(status=STATUSES, retry_after=st.none() | HEADER_VALUES, encoding=ENCODINGS, body=BODIES,
       content_type=st.sampled_from(["application/json", "text/html", "application/json; charset=latin-1",
                                     ""]))
def test_any_answer_is_a_typed_result(tmp_path_factory, status, retry_after, encoding, body,
                                      content_type) -> None:
    """Whatever status, headers, encoding and body: a typed result, a bounded ``Retry-After``, and
    a 2xx is Ok only when it reads as what the call expects."""
    folder = tmp_path_factory.mktemp("client")
    server = HostileServer()
    headers = {name: value for name, value in (("Content-Type", content_type), ("Retry-After", retry_after),
                                               ("Content-Encoding", encoding)) if value is not None}
    server.default = Reply(status if status not in (100, 101, 102, 103) else 299, body, headers)

    async def ask() -> list[object]:
        async with CentralClient(make_settings(folder, server.url, call_timeout_ms=2000)) as client:
            return [await client.health(), await client.member_by_card(KIM)]

    try:
        for result in asyncio.run(ask()):
            assert isinstance(result, RESULTS), result
            if isinstance(result, Busy | InDoubt) and result.retry_after_s is not None:
                assert 0 <= result.retry_after_s <= MAX_RETRY_AFTER_S
            if isinstance(result, Ok):
                assert 200 <= result.status < 300
    finally:
        server.close()


async def test_answers_of_150_mb_and_a_gzip_bomb_are_not_read_whole(hostile, tmp_path: Path,
                                                                      outbox: Outbox) -> None:
    """The cap holds whether the size is announced (refused before the first byte), streamed in
    chunks with no length (dropped once past 1 MiB), or hidden by compression (checked on the
    inflated size). The agent's peak memory for such answers is measured in
    tests/system/test_hostile_central.py."""
    huge = b'{"id": 1, "note": "' + b"x" * (150 * 2**20) + b'"}'
    bomb = gzip.compress(b"[" + b" " * (64 * 2**20) + b"]", compresslevel=1)
    hostile.queue(Reply(200, huge, JSON), Reply(200, huge, JSON, chunked=True),
                  Reply(200, bomb, {**JSON, "Content-Encoding": "gzip"}))
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    async with CentralClient(make_settings(tmp_path, hostile.url, call_timeout_ms=5000)) as client:
        answers = [await send(client, entry) for _ in range(3)]
    for answer in answers:
        assert isinstance(answer, InDoubt) and answer.reason is DoubtReason.TOO_LARGE, answer
    assert len(bomb) < MAX_BODY_BYTES  # small on the wire: only the inflated size is over the cap


async def test_a_refusal_keeps_a_bounded_message(hostile, tmp_path: Path, outbox: Outbox) -> None:
    hostile.queue(Reply(409, b'{"code": "not_rented", "message": "' + b"m" * 500_000 + b'"}', JSON))
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    async with CentralClient(make_settings(tmp_path, hostile.url)) as client:
        refused = await send(client, entry)
    assert isinstance(refused, Refused) and refused.code == "not_rented"
    assert len(refused.message) == MAX_MESSAGE_CHARS
