"""A patron's call for staff in the store (sync_agent.store.help_request): one open at a time, ended by
a technician or after TIMEOUT_S, every call raised counted."""

from __future__ import annotations

from sync_agent.store import help_request
from sync_agent.store.status import snapshot

START = 1_800_000_000.0
LATE = START + help_request.TIMEOUT_S


def test_one_call_at_a_time_until_acknowledged(store) -> None:
    assert help_request.current(store) == help_request.NONE
    assert help_request.request(store, "member", now=START)
    assert not help_request.request(store, "returns", now=START + 60)
    request = help_request.current(store, now=START + 60)
    assert request["open"] and request["screen"] == "member" and request["total"] == 1
    assert snapshot(store)["help_request"]["total"] == 1
    assert help_request.acknowledge(store, now=START + 120)
    assert not help_request.acknowledge(store, now=START + 121)
    ended = help_request.current(store, now=START + 130)
    assert not ended["open"] and ended["acknowledged_at"] == START + 120 and ended["total"] == 1


def test_a_call_nobody_acknowledged_ends_after_the_timeout(store) -> None:
    assert help_request.request(store, "member", now=START)
    assert help_request.current(store, now=LATE - 1)["open"]
    assert not help_request.request(store, "member", now=LATE - 1)
    assert not help_request.current(store, now=LATE)["open"]
    assert not help_request.acknowledge(store, now=LATE)
    assert help_request.request(store, "returns", now=LATE)
    assert help_request.current(store, now=LATE)["total"] == 2
