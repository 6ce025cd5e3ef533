"""The ``central`` fixture: a real server whose helpers other rooms' tests rely on."""

import httpx
import pytest
from fastapi.testclient import TestClient

from backend_stub.app import create_app
from backend_stub.faults import ServiceFaults
from kiosk_data.codes import HOLD_READY, KIM, ON_LOAN


def test_serves_the_demo_library_over_real_http(central):
    assert central.url.startswith("http://127.0.0.1:")
    response = httpx.get(f"{central.url}/members/{KIM}")
    assert response.status_code == 200
    assert response.json()["name"] == "김민지"


def test_stop_makes_the_api_unreachable_and_start_brings_it_back_with_its_data(central):
    key = "restart-1"
    body = {"barcode": ON_LOAN, "kioskNo": "k1", "occurredAt": "2026-01-01T00:00:00Z"}
    # the loan started 7 days ago by the stand-in's clock; return it now
    body["occurredAt"] = httpx.get(f"{central.url}/admin/clock").json()["now"]
    assert httpx.post(f"{central.url}/kiosk/returns", json=body,
                      headers={"Idempotency-Key": key}).status_code == 200
    port = central.port
    central.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{central.url}/health")
    central.start()
    assert central.port == port
    assert central.key_counts() == {key: 1}
    assert httpx.get(f"{central.url}/books/30042000000022").json()["status"] == "available"


def test_set_fault_and_clear_faults(central):
    central.set_fault("book", down=True, retry_after=7)
    down = httpx.get(f"{central.url}/books/30042000000048")
    assert down.status_code == 503 and down.headers["Retry-After"] == "7"
    assert httpx.get(f"{central.url}/health").json()["services"]["book"] == "down"
    central.clear_faults()
    assert httpx.get(f"{central.url}/books/30042000000048").status_code == 200


def test_advance_clock_moves_the_stand_in_forward(central):
    before = httpx.get(f"{central.url}/admin/clock").json()["now"]
    central.advance_clock(86400)
    after = httpx.get(f"{central.url}/admin/clock").json()["now"]
    assert after[:10] > before[:10]


def test_an_existing_database_is_reopened_not_reseeded(tmp_path):
    path = tmp_path / "kept.db"
    first = create_app(path)
    with TestClient(first) as client:
        assert client.patch("/rentals/1", json={"reqState": "cancel"}).status_code == 200
    first.state.stand_in.db.close()
    second = create_app(path)
    with TestClient(second) as client:
        assert [r["status"] for r in client.get("/rentals", params={"bookId": 1}).json()] == [
            "cancelled"]
        assert len(client.get("/books").json()["books"]) == 16
    second.state.stand_in.db.close()


def test_a_reopened_database_applies_the_events_an_outage_left_behind(tmp_path):
    path = tmp_path / "outage.db"
    during = create_app(path, faults={"book": ServiceFaults(down=True)})
    with TestClient(during) as client:
        assert client.patch("/rentals/2", json={"reqState": "return"}).status_code == 200
    during.state.stand_in.db.close()
    after = create_app(path)
    with TestClient(after) as client:
        assert client.get("/books/30042000000022").json()["status"] == "available"
    after.state.stand_in.db.close()


def test_make_central_starts_a_guarded_stand_in_with_faults_at_start(make_central):
    guarded = make_central(token="t0k", faults={"payment": ServiceFaults(down=True)},
                           db_name="guarded.db")
    assert httpx.get(f"{guarded.url}/members/{KIM}").status_code == 401
    member = httpx.get(f"{guarded.url}/members/{KIM}", headers={"Authorization": "Bearer t0k"})
    assert member.status_code == 200
    assert httpx.get(f"{guarded.url}/health").json()["services"]["payment"] == "down"
    guarded.clear_faults()  # the admin helpers carry the token
    assert httpx.get(f"{guarded.url}/health").json()["status"] == "ok"


def test_withdraw_helper_cancels_the_hold_on_the_copy(central):
    assert central.withdraw(HOLD_READY)["status"] == "withdrawn"
    rentals = httpx.get(f"{central.url}/rentals", params={"bookId": 1}).json()
    assert [r["status"] for r in rentals] == ["cancelled"]
    assert central.backlog() == {"book-status": 0, "payment-refunds": 0, "mypage": 0}
