"""``api``: the stand-in through real HTTP and through the in-process client, same tests.

Both are httpx clients with a ``base_url``; admin helpers go through the HTTP admin API in
both cases, so the admin API is exercised as well.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from backend_stub.app import create_app
from backend_stub.runtime import StandIn


class Api:
    """An httpx client plus the admin calls the tests need."""

    def __init__(self, client: httpx.Client, stand_in: StandIn) -> None:
        self.client = client
        self.stand_in = stand_in
        """The running stand-in, for arranging what no API call can (a librarian's desk action)."""

    def __getattr__(self, name):
        return getattr(self.client, name)

    def now(self) -> datetime:
        return datetime.fromisoformat(self.client.get("/admin/clock").json()["now"])

    def advance(self, days: float) -> None:
        assert self.client.post("/admin/clock/advance",
                                json={"seconds": days * 86400}).status_code == 200

    def fault(self, service: str, **settings) -> None:
        response = self.client.put(f"/admin/faults/{service}", json=settings)
        assert response.status_code == 200, response.text

    def key_counts(self) -> dict[str, int]:
        return self.client.get("/admin/idempotency").json()

    def backlog(self) -> dict[str, int]:
        return self.client.get("/admin/events").json()

    def book(self, barcode: str) -> dict:
        return self.client.get(f"/books/{barcode}").json()

    def rental(self, rental_id: int) -> dict:
        (row,) = [r for r in self.client.get("/rentals").json() if r["id"] == rental_id]
        return row

    def payments(self, member_id: int) -> list[dict]:
        return self.client.get("/payments", params={"memberId": member_id}).json()

    def kiosk_return(self, barcode: str, occurred_at: datetime | None = None, key: str | None = None):
        body = {"barcode": barcode, "kioskNo": "kiosk-01",
                "occurredAt": (occurred_at or self.now()).isoformat()}
        return self.client.post("/kiosk/returns", json=body,
                                headers={"Idempotency-Key": key} if key else {})

    def kiosk_rent(self, member_id: int, barcode: str, key: str | None = None):
        body = {"memberId": member_id, "barcode": barcode, "kioskNo": "kiosk-01",
                "occurredAt": self.now().isoformat()}
        return self.client.post("/kiosk/rentals", json=body,
                                headers={"Idempotency-Key": key} if key else {})

    def renew(self, member_id: int, barcode: str, key: str | None = None):
        body = {"memberId": member_id, "barcode": barcode, "kioskNo": "kiosk-01"}
        return self.client.post("/kiosk/renewals", json=body,
                                headers={"Idempotency-Key": key} if key else {})

    def reserve(self, member_id: int, book_id: int, key: str | None = None):
        return self.client.post("/rentals", json={"memberId": member_id, "bookId": book_id},
                                headers={"Idempotency-Key": key} if key else {})


@pytest.fixture(params=["http", "inprocess"])
def api(request, tmp_path):
    if request.param == "http":
        central = request.getfixturevalue("central")
        with httpx.Client(base_url=central.url, timeout=10) as client:
            yield Api(client, central.app.state.stand_in)
    else:
        app = create_app(tmp_path / "inprocess.db", faults_enabled=True, seed=0)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client, app.state.stand_in)
        app.state.stand_in.db.close()


def error_code(response: httpx.Response) -> str:
    """The machine code of an ErrorBody, after checking the body has exactly its fields."""
    body = response.json()
    assert set(body) == {"code", "message", "service"} and body["message"], body
    return body["code"]


def days(n: float) -> timedelta:
    return timedelta(days=n)
