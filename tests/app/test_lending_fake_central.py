"""The plain borrow of ``Lending`` over ``kiosk_testing.fake_central.FakeCentral``: no stand-in, no
socket, no screen. What the patron is told of a confirmed loan and what the outbox keeps of it, in
milliseconds; and that the kiosk's composition root keeps the port's breaker states. Every other
row of the saga table (docs/architecture.md) is ``test_saga_rows_fake_central.py``."""

from __future__ import annotations

from pathlib import Path

from kiosk_app.composition import build_kiosk
from kiosk_app.outcomes import Refusal
from kiosk_app.session import BorrowLine, Session, new_session_id
from kiosk_testing.fake_central import FakeCentral
from sync_agent.central.results import Ok
from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.store.outbox import Kind, Status, Told
from sync_agent.store.status import breaker_states

from .saga_rig import CARD, DUE, HELD, MEMBER_ID, NOW, Records, member, page


def _central(**scripts) -> FakeCentral:
    return FakeCentral(member_by_card=[Ok(member())], mypage=[Ok(page())], **scripts)


async def test_a_confirmed_loan_is_shown_with_its_due_date_and_kept(rig) -> None:
    central = _central(check_out=Records().lend)
    r = rig(lambda _settings, _owner: central)
    session = Session(new_session_id(NOW), NOW)
    assert not isinstance(await r.lending.open_member(session, CARD, NOW), Refusal)
    told = await r.lending.borrow(session, HELD, NOW)
    assert isinstance(told, BorrowLine) and told.due_at == DUE and not told.queued
    assert session.borrows == [told]
    entry = r.intent()
    assert (entry.kind, entry.status, entry.told) == (Kind.RENT, Status.DELIVERED, Told.CONFIRMED)
    command, = (args[0] for args in central.called("check_out"))
    assert (command.key, command.member_id, command.barcode) == (entry.key, MEMBER_ID, HELD)


async def test_the_app_s_breaker_states_are_kept_in_the_store_by_the_composition_root(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "kiosk" / "kiosk.sqlite3")
    try:
        central = _central()
        build_kiosk(Settings(id="kiosk-07", data_dir=tmp_path / "kiosk"), store, central, with_devices=False)
        central.breakers["lending"].open()
        assert breaker_states(store)["app"]["lending"]["state"] == "open"
    finally:
        store.close()
