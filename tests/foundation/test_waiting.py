"""The one wait of the test support: it hands back what it waited for, and a missed deadline
fails as an assertion that names what was awaited and the state last seen (or, polled, is None)."""

import asyncio
import itertools

import pytest

from kiosk_testing.waiting import poll_until, wait_until, wait_until_async


def test_the_first_true_value_is_handed_back() -> None:
    looks = itertools.count()
    assert wait_until(lambda: [n] if (n := next(looks)) == 3 else [], 5, every_s=0) == [3]


def test_a_missed_deadline_names_the_state_last_seen() -> None:
    seen = iter(range(1000))
    with pytest.raises(AssertionError, match=r"not within 0.05 s: last seen [0-9]+"):
        wait_until(lambda: False, 0.05, lambda: f"last seen {next(seen)}", every_s=0.01)


def test_a_poll_that_runs_out_of_time_answers_none_instead_of_failing() -> None:
    looks = itertools.count()
    assert poll_until(lambda: next(looks) < 0, 0.05, every_s=0.01) is None
    assert next(looks) > 1, "it looked until the deadline"


async def test_an_awaitable_look_is_awaited_and_the_tick_runs_between_looks() -> None:
    ticks: list[int] = []

    async def tick() -> None:
        ticks.append(len(ticks))
        await asyncio.sleep(0)

    async def look() -> bool:
        return len(ticks) >= 2

    assert await wait_until_async(look, 5, tick=tick) is True
    assert ticks == [0, 1]


async def test_an_async_wait_fails_at_its_deadline_with_what_it_waited_for() -> None:
    with pytest.raises(AssertionError, match="not within 0.05 s: the door open"):
        await wait_until_async(lambda: None, 0.05, "the door open", every_s=0.01)
