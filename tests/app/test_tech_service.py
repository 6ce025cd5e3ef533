"""The technician's actions, called as the app calls them on the technician screen's messages,
over a kiosk whose central side is a ``FakeCentral`` (the screen's own test, with Pilot, is
``test_technician.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk_app.app import KioskApp
from kiosk_app.composition import build_kiosk
from kiosk_app.tech_service import RESOLVED_NOTE
from kiosk_testing.fake_central import FakeCentral
from sync_agent.central.results import Ok, Refused
from sync_agent.settings import Settings
from sync_agent.store import help_request
from sync_agent.store.database import Store
from sync_agent.store.outbox import Status

BOOK, OTHER = "30042000000014", "30042000000022"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    yield opened
    opened.close()


def _kiosk(tmp_path: Path, store: Store, central: FakeCentral) -> KioskApp:
    settings = Settings(id="kiosk-07", data_dir=tmp_path / "kiosk")
    return build_kiosk(settings, store, central, with_devices=False)


async def test_dead_letters_are_retried_and_resolved_and_sync_now_delivers(tmp_path: Path, store: Store) -> None:
    central = FakeCentral(check_in=[Refused("not_found", "unknown copy")])
    kiosk = _kiosk(tmp_path, store, central)
    service, outbox = kiosk.tech_service, kiosk.lending.outbox
    first, second = (outbox.append_return(code, datetime.now(UTC)) for code in (BOOK, OTHER))
    await service.sync_now()
    assert {entry.id for entry in outbox.dead_letters()} == {first.id, second.id}

    await service.resolve_dead(first.id)
    assert (outbox.get(first.id).status, outbox.get(first.id).note) == (Status.RESOLVED, RESOLVED_NOTE)
    await service.retry_dead(second.id)
    assert outbox.get(second.id).status is Status.PENDING
    central.scripts["check_in"] = [Ok({"id": 9, "memberId": 1, "bookId": 2, "barcode": OTHER,
                                       "status": "returned"})]
    await service.sync_now()
    assert outbox.get(second.id).status is Status.DELIVERED


async def test_a_breaker_is_reset_the_store_checked_and_a_call_for_staff_acknowledged(
        tmp_path: Path, store: Store) -> None:
    central = FakeCentral()
    service = _kiosk(tmp_path, store, central).tech_service
    central.breakers["lending"].open()
    service.reset_breaker("lending")
    assert central.breakers.states()["lending"] == "closed"
    assert await service.check_store() == "ok"
    assert help_request.request(store, "welcome")
    await service.acknowledge_call()
    assert not help_request.current(store)["open"]
