"""Faults on demand: down, slow, 5xx, dropped connections; from the CLI and the admin API."""

import logging
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from backend_stub.app import create_app
from backend_stub.cli import _DroppedOnPurpose, faults_from, parser
from backend_stub.faults import ServiceFaults
from backend_stub.middleware import ConnectionDropped
from kiosk_data.codes import KIM, ON_LOAN

from .conftest import error_code


def test_down_service_answers_503_with_retry_after_and_health_says_so(api):
    api.fault("rental", down=True, retryAfter=5)
    response = api.get(f"/members/{KIM}")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert error_code(response) == "service_down" and response.json()["service"] == "rental"
    health = api.get("/health").json()
    assert health == {"status": "degraded",
                      "services": {"rental": "down", "payment": "up", "book": "up"}}


def test_slow_service_delays_the_answer_by_its_latency(api):
    api.fault("payment", latencyMs=[300, 300])
    started = time.monotonic()
    assert api.get("/payments").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert api.get("/admin/faults").json()["payment"]["latency_ms"] == [300, 300]


def test_error_rate_answers_500_without_applying(api):
    api.fault("rental", errorRate=1.0)
    response = api.kiosk_return(ON_LOAN, key="e-1")
    assert response.status_code == 500 and error_code(response) == "internal_error"
    assert "Retry-After" not in response.headers
    api.fault("rental")
    assert api.rental(2)["status"] == "rented"
    assert api.key_counts() == {}


def test_a_sync_dependency_fails_the_whole_request(api):
    api.fault("payment", errorRate=1.0)
    response = api.reserve(6, 4)
    assert response.status_code == 500 and response.json()["service"] == "payment"
    assert api.get("/rentals", params={"memberId": 6}).json() == []


def test_error_rate_is_reproducible_with_a_seed(tmp_path):
    def outcomes(name):
        app = create_app(tmp_path / f"{name}.db", faults_enabled=True, seed=42,
                         faults={"book": ServiceFaults(error_rate=0.5)})
        with TestClient(app) as client:
            codes = [client.get("/books/30042000000048").status_code for _ in range(40)]
        app.state.stand_in.db.close()
        return codes

    first = outcomes("a")
    assert first == outcomes("b")
    assert {200, 500} == set(first)


def test_dropped_connection_is_a_protocol_error_for_the_client(central):
    central.set_fault("book", drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{central.url}/books/30042000000048")
    # health is never dropped, and the server keeps serving
    assert httpx.get(f"{central.url}/health").status_code == 200


def test_faults_of_one_service_leave_the_others_alone(central):
    central.set_fault("book", down=True)
    assert httpx.get(f"{central.url}/members/{KIM}").status_code == 200
    assert httpx.get(f"{central.url}/payments").status_code == 200


def test_admin_api_is_refused_unless_faults_are_enabled(tmp_path):
    app = create_app(tmp_path / "closed.db")
    with TestClient(app) as client:
        for method, path in (("GET", "/admin/faults"), ("PUT", "/admin/faults/book"),
                             ("POST", "/admin/clock/advance"), ("GET", "/admin/idempotency")):
            response = client.request(method, path, json={"down": True, "seconds": 1})
            assert response.status_code == 403 and response.json()["code"] == "forbidden"
        assert client.get("/health").json()["status"] == "ok"
    app.state.stand_in.db.close()


@pytest.mark.parametrize(("service", "body"), [
    ("mypage", {"down": True}),
    ("book", {"errorRate": 2}),
    ("book", {"latencyMs": [500, 100]}),
    ("book", {"latencyMs": "slow"}),
])
def test_admin_rejects_bad_fault_settings(api, service, body):
    response = api.put(f"/admin/faults/{service}", json=body)
    assert response.status_code == 422 and error_code(response) == "validation_error"


def test_admin_rejects_a_clock_going_backwards(api):
    assert api.post("/admin/clock/advance", json={"seconds": -5}).status_code == 422


def test_command_line_faults():
    args = parser().parse_args(["--down", "book", "--down", "payment", "--latency", "400-620",
                                "--error-rate", "rental=0.25", "--drop-rate", "0.1",
                                "--retry-after", "9", "--faults", "--seed", "3"])
    faults = faults_from(args)
    assert faults["book"] == ServiceFaults(down=True, latency_ms=(400, 620), drop_rate=0.1,
                                           retry_after=9)
    assert faults["rental"] == ServiceFaults(latency_ms=(400, 620), error_rate=0.25,
                                             drop_rate=0.1, retry_after=9)
    assert faults["payment"].down and (args.faults, args.seed) == (True, 3)


@pytest.mark.parametrize("argv", [
    ["--down", "mypage"], ["--latency", "620-400"], ["--latency", "fast"],
    ["--error-rate", "1.5"], ["--drop-rate", "kiosk=0.1"],
])
def test_command_line_rejects_bad_faults(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(argv)
    assert exit_.value.code == 2
    assert "kiosk-backend: error" in capsys.readouterr().err


def test_a_dropped_connection_is_logged_in_one_line():
    try:
        raise ConnectionDropped("/kiosk/returns")
    except ConnectionDropped:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1,
                                   "Exception in ASGI application", None, sys.exc_info())
    assert _DroppedOnPurpose().filter(record)
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert record.getMessage() == "connection cut on purpose (drop fault) after /kiosk/returns"
