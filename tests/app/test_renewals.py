"""Renewals at the kiosk against the real stand-in over HTTP: renewed to a new date, each of the
four reasons why not, the breaker's "try again", and a renewal whose answer was lost."""

from __future__ import annotations

import httpx

from backend_stub import rental_service
from kiosk_app.receipt import build_receipt
from kiosk_data.codes import KIM, ON_LOAN, OVERDUE
from kiosk_testing.pilot import screen_text
from tests.app.conftest import SIZE, scan_and_settle, settle

NOT_RENEWED = {
    "limit": "renewed as often as the library allows",
    "reserved": "another member has reserved this book",
    "blocked": "your card is blocked",
    "overdue": "an overdue book cannot be renewed",
}


def loan_of(central, barcode: str) -> dict:
    [loan] = [r for r in httpx.get(f"{central.url}/rentals", params={"memberId": 1, "status": "rented"}).json()
              if r["barcode"] == barcode]
    return loan


def stand_in(central):
    return central.app.state.stand_in


async def renew(pilot, barcode: str | None) -> None:
    pilot.app.renew_loans(barcode)
    await settle(pilot)


async def test_renew_shows_the_new_due_date_and_the_central_side_has_it(kiosk, central):
    k = kiosk(lang="en")
    before = loan_of(central, ON_LOAN)["dueAt"]
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        assert "Renew all" in screen_text(k.app)
        await renew(pilot, ON_LOAN)
        [line] = k.app.session.renewals
        assert line.renewed and line.due_at is not None
        text = screen_text(k.app)
        assert "Renewed · now due" in text
        assert k.app.session.patron.loan(ON_LOAN).due_at == line.due_at  # the loan list shows it too
        receipt = "\n".join(build_receipt(k.app.session, "en", k.app.tz).lines)
        assert "Renewed  The Pragmatic Programmer" in receipt
    after = loan_of(central, ON_LOAN)
    assert after["dueAt"] != before and after["renewals"] == 1


async def test_each_reason_why_not_in_words(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await renew(pilot, OVERDUE)
        assert NOT_RENEWED["overdue"] in screen_text(k.app)
        assert "The library says" not in screen_text(k.app)  # the REST message is not for patrons
        await renew(pilot, ON_LOAN)
        await renew(pilot, ON_LOAN)
        await renew(pilot, ON_LOAN)
        assert NOT_RENEWED["limit"] in screen_text(k.app)
        assert [line.renewed for line in k.app.session.renewals] == [False, True, True, False]
    assert loan_of(central, ON_LOAN)["renewals"] == 2


async def test_a_copy_someone_waits_for_and_a_card_blocked_meanwhile(kiosk, central):
    stand_in(central).run(lambda conn, now: rental_service.place_hold(conn, 2, ON_LOAN, now))
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await renew(pilot, ON_LOAN)
        assert NOT_RENEWED["reserved"] in screen_text(k.app)
        stand_in(central).run(lambda conn, now: conn.execute(
            "UPDATE members SET status = 'blocked', fines = 12000 WHERE id = 1"))
        await renew(pilot, ON_LOAN)
        assert NOT_RENEWED["blocked"] in screen_text(k.app)
    assert loan_of(central, ON_LOAN)["renewals"] == 0


async def test_renew_all_answers_for_each_loan(kiosk, central):
    k = kiosk(lang="ko")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        await pilot.click("#renew-all")
        await settle(pilot)
        outcome = {line.barcode: line.renewed for line in k.app.session.renewals}
        assert outcome == {ON_LOAN: True, OVERDUE: False}
        text = screen_text(k.app)
        assert "연체된 책은 연장할 수 없습니다" in text and "연장되었습니다 · 반납 예정일" in text


async def test_the_library_system_down_says_try_again_and_changes_nothing(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        httpx.put(f"{central.url}/admin/faults/rental", json={"down": True}).raise_for_status()
        await renew(pilot, ON_LOAN)
        assert "Cannot renew right now" in screen_text(k.app)
        httpx.delete(f"{central.url}/admin/faults").raise_for_status()
    assert loan_of(central, ON_LOAN)["renewals"] == 0


async def test_a_lost_answer_is_in_doubt_and_a_second_tap_renews_once(kiosk, central):
    k = kiosk(lang="en")
    async with k.app.run_test(size=SIZE) as pilot:
        await scan_and_settle(pilot, KIM)
        httpx.put(f"{central.url}/admin/faults/rental", json={"dropRate": 1.0}).raise_for_status()
        await renew(pilot, ON_LOAN)
        assert "The renewal could not be confirmed" in screen_text(k.app)
        httpx.delete(f"{central.url}/admin/faults").raise_for_status()
        await renew(pilot, ON_LOAN)  # the same key: the central side answers its first answer
        assert [line.renewed for line in k.app.session.renewals] == [False, True]
        assert "Renewed · now due" in screen_text(k.app)
    assert loan_of(central, ON_LOAN)["renewals"] == 1
