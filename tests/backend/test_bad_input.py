"""Bad input gets a clear 4xx with an ErrorBody and changes nothing."""

import socket
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient

from backend_stub.app import create_app
from backend_stub.middleware import MAX_BODY_BYTES
from kiosk_data.codes import KIM, ON_LOAN
from kiosk_testing.waiting import wait_until

from .conftest import error_code

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("content", [b'{"memberId": 6, "bookId": ', b"not json", b"[1, 2]", b""])
def test_malformed_json_is_422(api, content):
    response = api.post("/rentals", content=content, headers=JSON)
    assert response.status_code == 422 and error_code(response) == "validation_error"


@pytest.mark.parametrize("body", [
    {"memberId": "six", "bookId": 4},
    {"memberId": 6},
    {"memberId": 6, "bookId": [4]},
    {"memberId": None, "bookId": 4},
])
def test_wrong_types_are_422_naming_the_field(api, body):
    response = api.post("/rentals", json=body)
    assert response.status_code == 422 and error_code(response) == "validation_error"
    assert "body" in response.json()["message"]
    assert api.get("/rentals", params={"memberId": 6}).json() == []


def test_oversized_body_is_413_by_declared_length(api):
    big = b'{"barcode": "' + b"3" * MAX_BODY_BYTES + b'"}'
    response = api.post("/kiosk/returns", content=big, headers=JSON)
    assert response.status_code == 413 and error_code(response) == "payload_too_large"


def test_oversized_chunked_body_is_413(central):
    def chunks():
        for _ in range(20):
            yield b"x" * 8192

    response = httpx.post(f"{central.url}/kiosk/returns", content=chunks(), headers=JSON)
    assert response.status_code == 413 and error_code(response) == "payload_too_large"


def test_unknown_path_and_wrong_method_get_error_bodies(api):
    missing = api.get("/loans")
    assert missing.status_code == 404 and error_code(missing) == "not_found"
    wrong = api.delete("/rentals/1")
    assert wrong.status_code == 405 and error_code(wrong) == "validation_error"


def test_non_numeric_rental_id_is_422(api):
    response = api.patch("/rentals/abc", json={"reqState": "cancel"})
    assert response.status_code == 422 and error_code(response) == "validation_error"


def test_bearer_token_guards_everything_but_health(tmp_path):
    app = create_app(tmp_path / "token.db", token="s3cret")
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/openapi.json").status_code == 200
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
            response = client.get(f"/members/{KIM}", headers=headers)
            assert response.status_code == 401 and response.json()["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"] == "Bearer"
        refused = client.post("/kiosk/returns", json={"barcode": ON_LOAN})
        assert refused.status_code == 401
        ok = client.get(f"/members/{KIM}", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
    app.state.stand_in.db.close()


def test_kiosk_backend_command_serves_the_demo_library(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "cli.db"
    process = subprocess.Popen(
        [sys.executable, "-c", "from backend_stub.cli import main; main()", "--port", str(port),
         "--db", str(db), "--down", "book", "--log-level", "warning"])
    try:
        def answered() -> dict | None:
            assert process.poll() is None, "the stand-in ended"
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health").json()
            except httpx.TransportError:
                return None  # not listening yet

        health = wait_until(answered, 30, "the stand-in answering /health", every_s=0.05)
        assert health["services"]["book"] == "down"
        member = httpx.get(f"http://127.0.0.1:{port}/members/{KIM}").json()
        assert member["name"] == "김민지"
        assert httpx.get(f"http://127.0.0.1:{port}/admin/faults").status_code == 403
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert db.exists()
