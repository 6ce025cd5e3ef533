"""Returns that make sense, through the real app, store and stand-in: a book scanned again adds
nothing, a copy the kiosk knows is not on loan is never "returned", and what the kiosk cannot know
is accepted and checked later. (A return whose save failed at fsync and came back after a crash:
``tests/system/test_return_fsync.py``.)"""

from __future__ import annotations

import asyncio

from hardware.sim import VirtualScanner
from kiosk_app.screens.returns import ReturnScreen
from kiosk_app.session import Returned
from kiosk_data.codes import AVAILABLE, HOLD_READY, KIM, LOST, ON_LOAN, OTHERS_HOLD
from kiosk_testing.pilot import screen_text, wait_on_screen
from kiosk_testing.waiting import wait_until_async
from sync_agent.store.outbox import Kind, Status
from sync_agent.store.status import device_statuses

from .conftest import SIZE, central_get, scan_and_settle, settle


def returns_of(k, barcode: str):
    return [e for e in k.lending.outbox.recent(100) if e.kind is Kind.RETURN and e.barcode == barcode]


def outcomes(k) -> list[Returned]:
    return [line.outcome for line in k.app.session.returns]


async def test_a_rescan_through_the_scanner_adds_nothing_within_or_after_the_window(kiosk, central):
    """Within the duplicate window the driver drops it; after it, the kiosk says "already
    returned": one entry, one fine on the receipt, one return applied, no dead letter."""
    with VirtualScanner() as scanner:
        k = kiosk({"with_devices": True}, lang="en", scanner_port=scanner.path,
                  duplicate_window_s=0.5)
        async with k.app.run_test(size=SIZE) as pilot:
            await wait_on_screen(pilot, lambda: device_statuses(k.store).get("scanner", {}).get("state")
                                 == "connected")
            scanner.scan(ON_LOAN)
            scanner.scan(ON_LOAN)  # a double read: one scan
            await wait_on_screen(pilot, lambda: len(k.app.session.returns) == 1)
            await asyncio.sleep(0.6)  # the patron is unsure it took, and scans again
            scanner.scan(ON_LOAN)
            await wait_on_screen(pilot, lambda: len(k.app.session.returns) == 2)
            assert outcomes(k) == [Returned.RETURNED, Returned.ALREADY]
            text = screen_text(k.app)
            assert text.count("Already returned; nothing more to do.") == 1
            await pilot.click("#done")
            await settle(pilot)
            receipt = screen_text(k.app)
            assert receipt.count("The Pragmatic Programmer") == 1
    assert len(returns_of(k, ON_LOAN)) == 1
    drained = await k.relay.drain(10)
    assert drained.delivered == 1 and drained.dead == 0
    assert [r["status"] for r in central_get(central, "/rentals", bookId=2)] == ["returned"]


async def test_a_book_whose_return_is_still_unsettled_from_an_earlier_visit_adds_nothing(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        central.set_fault("rental", down=True)  # the first return waits in the outbox
        await scan_and_settle(pilot, ON_LOAN)
        await pilot.click("#done")
        await settle(pilot)
        await pilot.click("#finish")
        await settle(pilot)
        central.clear_faults()
        await scan_and_settle(pilot, ON_LOAN)  # the next patron, or the same one again
        assert outcomes(k) == [Returned.ALREADY]
    assert len(returns_of(k, ON_LOAN)) == 1
    assert (await k.relay.drain(10)).dead == 0


async def test_a_copy_not_on_loan_is_never_returned(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, AVAILABLE, LOST)
        assert isinstance(k.app.screen, ReturnScreen)
        assert outcomes(k) == [Returned.NOT_ON_LOAN, Returned.NOT_ON_LOAN]
        text = screen_text(k.app)
        assert "✓" not in text and text.count("This book is not on loan. Please leave it at the desk.") == 2
    assert returns_of(k, AVAILABLE) == [] and returns_of(k, LOST) == []
    assert k.lending.outbox.counts()["pending"] == 0


async def test_a_held_copy_scanned_before_the_card_goes_to_the_hold_shelf_or_card_first(kiosk, central):
    """The kiosk has the agent's catalog copy, as a kiosk in service does, so the copy is known to
    be on hold even when the central side answers after the patron deadline (a loaded machine);
    without it that return would be ``UNCHECKED``."""
    k = kiosk(lang="en")
    await wait_until_async(k.relay.refresh_read_model, 30, "the agent's catalog copy")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, HOLD_READY)  # 김민지's hold, scanned before her card
        assert outcomes(k) == [Returned.ON_HOLD]
        assert "If it is yours, scan your card first to borrow it" in screen_text(k.app)
        await scan_and_settle(pilot, KIM, HOLD_READY)  # as told: the card, then the book
        assert [line.barcode for line in k.app.session.borrows] == [HOLD_READY]
    assert returns_of(k, HOLD_READY) == []
    assert (await k.relay.drain(10)).dead == 0  # a borrow left in doubt by a slow answer, settled
    assert {r["status"] for r in central_get(central, "/rentals", bookId=1)} == {"rented"}


async def test_offline_the_catalog_decides_and_what_the_kiosk_cannot_know_is_checked_later(kiosk, central):
    k = kiosk(lang="en")
    assert await k.relay.refresh_read_model()  # the agent's catalog copy
    async with k.app.run_test(size=SIZE) as pilot:
        central.stop()
        k.app.check_health()
        await wait_on_screen(pilot, lambda: not k.app.online)
        await scan_and_settle(pilot, AVAILABLE, OTHERS_HOLD, ON_LOAN, "30042000009999")
        assert outcomes(k) == [Returned.NOT_ON_LOAN, Returned.ON_HOLD, Returned.SAVED,
                               Returned.UNCHECKED]
        text = screen_text(k.app)
        assert "Return saved; the library system will check it." in text
    assert [e.barcode for e in k.lending.outbox.recent(10)] == ["30042000009999", ON_LOAN]
    central.start()
    drained = await k.relay.drain(10)
    assert drained.delivered == 1
    [unknown] = returns_of(k, "30042000009999")
    assert unknown.status is Status.DEAD and unknown.last_error.startswith("not_found"), \
        "a copy the library does not know is checked by a technician"
