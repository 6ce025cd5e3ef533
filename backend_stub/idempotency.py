"""``Idempotency-Key``: the first successful answer to a key is kept and replayed.

A repeat with the same key and the same request gets that answer back (marked
``Idempotent-Replayed: true``) and changes nothing; the same key on a different request is a
422 ``idempotency_mismatch``. Refusals are not kept: they changed nothing, so a request refused
once may be sent again with its key once the cause is fixed (a technician's retry).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from sync_agent.wire.rest import ErrorCode

from .db import stamp
from .errors import invalid

MAX_KEY_LENGTH = 200


def fingerprint(method: str, path: str, payload: BaseModel | None) -> str:
    """What makes two requests "the same": method, path, and the parsed body."""
    body = payload.model_dump(mode="json") if payload is not None else None
    text = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise invalid(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")


def replay(conn: sqlite3.Connection, key: str, print_: str) -> tuple[int, Any] | None:
    """The stored (status, body) for this key, None if new; a mismatch raises 422."""
    row = conn.execute("SELECT fingerprint, status_code, body FROM idempotency WHERE key = ?",
                       (key,)).fetchone()
    if row is None:
        return None
    if row["fingerprint"] != print_:
        raise invalid("this Idempotency-Key was already used for a different request",
                      ErrorCode.IDEMPOTENCY_MISMATCH)
    return row["status_code"], json.loads(row["body"])


def record(conn: sqlite3.Connection, key: str, print_: str, status: int, body: Any,
           now: datetime) -> None:
    conn.execute(
        "INSERT INTO idempotency (key, fingerprint, status_code, body, applied, created_at) "
        "VALUES (?, ?, ?, ?, 1, ?)",
        (key, print_, status, json.dumps(body, ensure_ascii=False), stamp(now)))


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many times each key's request was applied (1 however often it was repeated)."""
    return {row["key"]: row["applied"] for row in conn.execute("SELECT key, applied FROM idempotency")}
