"""Concurrent requests over real HTTP: each is one transaction, each key applied once."""

from concurrent.futures import ThreadPoolExecutor

import httpx


def _fire(url: str, requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    def send(request):
        path, body, headers = request
        return httpx.post(f"{url}{path}", json=body, headers=headers, timeout=10)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def test_simultaneous_repeats_of_one_key_apply_once(central):
    central.set_fault("payment", latency_ms=(50, 50))  # all five wait at the gate together
    request = ("/rentals", {"memberId": 6, "bookId": 4}, {"Idempotency-Key": "same"})
    responses = _fire(central.url, [request] * 5)
    assert [r.status_code for r in responses] == [201] * 5
    assert sum("Idempotent-Replayed" not in r.headers for r in responses) == 1
    assert len({r.json()["id"] for r in responses}) == 1
    assert central.key_counts() == {"same": 1}
    assert len(httpx.get(f"{central.url}/payments", params={"memberId": 6}).json()) == 1


def test_two_members_racing_for_one_copy_one_wins(central):
    central.set_fault("payment", latency_ms=(50, 50))
    responses = _fire(central.url, [
        ("/rentals", {"memberId": member, "bookId": 4}, {"Idempotency-Key": f"m{member}"})
        for member in (1, 6)])
    assert sorted(r.status_code for r in responses) == [201, 409]
    (refused,) = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "reserved_for_other"
    assert len(httpx.get(f"{central.url}/rentals", params={"bookId": 4}).json()) == 1
