"""How long patron data stays: member views expire a grace after the visit unless an unsettled
entry of the member needs them, the agent forgets them, and the agent never fetches the page of a
patron who is not at the kiosk. Real store on disk, real stand-in over HTTP."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import httpx
import sqlite_utils

from kiosk_data.codes import KIM, ON_LOAN
from kiosk_testing.waiting import wait_until_async
from sync_agent.agent.relay import Relay
from sync_agent.central.rest.client import CentralClient
from sync_agent.store.database import MIGRATIONS, Store
from sync_agent.store.outbox import Outbox, Settlement, Status
from sync_agent.store.read_model import ReadModel
from sync_agent.store.retention import Retention
from sync_agent.wire.rest import MyPage, MyPageEntry, RentalStatus

from .conftest import make_settings

NOW = 1_800_000_000.0


def page(member_id: int = 1) -> MyPage:
    loan = MyPageEntry(rental_id=2, book_id=2, barcode=ON_LOAN, title="The Pragmatic Programmer",
                       status=RentalStatus.RENTED, due_at=datetime.now(UTC))
    return MyPage(member_id=member_id, name="김민지", fines=0, reservations=[], loans=[loan],
                  as_of=datetime.now(UTC))


def views(store: Store) -> list[int]:
    return [row["member_id"] for row in store.rows("SELECT member_id FROM member_views")]


def test_a_view_lives_for_the_visit_and_the_grace_after_it(store, tmp_path) -> None:
    settings = make_settings(tmp_path, member_view_grace_s=900, session_timeout_s=60)
    retention = Retention(store, settings)
    ReadModel(store, Outbox(store, "k")).cache_member_view(page(), retention.expiry_of_new_view(NOW))
    assert retention.purge(NOW + 60 + 899) == 0 and views(store) == [1]
    retention.end_visit(1, NOW + 120)  # the visit went on longer than one timeout
    assert retention.purge(NOW + 120 + 899) == 0 and views(store) == [1]
    assert retention.purge(NOW + 120 + 900) == 1
    assert views(store) == [] and store.rows("SELECT * FROM loan_index") == []


def test_a_view_stays_while_an_unsettled_entry_of_the_member_needs_it(store, tmp_path) -> None:
    retention = Retention(store, make_settings(tmp_path, member_view_grace_s=0))
    outbox = Outbox(store, "k")
    ReadModel(store, outbox).cache_member_view(page(), NOW)
    entry = outbox.append_return(ON_LOAN, datetime.now(UTC))
    assert entry.member_id == 1, "the return is attached to the member through the loan index"
    assert retention.purge(NOW + 1) == 0 and views(store) == [1]
    [claimed] = outbox.claim("agent:1:a", limit=1, lease_s=30)
    assert retention.purge(NOW + 1) == 0, "in flight is unsettled too"
    outbox.settle("agent:1:a", [Settlement(claimed.id, Status.DELIVERED, response={"status": 200})])
    assert retention.purge(NOW + 1) == 1 and views(store) == []


def test_a_purge_leaves_no_byte_of_the_view_in_the_file_or_its_log(store, tmp_path) -> None:
    retention = Retention(store, make_settings(tmp_path))
    ReadModel(store, Outbox(store, "k")).cache_member_view(page(), NOW)
    wal = store.path.with_name(store.path.name + "-wal")
    assert "김민지".encode() in wal.read_bytes()
    assert retention.purge(NOW + 1) == 1
    assert wal.stat().st_size == 0, "the log is cut to nothing"
    for path in (store.path, wal):
        raw = path.read_bytes()
        assert "김민지".encode() not in raw and b"Pragmatic" not in raw, path.name


async def test_the_agent_forgets_expired_views_on_its_own(store, tmp_path) -> None:
    relay = Relay(store, CentralClient(make_settings(tmp_path), owner="agent"),
                  make_settings(tmp_path), poll_s=0.01)
    relay.read_model.cache_member_view(page(), expires_at=0.0)  # long expired
    task = asyncio.create_task(relay.run())
    try:
        await wait_until_async(lambda: not views(store))
    finally:
        relay.stop()
        await asyncio.wait_for(task, 5)
        await relay.client.aclose()


class Counting(httpx.AsyncHTTPTransport):
    """A real transport that notes the path of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


async def test_the_agent_fetches_no_page_of_a_patron_who_is_not_at_the_kiosk(central, store, tmp_path):
    settings = make_settings(tmp_path, central.url)
    transport = Counting()
    async with CentralClient(settings, owner="agent", transport=transport) as client:
        relay = Relay(store, client, settings)
        found = await client.mypage(1)  # the patron's visit: the app cached their page
        relay.read_model.cache_member_view(found.value, Retention(store, settings).expiry_of_new_view(NOW))
        transport.paths.clear()
        for _ in range(8):
            assert await relay.refresh_read_model()
    assert transport.paths.count("/books") == 8, "the catalog is refreshed"
    assert [path for path in transport.paths if path.startswith("/mypages")] == []


def test_the_upgrade_deletes_card_numbers_kept_in_clear(tmp_path) -> None:
    """A store written by the previous version: a card lookup keyed by the card's SHA-256 with the
    card number in its value, and a view kept without an expiry."""
    path = tmp_path / "kiosk.sqlite3"
    db = sqlite_utils.Database(sqlite3.connect(path))
    MIGRATIONS[0](db)
    db["sync_state"].insert({"name": "member_card:" + "ab" * 32,
                             "value": '{"id": 1, "card_number": "20042000000016", "name": "김민지"}'})
    db["member_views"].insert({"member_id": 1, "page": page().model_dump_json(), "as_of": "x",
                               "fetched_at": NOW})
    db.conn.execute("PRAGMA user_version=1")
    db.conn.commit()
    db.conn.close()

    store = Store.open(path)
    assert store.rows("SELECT * FROM sync_state WHERE name LIKE 'member_card:%'") == []
    assert Retention(store, make_settings(tmp_path)).purge() == 1
    assert KIM.encode() not in path.read_bytes()
