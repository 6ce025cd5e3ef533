"""The stand-in on a real socket in a background thread: for tests, benchmarks and demos.

``CentralServer`` serves one app with uvicorn on 127.0.0.1 and can be stopped and started again
on the same port (the whole central API unreachable, then back, with its data intact). Its
helpers drive the admin API over HTTP, so they need the server running and faults enabled.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

STARTUP_TIMEOUT_S = 10.0
EXIT_POLL_S = 0.01


class _QuickServer(uvicorn.Server):
    """uvicorn that stops in milliseconds: tests start and stop one per test.

    Stock uvicorn looks for the exit flag every 100 ms and then waits another 100 ms for
    connections; here the flag is polled every 10 ms and open connections are closed at once,
    as they would be if the central system went away.
    """

    async def main_loop(self) -> None:
        await self.on_tick(0)  # sets the Date/Server headers
        while not self.should_exit:
            await asyncio.sleep(EXIT_POLL_S)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        for server in self.servers:
            await server.wait_closed()


class CentralServer:
    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None) -> None:
        self.app = app
        self.token = token
        """The app's bearer token, sent by the admin helpers."""
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> CentralServer:
        """Listen (on the same port as before, if restarted) and return once accepting."""
        if self.running:
            return self
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the
        # listening socket's proto says TCP; without it every answer waits ~40 ms on delayed ACKs
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="critical", lifespan="off",
                                timeout_graceful_shutdown=1, access_log=False)
        server = _QuickServer(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name=f"central-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"the stand-in did not start on {self.url}")
            time.sleep(0.005)
        self._server = server
        return self

    def stop(self) -> None:
        """Close the port: clients see connection refused until ``start``."""
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None  # started together with the server
        self._thread.join(timeout=STARTUP_TIMEOUT_S)
        self._server = None
        if self._client is not None:
            self._client.close()
            self._client = None

    # --- admin helpers ---------------------------------------------------------------------

    def _admin(self, method: str, path: str, json: Any = None) -> Any:
        if self._client is None:  # one client: building one costs more than a request
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._client = httpx.Client(base_url=f"{self.url}/admin", headers=headers,
                                        timeout=10, trust_env=False)
        response = self._client.request(method, path, json=json)
        response.raise_for_status()
        return response.json()

    def set_fault(self, service: str, *, down: bool = False,
                  latency_ms: tuple[int, int] | None = None, error_rate: float = 0.0,
                  drop_rate: float = 0.0, retry_after: int = 1, capacity: int | None = None) -> None:
        """Replace one service's faults (what is not given is healthy)."""
        self._admin("PUT", f"/faults/{service}",
                    {"down": down, "latencyMs": list(latency_ms) if latency_ms else None,
                     "errorRate": error_rate, "dropRate": drop_rate, "retryAfter": retry_after,
                     "capacity": capacity})

    def requests(self) -> dict[str, int]:
        """Requests that reached each service (rental, payment, book) since start."""
        return self._admin("GET", "/requests")

    def clear_faults(self) -> None:
        self._admin("DELETE", "/faults")

    def key_counts(self) -> dict[str, int]:
        """Idempotency keys seen, each with the number of times its request was applied."""
        return self._admin("GET", "/idempotency")

    def advance_clock(self, seconds: float) -> None:
        """Move the stand-in's clock forward (holds past their deadline expire at once)."""
        self._admin("POST", "/clock/advance", {"seconds": seconds})

    def backlog(self) -> dict[str, int]:
        """Events each internal consumer has still to apply."""
        return self._admin("GET", "/events")

    def withdraw(self, barcode: str) -> dict[str, Any]:
        """Book management withdraws a copy (its reservations are cancelled and refunded)."""
        return self._admin("POST", f"/books/{barcode}/withdraw")
