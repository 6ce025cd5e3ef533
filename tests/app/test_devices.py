"""Device status reaches the store for other processes (kiosk-sync status): a state change at
once, a burst of scans as a few counter writes, and the last counts never left behind."""

from __future__ import annotations

import asyncio
from unittest import mock

from kiosk_app import devices
from kiosk_testing.pty_kiosk import item_codes, kiosk_on_pty
from kiosk_testing.waiting import wait_until_async
from sync_agent.store.status import device_statuses


async def test_a_burst_of_scans_is_recorded_in_few_writes_and_ends_exact() -> None:
    codes = item_codes(40, start=950_000)
    with mock.patch.object(devices, "record_device_status", wraps=devices.record_device_status) as record:
        async with kiosk_on_pty() as (app, scanner, _pilot):
            store = app.lending.store
            await wait_until_async(lambda: device_statuses(store).get("scanner", {}).get("state") == "connected")
            for code in codes:  # one read each, as a patron scanning a stack of books
                scanner.scan(code)
                await asyncio.sleep(0.02)
            await wait_until_async(lambda: device_statuses(store)["scanner"]["good"] == len(codes), timeout_s=15)
            writes_for_burst = record.call_count
            scanner.unplug()
            await wait_until_async(lambda: device_statuses(store)["scanner"]["state"] == "reconnecting", timeout_s=5)
    assert writes_for_burst < len(codes) // 4, writes_for_burst


async def test_a_device_change_during_shutdown_after_the_screens_are_gone_is_ignored(offline_kiosk):
    app = offline_kiosk().app
    async with app.run_test(size=(100, 32)):
        pass
    assert not app.screen_stack
    assert app._technician() is None, "no ScreenStackError from news arriving at the end"
