"""Finding the member behind a card while the central side is away, without keeping card numbers.

For each member whose view the kiosk caches, it remembers which card led to them, so a patron can
still be shown their cached page offline. The row (table ``member_cards``, owned by this module)
is keyed by HMAC-SHA256 of the card number under a per-kiosk secret that is not in the store: a
plain hash of a card number reverses in a couple of guesses (14 digits: a type digit, the
institution, an 8-digit sequence and a check digit), a keyed one not without the secret. The value
is the member as the central side sent it, without the card number. A row goes with its member's
view (``ON DELETE CASCADE``), so it expires with it (sync_agent.store.retention).

The secret: the systemd credential ``kiosk_card_key`` (``/etc/kiosk/card-key``, root-only, made by
deploy/install.sh, read through the ``card_key`` setting); without one (the demo, tests, a
development checkout) a random key in ``<data_dir>/card-key``, readable by the kiosk user alone,
made on first use (or, if that folder cannot be written, one for this run only). A lost or
replaced key only makes the kiosk forget who its recent patrons were.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

from sync_agent.settings import Settings
from sync_agent.store.database import Store
from sync_agent.wire.rest import Member

log = logging.getLogger(__name__)

KEY_FILE = "card-key"


def card_secret(settings: Settings) -> bytes:
    """The configured key, or the key file beside the store (made, mode 0600, if absent)."""
    configured = settings.card_key.get_secret_value().strip()
    if configured:
        return configured.encode()
    path = settings.data_dir / KEY_FILE
    log.warning("no card_key configured (systemd credential kiosk_card_key): using %s", path)
    try:
        return _key_file(path)
    except OSError as exc:  # e.g. a read-only folder: lookups then last as long as this process
        log.error("cannot keep a card-lookup key in %s (%s): using one for this run only", path, exc)
        return secrets.token_hex(32).encode()


def _key_file(path: Path) -> bytes:
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = secrets.token_hex(32).encode()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key + b"\n")
    return key


class CardLookup:
    """Card → member (without the card number), for members whose view is cached."""

    def __init__(self, store: Store, secret: bytes) -> None:
        if not secret:
            raise ValueError("the card lookup key is empty")
        self.store = store
        self._secret = secret

    def _key(self, card: str) -> str:
        return hmac.new(self._secret, card.encode(), hashlib.sha256).hexdigest()

    def remember(self, card: str, member: Member) -> None:
        """Keep (or update) which member ``card`` belongs to, if that member's view is cached:
        without a view the kiosk has nothing to show offline, so nothing is kept."""
        value = member.model_dump_json(exclude={"card_number", "email"})
        with self.store.write() as conn:
            conn.execute("INSERT INTO member_cards (card_key, member_id, member) "
                         "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM member_views WHERE member_id = ?) "
                         "ON CONFLICT(card_key) DO UPDATE SET member_id = excluded.member_id, "
                         "member = excluded.member", (self._key(card), member.id, value, member.id))

    def find(self, card: str) -> Member | None:
        """The member last seen with ``card``, while their view is kept."""
        rows = self.store.rows("SELECT member FROM member_cards WHERE card_key = ?", (self._key(card),))
        if not rows:
            return None
        return Member.model_validate({**json.loads(rows[0]["member"]), "card_number": card})
