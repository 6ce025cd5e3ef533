"""Raw ASGI middleware: body size limit, bearer token, and cutting connections on purpose."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sync_agent.wire.rest import ErrorBody, ErrorCode

from .errors import error_response
from .faults import DROP_SCOPE_KEY

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 64 * 1024
OPEN_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


class ConnectionDropped(Exception):
    """Raised after the response has started, so the server cuts the connection mid-answer."""


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, code: ErrorCode,
                  message: str, headers: dict[str, str] | None = None) -> None:
    response = error_response(status, ErrorBody(code=code, message=message), headers)
    await response(scope, receive, send)


class BodyLimit:
    """Reads the whole body first; more than ``limit`` bytes is a 413 and reaches no handler."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_large = f"request body over {self.limit} bytes"
        if declared.isdigit() and int(declared) > self.limit:
            return await _refuse(scope, receive, send, 413, ErrorCode.PAYLOAD_TOO_LARGE, too_large)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                return await _refuse(scope, receive, send, 413, ErrorCode.PAYLOAD_TOO_LARGE,
                                     too_large)
            if not message.get("more_body", False):
                break
        buffered = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return buffered

        await self.app(scope, replay, send)


class BearerToken:
    """When a token is configured, every call but health and the docs must carry it."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.expected and scope["path"] not in OPEN_PATHS:
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
                return await _refuse(scope, receive, send, 401, ErrorCode.UNAUTHORIZED,
                                     "missing or wrong bearer token",
                                     {"WWW-Authenticate": "Bearer"})
        await self.app(scope, receive, send)


class DropConnection:
    """Cuts the connection of a request marked by the drop fault, once its answer has started.

    The headers go out, the body never does: uvicorn closes the socket on the exception and the
    client sees a protocol error, not knowing whether the request was applied (it was).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def cutting_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start" and scope.get(DROP_SCOPE_KEY):
                raise ConnectionDropped(scope["path"])

        await self.app(scope, receive, cutting_send)
