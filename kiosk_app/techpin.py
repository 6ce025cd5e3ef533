"""The technician PIN: a salted scrypt hash in config (tries and locks: kiosk_app.pin_guard).

The hash is self-describing (``scrypt$n$r$p$salt$digest``, base64 parts) so the cost parameters can
be raised later without breaking hashes already written into kiosk configs. ``kiosk tech-pin``
prints one for ``KIOSK_TECH_PIN_HASH``. A new PIN has at least 6 digits: a 4-digit one falls to
about 9 CPU-minutes of guessing from a leaked hash, a 6-digit one takes a hundred times longer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1
SALT_BYTES = 16
DIGEST_BYTES = 32
MIN_DIGITS = 6
MAX_DIGITS = 12


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _derive(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length,
                          maxmem=256 * n * r)


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """Hash ``pin`` with a fresh random salt (or the given one) into the config format."""
    if not pin.isdigit() or not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        raise ValueError(f"a technician PIN is {MIN_DIGITS} to {MAX_DIGITS} digits")
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
