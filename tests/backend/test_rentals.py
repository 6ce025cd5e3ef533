"""Reserve (POST /rentals, paid synchronously) and the seed's reqState transitions (PATCH)."""

from datetime import datetime

import pytest

from kiosk_data import codes
from sync_agent.wire.rest import Rental

from .conftest import days, error_code

AVAILABLE = 4          # Clean Code
OTHERS_HOLD = 5        # reserved for member 2
WITHDRAWN_COPY = 6
ON_LOAN = 2            # to member 1


def test_reserve_pays_the_fee_and_reserves_the_copy(api):
    response = api.reserve(6, AVAILABLE)
    assert response.status_code == 201
    rental = Rental.model_validate(response.json())
    assert (rental.member_id, rental.book_id, rental.status) == (6, AVAILABLE, "reserved")
    assert (rental.hold_until - rental.reserved_at) == days(3)
    (payment,) = api.payments(6)
    assert (payment["id"], payment["rentalId"], payment["amount"], payment["status"]) == (
        rental.payment_id, rental.id, 1000, "paid")
    assert api.book(codes.AVAILABLE)["status"] == "reserved"
    assert [e["rentalId"] for e in api.get("/mypages/6").json()["reservations"]] == [rental.id]


def test_a_kiosks_reservation_records_the_kiosk_and_runs_from_when_the_patron_asked(api):
    asked = api.now() - days(0.01)
    response = api.post("/rentals", json={"memberId": 6, "bookId": AVAILABLE, "kioskNo": "kiosk-07",
                                          "occurredAt": asked.isoformat()})
    assert response.status_code == 201
    rental = Rental.model_validate(response.json())
    assert (rental.kiosk_no, rental.reserved_at, rental.hold_until) == ("kiosk-07", asked, asked + days(3))


@pytest.mark.parametrize(("member_id", "book_id", "code"), [
    (3, AVAILABLE, "member_blocked"),
    (4, AVAILABLE, "member_withdrawn"),
    (6, WITHDRAWN_COPY, "book_withdrawn"),
    (6, ON_LOAN, "book_unavailable"),
    (6, OTHERS_HOLD, "reserved_for_other"),
    (1, 1, "invalid_state"),             # already reserved for this member
    (5, AVAILABLE, "limit_reached"),     # 2 loans, limit 2
    (7, AVAILABLE, "payment_declined"),
])
def test_reserve_refusals_are_409_and_leave_nothing_behind(api, member_id, book_id, code):
    rentals_before = api.get("/rentals").json()
    payments_before = api.get("/payments").json()
    response = api.reserve(member_id, book_id)
    assert response.status_code == 409
    assert error_code(response) == code
    assert api.get("/rentals").json() == rentals_before
    assert api.get("/payments").json() == payments_before


def test_reserve_of_unknown_member_or_book_is_404(api):
    assert error_code(api.reserve(999, AVAILABLE)) == "not_found"
    missing_book = api.reserve(6, 999)
    assert missing_book.status_code == 404 and missing_book.json()["service"] == "book"


def test_limit_counts_reservations_too(api):
    for book_id in (4, 7, 8, 11, 12):
        assert api.reserve(6, book_id).status_code == 201
    assert error_code(api.reserve(6, 13)) == "limit_reached"


def test_cancel_refunds_the_fee_and_frees_the_copy(api):
    response = api.patch("/rentals/1", json={"reqState": "cancel"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    (payment,) = api.payments(1)
    assert payment["status"] == "refunded" and payment["refundedAt"] is not None
    assert api.book(codes.HOLD_READY)["status"] == "available"
    assert api.get("/mypages/1").json()["reservations"] == []


def test_cancel_of_a_loan_is_refused(api):
    response = api.patch("/rentals/2", json={"reqState": "cancel"})
    assert response.status_code == 409 and error_code(response) == "not_reserved"


@pytest.mark.parametrize("req_state", ["rental", "kioskrental"])
def test_rental_turns_the_reservation_into_a_loan_due_in_14_days(api, req_state):
    occurred = api.now() - days(1)
    response = api.patch("/rentals/1", json={"reqState": req_state, "kioskNo": "kiosk-07",
                                             "occurredAt": occurred.isoformat()})
    assert response.status_code == 200
    rental = Rental.model_validate(response.json())
    assert (rental.status, rental.kiosk_no, rental.rented_at) == ("rented", "kiosk-07", occurred)
    assert rental.due_at - rental.rented_at == days(14)
    assert api.book(codes.HOLD_READY)["status"] == "rented"
    assert error_code(api.patch("/rentals/1", json={"reqState": req_state})) == "not_reserved"


@pytest.mark.parametrize("req_state", ["return", "kioskreturn"])
def test_return_closes_the_loan_with_the_fine_of_its_occurred_at(api, req_state):
    # item 3 was due 5 days ago; the patron returned it 2 days ago: 3 days late
    occurred = api.now() - days(2)
    response = api.patch("/rentals/3", json={"reqState": req_state,
                                             "occurredAt": occurred.isoformat()})
    assert response.status_code == 200
    rental = Rental.model_validate(response.json())
    assert (rental.status, rental.returned_at, rental.fine) == ("returned", occurred, 300)
    assert api.get(f"/members/{codes.KIM}").json()["fines"] == 300
    assert api.book(codes.OVERDUE)["status"] == "available"
    assert error_code(api.patch("/rentals/3", json={"reqState": req_state})) == "not_rented"


def test_return_without_occurred_at_uses_the_time_of_arrival(api):
    response = api.patch("/rentals/3", json={"reqState": "return"})
    assert response.json()["fine"] == 500


def test_return_of_a_reservation_is_refused(api):
    response = api.patch("/rentals/1", json={"reqState": "return"})
    assert response.status_code == 409 and error_code(response) == "not_rented"


def test_patch_of_unknown_rental_is_404(api):
    response = api.patch("/rentals/999", json={"reqState": "cancel"})
    assert response.status_code == 404 and error_code(response) == "not_found"


@pytest.mark.parametrize("body", [
    {"reqState": "steal"},
    {"reqState": "return", "occurredAt": "yesterday"},
    {"reqState": "return", "occurredAt": "2026-01-01T00:00:00"},  # no timezone
    {},
])
def test_patch_with_bad_body_is_422_and_changes_nothing(api, body):
    response = api.patch("/rentals/3", json=body)
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert api.rental(3)["status"] == "rented"


def test_occurred_at_in_the_future_or_before_the_loan_is_refused(api):
    future = api.patch("/rentals/3", json={"reqState": "return",
                                           "occurredAt": (api.now() + days(1)).isoformat()})
    early = api.patch("/rentals/3", json={"reqState": "return",
                                          "occurredAt": (api.now() - days(30)).isoformat()})
    assert [future.status_code, early.status_code] == [422, 422]
    assert api.rental(3)["status"] == "rented"


def test_rental_by_a_member_blocked_since_reserving_is_refused(api):
    with api.stand_in.db.transaction() as conn:  # the library blocks the card at the desk
        conn.execute("UPDATE members SET status = 'blocked' WHERE id = 1")
    response = api.patch("/rentals/1", json={"reqState": "rental"})
    assert response.status_code == 409 and error_code(response) == "member_blocked"
    assert api.rental(1)["status"] == "reserved"


def test_rental_over_a_lowered_loan_limit_is_refused(api):
    with api.stand_in.db.transaction() as conn:  # the library lowers the member's limit
        conn.execute("UPDATE members SET loan_limit = 2 WHERE id = 1")
    response = api.patch("/rentals/1", json={"reqState": "rental"})
    assert response.status_code == 409 and error_code(response) == "limit_reached"


def test_fines_over_the_limit_block_the_member(api):
    api.advance(100)  # item 3 is now 105 days late: 10,500 KRW
    assert api.kiosk_return(codes.OVERDUE).json()["fine"] == 10_500
    member = api.get(f"/members/{codes.KIM}").json()
    assert (member["status"], member["fines"]) == ("blocked", 10_500)
    assert error_code(api.reserve(1, AVAILABLE)) == "member_blocked"


def test_kioskunrent_puts_a_kiosk_loan_back_on_hold_with_its_fee(api):
    """The undo of a kiosk loan the patron was told does not count: the reservation it was made
    from is held for them again, with the payment they made for it; applied once per key."""
    before = api.rental(1)
    assert api.kiosk_rent(1, codes.HOLD_READY).status_code == 200
    key = {"Idempotency-Key": "kiosk-07:unrent-1"}
    undo = {"reqState": "kioskunrent", "kioskNo": "kiosk-07"}
    first = api.patch("/rentals/1", json=undo, headers=key)
    again = api.patch("/rentals/1", json=undo, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    rental = Rental.model_validate(first.json())
    assert (rental.status, rental.rented_at, rental.due_at, rental.kiosk_no) == ("reserved", None, None, None)
    assert rental.payment_id == before["paymentId"] and rental.fee == 1000
    assert rental.hold_until is not None and rental.hold_until >= api.now() + days(1)
    [payment] = api.payments(1)
    assert payment["status"] == "paid", "the fee stays with the reservation"
    assert api.book(codes.HOLD_READY)["status"] == "reserved"
    assert [r["rentalId"] for r in api.get("/mypages/1").json()["reservations"]] == [1]
    assert api.kiosk_rent(1, codes.HOLD_READY).status_code == 200, "and it can be borrowed again"


def test_kioskunrent_keeps_a_hold_that_has_longer_to_run(api):
    hold = datetime.fromisoformat(api.rental(1)["holdUntil"])
    api.kiosk_rent(1, codes.HOLD_READY)
    restored = api.patch("/rentals/1", json={"reqState": "kioskunrent"}).json()
    assert datetime.fromisoformat(restored["holdUntil"]) == max(hold, api.now() + days(1))


@pytest.mark.parametrize(("rental_id", "code"), [(1, "not_rented"), (3, "invalid_state")])
def test_kioskunrent_only_of_an_unrenewed_kiosk_loan(api, rental_id, code):
    """A reservation is no loan; a loan made at the desk (item 3, overdue) is not a kiosk loan."""
    response = api.patch(f"/rentals/{rental_id}", json={"reqState": "kioskunrent"})
    assert response.status_code == 409 and error_code(response) == code
    assert api.rental(rental_id)["status"] == ("reserved" if rental_id == 1 else "rented")


def test_kioskunrent_of_a_renewed_loan_is_refused(api):
    api.kiosk_rent(1, codes.HOLD_READY)
    assert api.renew(1, codes.HOLD_READY).status_code == 200
    response = api.patch("/rentals/1", json={"reqState": "kioskunrent"})
    assert response.status_code == 409 and error_code(response) == "invalid_state"
