"""The same SIP2 scenario against a real ACS (a library's own Koha, Evergreen, ...), opt-in.

Skipped unless ``KIOSK_TEST_SIP2=host:port`` is set, with ``KIOSK_TEST_SIP2_USER``,
``KIOSK_TEST_SIP2_PASSWORD``, ``KIOSK_TEST_SIP2_INSTITUTION``, ``KIOSK_TEST_SIP2_PATRON`` (a test
patron's barcode, digits) and ``KIOSK_TEST_SIP2_ITEM`` (a test copy on the shelf); optional
``KIOSK_TEST_SIP2_LOCATION``, ``_TERMINATOR``, ``_ENCODING``, ``_CHECKSUMS``, ``_TLS``. It checks
the copy out to the patron and back in, so use test records. See docs/operations.md.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from sync_agent.contract import Circulation
from sync_agent.outbox import Outbox
from sync_agent.results import Ok
from sync_agent.settings import Settings
from sync_agent.sip2_client import Sip2Client
from sync_agent.store import Store

TARGET = os.environ.get("KIOSK_TEST_SIP2", "")
pytestmark = pytest.mark.skipif(not TARGET, reason="set KIOSK_TEST_SIP2=host:port to run against a real ACS")


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(f"KIOSK_TEST_SIP2_{name}", default)
    if value is None:
        pytest.fail(f"KIOSK_TEST_SIP2_{name} is not set")
    return value


async def test_a_real_acs_lends_and_takes_back(tmp_path) -> None:
    host, _, port = TARGET.rpartition(":")
    settings = Settings(id="kiosk-test", data_dir=tmp_path, central="sip2", sip2_host=host,
                        sip2_port=int(port), sip2_user=_env("USER"), sip2_password=_env("PASSWORD"),
                        sip2_institution=_env("INSTITUTION"), sip2_location=_env("LOCATION", ""),
                        sip2_terminator=_env("TERMINATOR", "CR"), sip2_encoding=_env("ENCODING", "utf-8"),
                        sip2_checksums=_env("CHECKSUMS", "true"), sip2_tls=_env("TLS", "false"))
    patron, item = _env("PATRON"), _env("ITEM")
    store = Store.open(tmp_path / "kiosk.sqlite3")
    outbox = Outbox(store, settings.id)
    async with Sip2Client(settings, store) as client:
        assert isinstance(await client.health(), Ok)
        member = await client.member_by_card(patron)
        assert isinstance(member, Ok), member
        assert isinstance(await client.mypage(member.value.id), Ok)
        state = await client.item_state(item)
        assert isinstance(state, Ok) and state.value.circulation is Circulation.ON_SHELF, state
        rent = outbox.begin_rent(member.value.id, item, datetime.now(UTC), visit="test", owner="test",
                                 lease_s=30)
        lent = await client.deliver(rent)
        assert isinstance(lent, Ok) and lent.value["dueAt"], lent
        again = await client.deliver(rent)  # sent again as new: renewal policy N, so never a renewal
        assert not isinstance(again, Ok), again
        back = await client.deliver(outbox.append_return(item, datetime.now(UTC)))
        assert isinstance(back, Ok), back
        after = await client.item_state(item)
        assert isinstance(after, Ok) and after.value.circulation is not Circulation.ON_LOAN
    store.close()
