"""Reading an answer's body without trusting its size or its encoding.

An answer of the central API is a few hundred bytes; a body over :data:`MAX_BODY_BYTES` is not an
answer the kiosk can use, whatever it says. It is refused without being read whole: a declared
``Content-Length`` over the cap is refused before the first byte, and a streamed body is dropped
as soon as it passes the cap. Compressed bodies are inflated here, with the cap on the *inflated*
size (``zlib``'s ``max_length``), so a small gzip bomb cannot fill memory either; an encoding the
kiosk did not ask for (it accepts gzip and deflate) or a broken one makes the body unreadable,
never an exception.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import httpx

MAX_BODY_BYTES = 1 << 20
"""1 MiB: a thousand times the largest answer the contract names (a catalog page of changed copies
is the longest, a few KiB), so no real answer comes near it."""
ACCEPT_ENCODING = "gzip, deflate"
"""What the client asks for; the decoders below are the only ones it runs."""

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
TOO_LARGE = "too_large"


@dataclass(frozen=True)
class Body:
    """``content`` is the whole decoded body, or None with ``problem`` saying why it is not."""

    content: bytes | None
    problem: str = ""


async def read_capped(response: httpx.Response, cap: int = MAX_BODY_BYTES) -> Body:
    """The body of a streamed ``response``, read at most to ``cap`` decoded bytes."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > cap):
        return Body(None, TOO_LARGE)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
    if encoding != "identity" and encoding not in _WBITS:
        return Body(None, f"unsupported content-encoding {encoding[:20]!r}")
    inflater = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
    parts: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            data = inflater.decompress(raw, cap + 1 - size) if inflater else raw
            size += len(data)
            if size > cap:
                return Body(None, TOO_LARGE)
            parts.append(data)
        if inflater:
            tail = inflater.flush()
            size += len(tail)
            if size > cap:
                return Body(None, TOO_LARGE)
            parts.append(tail)
    except zlib.error as exc:
        return Body(None, f"undecodable {encoding} body: {exc}")
    return Body(b"".join(parts))
