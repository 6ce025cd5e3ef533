"""The internal event queue between the three services (the seed's Kafka topic, in SQLite).

The rental service publishes a ``rental_changed`` event, carrying the rental's new state, in the
same transaction as the change. Each consumer (book status, payment refunds, the MyPage read
model) keeps its own offset and applies events in order, one transaction per pass. A consumer
whose service is down simply does not run; its events wait and are applied when it is back,
which is how returns stay accepted while book management is down.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync_agent.wire.rest import Rental

from .db import stamp

RENTAL_CHANGED = "rental_changed"

Handler = Callable[[sqlite3.Connection, dict[str, Any], datetime], None]


@dataclass(frozen=True)
class Consumer:
    name: str
    service: str
    """The service it belongs to; it runs only while that service is up."""
    handle: Handler


def publish_rental(conn: sqlite3.Connection, rental: Rental, title: str, now: datetime) -> None:
    payload = rental.model_dump(mode="json") | {"title": title}
    conn.execute("INSERT INTO events (kind, payload, created_at) VALUES (?, ?, ?)",
                 (RENTAL_CHANGED, json.dumps(payload, ensure_ascii=False), stamp(now)))


def consume(conn: sqlite3.Connection, consumer: Consumer, now: datetime) -> int:
    """Apply every event past the consumer's offset, in order; return how many."""
    events = conn.execute("SELECT id, payload FROM events WHERE id > ? ORDER BY id",
                          (_offset(conn, consumer),)).fetchall()
    for event in events:
        consumer.handle(conn, json.loads(event["payload"]), now)
    if events:
        conn.execute(
            "INSERT INTO consumer_offsets (consumer, last_event_id) VALUES (?, ?) "
            "ON CONFLICT(consumer) DO UPDATE SET last_event_id = excluded.last_event_id",
            (consumer.name, events[-1]["id"]))
    return len(events)


def backlog(conn: sqlite3.Connection, consumer: Consumer) -> int:
    """Events the consumer has not applied yet."""
    return conn.execute("SELECT COUNT(*) FROM events WHERE id > ?",
                        (_offset(conn, consumer),)).fetchone()[0]


def _offset(conn: sqlite3.Connection, consumer: Consumer) -> int:
    row = conn.execute("SELECT last_event_id FROM consumer_offsets WHERE consumer = ?",
                       (consumer.name,)).fetchone()
    return row[0] if row else 0
