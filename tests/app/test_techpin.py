"""The technician PIN: scrypt hash round trip, malformed hashes, and the PIN's length."""

import pytest

from kiosk_app.techpin import N, P, R, _b64, _derive, hash_pin, verify_pin


@pytest.fixture(scope="module")
def encoded():
    return hash_pin("482193")


def test_hash_is_salted_and_self_describing(encoded):
    assert encoded.startswith("scrypt$16384$8$1$")
    assert hash_pin("482193") != encoded  # a fresh salt each time
    assert verify_pin("482193", encoded)
    assert not verify_pin("482194", encoded)


@pytest.mark.parametrize("bad", [None, "", "scrypt$1$2", "bcrypt$16384$8$1$AAAA$AAAA",
                                 "scrypt$16384$8$1$!!!$AAAA", "scrypt$x$8$1$AAAA$AAAA"])
def test_malformed_hash_matches_nothing(bad):
    assert not verify_pin("482193", bad)


@pytest.mark.parametrize("pin", ["1234", "12345", "12ab56", "1234567890123"])
def test_pin_must_be_6_to_12_digits(pin):
    with pytest.raises(ValueError):
        hash_pin(pin)


def test_a_short_pin_set_before_still_opens_the_pad():
    """Kiosks configured with a 4-digit PIN are not locked out by the new rule (the guard logs a
    warning asking for a new one)."""
    salt = b"0123456789abcdef"
    old = f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive('4821', salt, N, R, P, 32))}"
    assert verify_pin("4821", old)
