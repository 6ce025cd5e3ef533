"""Idempotency-Key: a repeat answers the first response and changes nothing."""

import httpx
import pytest

from kiosk_data.codes import ON_LOAN, OTHERS_HOLD

from .conftest import error_code


def test_repeat_returns_the_first_answer_marked_replayed(api):
    first = api.kiosk_return(ON_LOAN, key="kiosk-01:aaa")
    api.advance(3)  # a later repeat would compute a different fine if it were applied again
    body = {"barcode": ON_LOAN, "kioskNo": "kiosk-01",
            "occurredAt": first.json()["returnedAt"]}
    repeat = api.post("/kiosk/returns", json=body, headers={"Idempotency-Key": "kiosk-01:aaa"})
    assert first.status_code == repeat.status_code == 200
    assert repeat.json() == first.json()
    assert repeat.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert api.key_counts() == {"kiosk-01:aaa": 1}


def test_repeated_reservation_pays_once(api):
    first = api.reserve(6, 4, key="r-1")
    second = api.reserve(6, 4, key="r-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert len(api.payments(6)) == 1
    assert len(api.get("/rentals", params={"memberId": 6}).json()) == 1


def test_same_key_with_a_different_body_is_422(api):
    assert api.reserve(6, 4, key="r-2").status_code == 201
    mismatch = api.reserve(6, 7, key="r-2")
    assert mismatch.status_code == 422 and error_code(mismatch) == "idempotency_mismatch"
    other_path = api.patch("/rentals/1", json={"reqState": "cancel"}, headers={"Idempotency-Key": "r-2"})
    assert error_code(other_path) == "idempotency_mismatch"
    assert api.rental(1)["status"] == "reserved"
    assert len(api.payments(6)) == 1


def test_equivalent_json_is_the_same_request(api):
    first = api.post("/rentals", content=b'{"memberId": 6, "bookId": 4}',
                     headers={"Idempotency-Key": "r-3", "Content-Type": "application/json"})
    second = api.post("/rentals", content=b'{"bookId":4,"memberId":6}',
                      headers={"Idempotency-Key": "r-3", "Content-Type": "application/json"})
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()


def test_refusals_are_not_remembered_so_a_fixed_request_can_be_retried(api):
    assert error_code(api.kiosk_rent(6, ON_LOAN, key="rent-1")) == "return_pending"
    assert api.key_counts() == {}
    api.kiosk_return(ON_LOAN)
    api.reserve(6, 2)
    retried = api.kiosk_rent(6, ON_LOAN, key="rent-1")
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
    assert api.key_counts() == {"rent-1": 1}


def test_every_command_honours_the_key(api):
    patch = [api.patch("/rentals/1", json={"reqState": "cancel"}, headers={"Idempotency-Key": "p"})
             for _ in range(2)]
    rent = [api.kiosk_rent(1, OTHERS_HOLD, key="x") for _ in range(2)]  # refused: not kept
    assert [r.status_code for r in patch] == [200, 200]
    assert patch[1].headers["Idempotent-Replayed"] == "true"
    assert [r.status_code for r in rent] == [409, 409]
    assert api.key_counts() == {"p": 1}


def test_overlong_key_is_422(api):
    response = api.reserve(6, 4, key="k" * 201)
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert api.get("/rentals", params={"memberId": 6}).json() == []


def test_a_dropped_answer_is_applied_once_and_replayed_on_retry(central):
    """The worst case for a client: applied, then the connection cut before the answer."""
    central.set_fault("rental", drop_rate=1.0)
    now = httpx.get(f"{central.url}/admin/clock").json()["now"]
    body = {"barcode": ON_LOAN, "kioskNo": "kiosk-01", "occurredAt": now}
    headers = {"Idempotency-Key": "kiosk-01:drop"}
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{central.url}/kiosk/returns", json=body, headers=headers)
    central.clear_faults()
    retry = httpx.post(f"{central.url}/kiosk/returns", json=body, headers=headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["status"] == "returned"
    assert central.key_counts() == {"kiosk-01:drop": 1}
