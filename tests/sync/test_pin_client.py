"""The REST client's PIN check against the stand-in over real HTTP: the answer, the lock (a 423 is
an answer, not a refusal), a central side away, and a PIN that shows in no result."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from backend_stub.rules import PIN_MAX_TRIES
from kiosk_data.codes import KIM, KIM_PIN
from sync_agent.central.rest.client import CentralClient
from sync_agent.central.results import Busy, BusyReason, NotFound, Ok

from .conftest import make_settings


async def test_right_wrong_and_locked(central, tmp_path: Path) -> None:
    async with CentralClient(make_settings(tmp_path, central.url)) as client:
        right = await client.check_pin(KIM, SecretStr(KIM_PIN))
        assert isinstance(right, Ok) and right.value.valid
        wrong = await client.check_pin(KIM, SecretStr("000000"))
        assert isinstance(wrong, Ok) and not wrong.value.valid
        assert wrong.value.tries_left == PIN_MAX_TRIES - 1
        for _ in range(PIN_MAX_TRIES - 1):
            locked = await client.check_pin(KIM, SecretStr("000000"))
        assert isinstance(locked, Ok) and locked.status == 423, locked
        assert not locked.value.valid and locked.value.locked_until is not None
        still = await client.check_pin(KIM, SecretStr(KIM_PIN))
        assert isinstance(still, Ok) and still.value.locked_until == locked.value.locked_until
        assert client.breakers.states()["lending"] == "closed", "a lock is an answer, not a failure"
        assert isinstance(await client.check_pin("20042000009999", SecretStr(KIM_PIN)), NotFound)


async def test_central_away_is_busy_and_says_nothing_of_the_pin(central, tmp_path: Path) -> None:
    central.stop()
    async with CentralClient(make_settings(tmp_path, central.url)) as client:
        away = await client.check_pin(KIM, SecretStr(KIM_PIN))
    assert isinstance(away, Busy) and away.reason is BusyReason.UNREACHABLE, away
    assert KIM_PIN not in repr(away)
