"""The technician PIN: a salted scrypt hash in config, and a lock after repeated wrong tries.

The hash is self-describing (``scrypt$n$r$p$salt$digest``, base64 parts) so the cost parameters can
be raised later without breaking hashes already written into kiosk configs. ``kiosk tech-pin``
prints one for ``KIOSK_TECH_PIN_HASH``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
DIGEST_BYTES = 32
MAX_TRIES = 5
LOCKOUT_S = 300.0


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=256 * n * r)


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """Hash ``pin`` with a fresh random salt (or the given one) into the config format."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("a technician PIN is 4 to 12 digits")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = _derive(pin, salt, N, R, P, DIGEST_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_pin(pin: str, encoded: str | None) -> bool:
    """True when ``pin`` matches ``encoded``; a missing or malformed hash matches nothing."""
    if not encoded:
        return False
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(digest, validate=True)
        actual = _derive(pin, base64.b64decode(salt, validate=True), int(n), int(r), int(p),
                         len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@dataclass
class PinLock:
    """Counts wrong tries; after ``MAX_TRIES`` in a row, refuses every try for ``LOCKOUT_S``."""

    clock: Callable[[], float] = time.monotonic
    wrong: int = 0
    locked_until: float = field(default=0.0)

    def remaining_lock_s(self) -> float:
        return max(0.0, self.locked_until - self.clock())

    def attempt(self, pin: str, encoded: str | None) -> bool:
        """Check ``pin`` unless locked; a success resets the count."""
        if self.remaining_lock_s() > 0:
            return False
        if verify_pin(pin, encoded):
            self.wrong = 0
            return True
        self.wrong += 1
        if self.wrong >= MAX_TRIES:
            self.wrong = 0
            self.locked_until = self.clock() + LOCKOUT_S
        return False
