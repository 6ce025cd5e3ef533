"""Self-return and self-rent by barcode, the kiosk-friendly forms of the seed's kiosk service."""

import pytest

from kiosk_data.codes import AVAILABLE, HOLD_READY, LOST, ON_LOAN, OTHERS_HOLD, OVERDUE
from sync_agent.wire.rest import Rental

from .conftest import days, error_code


def test_return_on_time_has_no_fine_and_frees_the_copy(api):
    response = api.kiosk_return(ON_LOAN)
    assert response.status_code == 200
    rental = Rental.model_validate(response.json())
    assert (rental.id, rental.status, rental.fine, rental.kiosk_no) == (2, "returned", 0, "kiosk-01")
    assert api.book(ON_LOAN)["status"] == "available"
    assert [e["barcode"] for e in api.get("/mypages/1").json()["loans"]] == [OVERDUE]


def test_overdue_return_is_fined_per_calendar_day(api):
    rental = Rental.model_validate(api.kiosk_return(OVERDUE).json())
    assert rental.fine == 5 * 100
    assert api.get("/mypages/1").json()["fines"] == 500


def test_fine_counts_from_occurred_at_not_from_delivery(api):
    dropped_in_slot = api.now() - days(4)      # 1 day late when the patron returned it
    api.advance(10)                            # delivered ten days later (kiosk was offline)
    rental = Rental.model_validate(api.kiosk_return(OVERDUE, occurred_at=dropped_in_slot).json())
    assert (rental.returned_at, rental.fine) == (dropped_in_slot, 100)


def test_return_of_a_copy_not_on_loan_is_refused(api):
    for barcode in (AVAILABLE, HOLD_READY, LOST):
        response = api.kiosk_return(barcode)
        assert response.status_code == 409 and error_code(response) == "not_rented"


def test_second_return_of_the_same_copy_with_another_key_is_refused(api):
    assert api.kiosk_return(ON_LOAN, key="k-1").status_code == 200
    assert error_code(api.kiosk_return(ON_LOAN, key="k-2")) == "not_rented"


def test_return_of_an_unknown_barcode_is_404(api):
    response = api.kiosk_return("30042000009990")
    assert response.status_code == 404 and error_code(response) == "not_found"


def test_rent_of_the_members_reservation_gives_a_due_date(api):
    response = api.kiosk_rent(1, HOLD_READY)
    assert response.status_code == 200
    rental = Rental.model_validate(response.json())
    assert (rental.id, rental.status, rental.kiosk_no) == (1, "rented", "kiosk-01")
    assert rental.due_at - rental.rented_at == days(14)
    assert api.book(HOLD_READY)["status"] == "rented"
    page = api.get("/mypages/1").json()
    assert page["reservations"] == [] and HOLD_READY in [e["barcode"] for e in page["loans"]]


@pytest.mark.parametrize(("member_id", "barcode", "code"), [
    (1, OTHERS_HOLD, "reserved_for_other"),
    (1, AVAILABLE, "not_reserved"),
    (1, LOST, "book_withdrawn"),
    (1, ON_LOAN, "return_pending"),       # on the shelf at the kiosk, but its return not in yet
    (3, HOLD_READY, "member_blocked"),
    (4, HOLD_READY, "member_withdrawn"),
])
def test_rent_refusals_are_409_and_change_nothing(api, member_id, barcode, code):
    before = api.get("/rentals").json()
    response = api.kiosk_rent(member_id, barcode)
    assert response.status_code == 409 and error_code(response) == code
    assert api.get("/rentals").json() == before


def test_rent_after_the_pending_return_arrives(api):
    assert error_code(api.kiosk_rent(6, ON_LOAN)) == "return_pending"
    assert api.kiosk_return(ON_LOAN).status_code == 200
    assert api.reserve(6, 2).status_code == 201
    assert api.kiosk_rent(6, ON_LOAN).status_code == 200


def test_rent_with_unknown_member_or_barcode_is_404(api):
    assert api.kiosk_rent(999, HOLD_READY).status_code == 404
    assert api.kiosk_rent(1, "30042000009990").status_code == 404


def test_rent_with_missing_fields_is_422(api):
    response = api.post("/kiosk/rentals", json={"barcode": HOLD_READY})
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert "memberId" in response.json()["message"]
