"""The receipt printer's state as the agent's /metrics shows it (read from the app's devices row)."""

from __future__ import annotations

from sync_agent.agent.metrics import KioskCollector
from sync_agent.agent.pacing import Pacer
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.status import record_device_status


def samples(store: Store) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in KioskCollector(store, Settings(), Pacer(4)).collect()
            for sample in family.samples}


def test_kiosk_printer_state_is_one_on_the_state_the_printer_reported(tmp_path):
    store = Store.open(tmp_path / "kiosk.sqlite3")
    try:
        assert not any(name == "kiosk_printer_state" for name, _ in samples(store)), "no printer, no series"
        record_device_status(store, "scanner", {"state": "connected"})
        record_device_status(store, "printer", {"name": "printer", "state": "paper_out"})
        seen = samples(store)
    finally:
        store.close()
    assert seen[("kiosk_printer_state", (("state", "paper_out"),))] == 1
    assert seen[("kiosk_printer_state", (("state", "ok"),))] == 0
    assert ("kiosk_device_up", (("device", "printer"),)) not in seen, "not a scanner: no scanner alert"
    assert seen[("kiosk_device_up", (("device", "scanner"),))] == 1
