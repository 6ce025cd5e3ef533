"""Renewals (``POST /kiosk/renewals``): a new due date, or one of the four reasons why not."""

from backend_stub import rental_service
from backend_stub.rules import LOAN_DAYS, RENEWAL_LIMIT
from kiosk_data.codes import AT_LIMIT_LOAN, AVAILABLE, ON_LOAN, OVERDUE
from sync_agent.wire.rest import Rental

from .conftest import days, error_code


def _block(api, member_id: int) -> None:
    """The desk blocks the card (fines over the limit)."""
    api.stand_in.run(lambda conn, now: conn.execute(
        "UPDATE members SET status = 'blocked', fines = 12000 WHERE id = ?", (member_id,)))


def test_a_renewal_adds_a_loan_period_to_the_due_date_and_shows_on_the_member_page(api):
    before = api.rental(2)
    response = api.renew(1, ON_LOAN)
    assert response.status_code == 200, response.text
    rental = Rental.model_validate(response.json())
    assert rental.renewals == 1 and rental.status == "rented"
    assert rental.due_at - Rental.model_validate(before).due_at == days(LOAN_DAYS)
    [loan] = [e for e in api.get("/mypages/1").json()["loans"] if e["barcode"] == ON_LOAN]
    assert loan["dueAt"] == response.json()["dueAt"]


def test_the_renewal_limit(api):
    for _ in range(RENEWAL_LIMIT):
        assert api.renew(1, ON_LOAN).status_code == 200
    refused = api.renew(1, ON_LOAN)
    assert refused.status_code == 409 and error_code(refused) == "renewal_limit"
    assert api.rental(2)["renewals"] == RENEWAL_LIMIT


def test_a_copy_another_member_waits_for_is_not_renewed(api):
    api.stand_in.run(lambda conn, now: rental_service.place_hold(conn, 2, ON_LOAN, now))
    refused = api.renew(1, ON_LOAN)
    assert error_code(refused) == "reserved_for_other"
    assert api.rental(2)["renewals"] == 0


def test_a_blocked_member_cannot_renew(api):
    _block(api, 5)
    assert error_code(api.renew(5, AT_LIMIT_LOAN)) == "member_blocked"


def test_an_overdue_loan_is_not_renewed_where_the_library_forbids_it(api):
    before = api.rental(3)["dueAt"]
    assert error_code(api.renew(1, OVERDUE)) == "overdue"
    assert api.rental(3)["dueAt"] == before


def test_only_the_members_own_loan_is_renewed(api):
    assert error_code(api.renew(1, AT_LIMIT_LOAN)) == "not_rented"
    assert error_code(api.renew(1, AVAILABLE)) == "not_rented"  # on the shelf


def test_a_repeated_key_renews_once(api):
    first = api.renew(1, ON_LOAN, key="renew-k1")
    again = api.renew(1, ON_LOAN, key="renew-k1")
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert api.rental(2)["renewals"] == 1
