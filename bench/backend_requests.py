"""Stand-in request cost over real HTTP, against a bare ASGI app on the same server in the same run.

The baseline answers a fixed JSON body with no framework, database or fault gate, so each ratio
shows what FastAPI, validation, the committed SQLite transaction, the event consumers and
the idempotency store add to one round trip on 127.0.0.1. The kiosk's call timeout is 610 ms;
the stand-in should stay far below it so that injected latency, not the stand-in, is what tests see.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from backend_stub.app import create_app
from backend_stub.server import CentralServer
from bench.report import Figure, table
from kiosk_data.codes import AVAILABLE

MEMBER, BOOK_ID, BARCODE = 6, 4, AVAILABLE


async def bare_app(scope, receive, send) -> None:
    """The raw baseline: one fixed JSON answer, no framework."""
    if scope["type"] != "http":
        return
    body = b'{"status":"ok"}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(call: Callable[[], httpx.Response], expect: int) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == expect, response.text
    return elapsed


def measure(cycles: int, folder: Path) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in (
        "raw ASGI GET", "GET /health", "GET /members/{card}", "POST /rentals (reserve+pay)",
        "POST /kiosk/rentals", "POST /kiosk/returns", "replayed POST (same key)")}
    raw = CentralServer(bare_app).start()  # type: ignore[arg-type]  # a bare ASGI app, served by uvicorn as any
    stand_in = CentralServer(create_app(folder / "bench.db")).start()
    try:
        with httpx.Client(base_url=raw.url) as bare, httpx.Client(base_url=stand_in.url) as api:
            for cycle in range(cycles):
                at = stand_in.app.state.stand_in.clock.now().isoformat()
                s = samples
                s["raw ASGI GET"].append(timed(lambda: bare.get("/"), 200))
                s["GET /health"].append(timed(lambda: api.get("/health"), 200))
                s["GET /members/{card}"].append(
                    timed(lambda: api.get("/members/20042000000065"), 200))
                s["POST /rentals (reserve+pay)"].append(timed(lambda: api.post(
                    "/rentals", json={"memberId": MEMBER, "bookId": BOOK_ID},
                    headers={"Idempotency-Key": f"r{cycle}"}), 201))
                s["POST /kiosk/rentals"].append(timed(lambda: api.post(
                    "/kiosk/rentals", json={"memberId": MEMBER, "barcode": BARCODE,
                                            "kioskNo": "bench", "occurredAt": at},
                    headers={"Idempotency-Key": f"k{cycle}"}), 200))
                ret = {"barcode": BARCODE, "kioskNo": "bench", "occurredAt": at}
                s["POST /kiosk/returns"].append(timed(lambda: api.post(
                    "/kiosk/returns", json=ret, headers={"Idempotency-Key": f"t{cycle}"}), 200))
                s["replayed POST (same key)"].append(timed(lambda: api.post(
                    "/kiosk/returns", json=ret, headers={"Idempotency-Key": f"t{cycle}"}), 200))
    finally:
        stand_in.stop()
        raw.stop()
    return samples


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=300,
                        help="reserve, rent, return, replay cycles (one copy, round and round)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        samples = measure(args.cycles, Path(folder))
    raw = samples.pop("raw ASGI GET")
    return [Figure(f"stand-in {name}, median", statistics.median(values) * 1e3, "ms",
                   "bare ASGI GET, same server", statistics.median(raw) * 1e3)
            for name, values in samples.items()]


def main(argv: list[str] | None = None) -> None:
    print(table("stand-in over HTTP on 127.0.0.1, interleaved cycles", figures(argv)))


if __name__ == "__main__":
    main()
