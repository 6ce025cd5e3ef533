"""The technician PIN: scrypt hash round trip, malformed hashes, and the 5-try lockout."""

import pytest

from kiosk_app.techpin import LOCKOUT_S, MAX_TRIES, PinLock, hash_pin, verify_pin


@pytest.fixture(scope="module")
def encoded():
    return hash_pin("4821")


def test_hash_is_salted_and_self_describing(encoded):
    assert encoded.startswith("scrypt$16384$8$1$")
    assert hash_pin("4821") != encoded  # a fresh salt each time
    assert verify_pin("4821", encoded)
    assert not verify_pin("4822", encoded)


@pytest.mark.parametrize("bad", [None, "", "scrypt$1$2", "bcrypt$16384$8$1$AAAA$AAAA",
                                 "scrypt$16384$8$1$!!!$AAAA", "scrypt$x$8$1$AAAA$AAAA"])
def test_malformed_hash_matches_nothing(bad):
    assert not verify_pin("4821", bad)


@pytest.mark.parametrize("pin", ["123", "12ab", "1234567890123"])
def test_pin_must_be_4_to_12_digits(pin):
    with pytest.raises(ValueError):
        hash_pin(pin)


def test_lockout_after_five_wrong_tries_for_five_minutes(encoded):
    now = [1000.0]
    lock = PinLock(clock=lambda: now[0])
    for _ in range(MAX_TRIES - 1):
        assert not lock.attempt("0000", encoded)
    assert lock.remaining_lock_s() == 0
    assert not lock.attempt("0000", encoded)
    assert lock.remaining_lock_s() == LOCKOUT_S
    assert not lock.attempt("4821", encoded), "the right PIN is refused while locked"
    now[0] += LOCKOUT_S - 1
    assert not lock.attempt("4821", encoded)
    now[0] += 1
    assert lock.attempt("4821", encoded)
    assert lock.wrong == 0


def test_success_resets_the_count(encoded):
    lock = PinLock(clock=lambda: 0.0)
    for _ in range(MAX_TRIES - 1):
        lock.attempt("0000", encoded)
    assert lock.attempt("4821", encoded)
    assert not lock.attempt("0000", encoded)
    assert lock.remaining_lock_s() == 0
