"""Eventual consistency: book status, refunds and hold expiry follow rental events."""

import httpx

from kiosk_data.codes import HOLD_READY, ON_LOAN

from .conftest import error_code


def test_returns_are_accepted_while_book_management_is_down_and_the_book_catches_up(api):
    api.fault("book", down=True)
    response = api.kiosk_return(ON_LOAN)
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert api.backlog()["book-status"] == 1
    assert api.get(f"/books/{ON_LOAN}").status_code == 503
    # the rental side and MyPage are current; only the shelf record waits
    assert api.rental(2)["status"] == "returned"
    assert ON_LOAN not in [e["barcode"] for e in api.get("/mypages/1").json()["loans"]]
    with api.stand_in.db.transaction() as conn:
        shelf = conn.execute("SELECT status FROM books WHERE barcode = ?", (ON_LOAN,)).fetchone()
    assert shelf[0] == "rented"
    api.fault("book", down=False)
    assert api.backlog()["book-status"] == 0
    assert api.book(ON_LOAN)["status"] == "available"


def test_self_rent_needs_book_management_and_says_when_to_retry(api):
    api.fault("book", down=True, retryAfter=30)
    response = api.kiosk_rent(1, HOLD_READY)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert error_code(response) == "service_down" and response.json()["service"] == "book"
    assert api.rental(1)["status"] == "reserved"
    api.fault("book", down=False)
    assert api.kiosk_rent(1, HOLD_READY).status_code == 200


def test_kioskrental_patch_needs_book_management_but_counter_rental_does_not(api):
    api.fault("book", down=True)
    assert api.patch("/rentals/1", json={"reqState": "kioskrental"}).status_code == 503
    assert api.patch("/rentals/1", json={"reqState": "rental"}).status_code == 200


def test_reserving_needs_payment(api):
    api.fault("payment", down=True)
    response = api.reserve(6, 4)
    assert response.status_code == 503 and response.json()["service"] == "payment"
    assert api.get("/rentals", params={"memberId": 6}).json() == []


def test_cancel_is_accepted_while_payment_is_down_and_refunded_on_recovery(api):
    api.fault("payment", down=True)
    assert api.patch("/rentals/1", json={"reqState": "cancel"}).status_code == 200
    assert api.backlog()["payment-refunds"] == 1
    api.fault("payment", down=False)
    assert [p["status"] for p in api.payments(1)] == ["refunded"]


def test_hold_expires_after_three_days_and_is_refunded(api):
    api.advance(1.9)          # reserved 1 day ago: still held
    assert api.rental(1)["status"] == "reserved"
    api.advance(0.2)
    assert api.rental(1)["status"] == "expired"
    assert [p["status"] for p in api.payments(1)] == ["refunded"]
    assert api.book(HOLD_READY)["status"] == "available"
    assert api.get("/mypages/1").json()["reservations"] == []
    assert error_code(api.kiosk_rent(1, HOLD_READY)) == "not_reserved"


def test_withdrawn_copy_cancels_its_reservation_with_a_refund(api):
    response = api.post(f"/admin/books/{HOLD_READY}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert api.rental(1)["status"] == "cancelled"
    assert [p["status"] for p in api.payments(1)] == ["refunded"]
    assert api.book(HOLD_READY)["status"] == "withdrawn"
    assert error_code(api.kiosk_rent(1, HOLD_READY)) == "book_withdrawn"
    assert error_code(api.reserve(6, 1)) == "book_withdrawn"


def test_withdrawing_an_unknown_copy_is_404(api):
    assert api.post("/admin/books/30042000009990/withdraw").status_code == 404


def test_book_outage_survives_a_restart_of_the_whole_api(central):
    central.set_fault("book", down=True)
    body = {"barcode": ON_LOAN, "kioskNo": "k", "occurredAt": httpx.get(
        f"{central.url}/admin/clock").json()["now"]}
    assert httpx.post(f"{central.url}/kiosk/returns", json=body).status_code == 200
    central.stop()
    central.start()
    assert central.backlog()["book-status"] == 1
    central.clear_faults()
    assert central.backlog()["book-status"] == 0
    assert httpx.get(f"{central.url}/books/{ON_LOAN}").json()["status"] == "available"
