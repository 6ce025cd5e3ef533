"""What a visit leaves on the kiosk's disk: a complete visit (card, borrow, return, receipt)
through the real app, on the real stand-in and a real store, with the app's log going to its file
as in production. While it lasts, the card number is nowhere in clear; once it is over, its
return delivered and the grace (shortened here) passed, the raw bytes of the store, its
write-ahead log and the logs hold none of the patron's card number, name or titles.

The agent's catalog sync is not run here: the catalog is the library's public list of titles
(docs/privacy.md) and would hold every title, read by anyone or no one; without it, a title found
in these bytes can only have come from this visit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from kiosk_app import logbook
from kiosk_app.card_lookup import CardLookup, card_secret
from kiosk_app.screens.member import MemberScreen
from kiosk_app.screens.receipt import ReceiptScreen
from kiosk_app.screens.welcome import WelcomeScreen
from kiosk_data.codes import HOLD_READY, KIM, KIM_PIN, ON_LOAN
from kiosk_testing.pilot import screen_text
from kiosk_testing.waiting import wait_until_async
from sync_agent.wire.rest import Member, MemberStatus

from .conftest import SIZE, scan_and_settle, settle

NAME = "김민지"
NAME_EN = "Kim Min-ji"  # her name in English, shown in an English visit
TITLES = ("채식주의자", "The Pragmatic Programmer", "소년이 온다")  # reserved, on loan, overdue


def forms(text: str) -> list[bytes]:
    """``text`` as it could sit in a file: UTF-8, JSON with escapes, UTF-16."""
    return [text.encode(), json.dumps(text)[1:-1].encode(), text.encode("utf-16-le")]


def found_in(folder: Path, *texts: str) -> list[str]:
    """Which of ``texts`` occur, in any form, in any file under ``folder`` (the store, its
    write-ahead log and shared memory, the log files)."""
    files = {path.name: path.read_bytes() for path in folder.rglob("*") if path.is_file()}
    return [f"{text!r} in {name}" for text in texts for name, raw in files.items()
            if any(form in raw for form in forms(text))]


async def test_a_visit_leaves_nothing_of_the_patron_once_the_grace_has_passed(kiosk, central,
                                                                               root_logger):
    k = kiosk(lang="en", member_view_grace_s=0.2)
    folder = k.settings.data_dir
    logbook.install(folder)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert isinstance(k.app.screen, MemberScreen) and NAME_EN in screen_text(k.app)
        await scan_and_settle(pilot, HOLD_READY)
        assert [line.barcode for line in k.app.session.borrows] == [HOLD_READY]
        await scan_and_settle(pilot, ON_LOAN)
        assert [line.barcode for line in k.app.session.returns] == [ON_LOAN]

        assert (folder / logbook.LOG_FILE).stat().st_size > 0
        assert found_in(folder, KIM, hashlib.sha256(KIM.encode()).hexdigest()) == [], \
            "no card number in clear, nor its plain hash, during the visit"
        assert k.lending.cards.find(KIM).id == 1, "yet the card still finds its member offline"

        await pilot.click("#done")
        await settle(pilot)
        assert isinstance(k.app.screen, ReceiptScreen) and TITLES[0] in screen_text(k.app)
        await pilot.click("#finish")
        await settle(pilot)
        assert isinstance(k.app.screen, WelcomeScreen)
    assert (await k.relay.drain(10)).delivered == 1, "the return reached the central side"

    # the grace: 0.2 s after the visit ended
    await wait_until_async(k.lending.retention.purge, what="the member's views purged after the grace")
    assert k.store.rows("SELECT * FROM member_views") == []
    for handler in root_logger.handlers:
        handler.flush()
    assert found_in(folder, KIM, NAME, NAME_EN, *TITLES) == []


def test_card_lookups_are_keyed_by_the_kiosk_secret(kiosk, tmp_path):
    """The same card under another kiosk's key finds nothing; the key file is the kiosk user's
    alone and not in the store."""
    k = kiosk()
    key_file = k.settings.data_dir / "card-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_bytes().strip() not in k.store.path.read_bytes()
    member = Member(id=9, card_number=KIM, name=NAME, status=MemberStatus.ACTIVE, loan_limit=5, fines=0)
    k.store.conn.execute("INSERT INTO member_views (member_id, page, fetched_at, expires_at) "
                            "VALUES (9, '{}', 0, 0)")
    k.lending.cards.remember(KIM, member)
    assert k.lending.cards.find(KIM) == member
    assert CardLookup(k.store, b"another kiosk").find(KIM) is None
    assert card_secret(k.settings) == key_file.read_bytes().strip(), "made once, then reused"


def test_a_folder_that_cannot_hold_the_key_still_lets_the_kiosk_start(tmp_path):
    """Outage twin of the key file: no credential, and a data path the key cannot be written to
    (here a file where the folder should be: it stops root too, which a mode would not)."""
    from sync_agent.settings import Settings

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    first = card_secret(Settings(data_dir=blocked))
    assert len(first) == 64
    assert card_secret(Settings(data_dir=blocked)) != first, "one for each run, never written"


def test_the_log_file_and_its_rotations_are_private_under_a_loose_umask(tmp_path, root_logger):
    before = os.umask(0o022)
    try:
        logbook.install(tmp_path)
        [handler] = [h for h in root_logger.handlers if isinstance(h, logbook.PrivateRotatingFile)]
        logging.getLogger("kiosk_app.test").warning("a line")
        handler.doRollover()
        logging.getLogger("kiosk_app.test").warning("another line")
        handler.flush()
    finally:
        os.umask(before)
    modes = {path.name: path.stat().st_mode & 0o777 for path in tmp_path.iterdir()}
    assert modes == {logbook.LOG_FILE: 0o600, logbook.LOG_FILE + ".1": 0o600}


def test_the_recent_lines_hold_the_kiosks_own_lines_not_each_http_request(tmp_path, root_logger):
    recent = logbook.install(tmp_path)
    logging.getLogger("httpx").info('HTTP Request: GET http://127.0.0.1:8080/health "HTTP/1.1 200 OK"')
    logging.getLogger("kiosk_app.app").info("member screen: member 1 (central view)")
    logging.getLogger("httpx").warning("a warning of the HTTP client is kept")
    kept = "\n".join(recent.lines)
    assert "HTTP Request" not in kept
    assert "member screen: member 1" in kept and "a warning of the HTTP client is kept" in kept


async def test_a_visit_with_a_pin_leaves_no_pin_in_the_store_its_log_or_the_log_files(kiosk, root_logger):
    """``patron_pin = "required"``: a wrong PIN, then the right one, a borrow, a return and the
    receipt, everything logged down to debug; the raw bytes of the database file, its
    write-ahead log and the log files hold neither PIN, during the visit or after it."""
    pin, wrong = KIM_PIN, "460213"  # 김민지's PIN (data/README.md), and one that is not
    k = kiosk(lang="en", patron_pin="required")
    folder = k.settings.data_dir
    logbook.install(folder)
    root_logger.setLevel(logging.DEBUG)
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        for typed in (wrong, pin):
            for digit in typed:
                await pilot.press(digit)
            await pilot.press("enter")
            await settle(pilot)
        assert isinstance(k.app.screen, MemberScreen)
        await scan_and_settle(pilot, HOLD_READY, ON_LOAN)
        assert k.app.session.borrows and k.app.session.returns
        assert (folder / "kiosk.sqlite3-wal").stat().st_size > 0, "the write-ahead log is searched too"
        assert found_in(folder, pin, wrong) == [], "during the visit"
        await pilot.click("#done")
        await settle(pilot)
        await pilot.click("#finish")
        await settle(pilot)
    assert (await k.relay.drain(10)).delivered == 1
    for handler in root_logger.handlers:
        handler.flush()
    assert (folder / logbook.LOG_FILE).stat().st_size > 0
    assert "patron PIN wrong" in (folder / logbook.LOG_FILE).read_text()
    assert found_in(folder, pin, wrong) == []
