"""The patron PIN check of the rental service: right, wrong with the tries left, and the lock the
central side puts on a card's PIN entry after three wrong PINs in a row, for 15 minutes."""

from datetime import datetime, timedelta

from backend_stub.rules import PIN_LOCK_S, PIN_MAX_TRIES
from kiosk_data.codes import CHOI, KIM, KIM_PIN
from sync_agent.wire.rest import PinCheck


def check(api, pin: str, card: str = KIM):
    return api.post(f"/members/{card}/pin-check", json={"pin": pin})


def test_the_right_pin_is_valid(api):
    answer = check(api, KIM_PIN)
    assert answer.status_code == 200
    assert answer.json() == {"valid": True}


def test_a_wrong_pin_says_how_many_tries_are_left(api):
    first, second = check(api, "000000"), check(api, "111111")
    assert (first.status_code, first.json()) == (200, {"valid": False, "triesLeft": PIN_MAX_TRIES - 1})
    assert second.json()["triesLeft"] == PIN_MAX_TRIES - 2


def test_the_right_pin_clears_the_count_of_wrong_ones(api):
    check(api, "000000")
    check(api, "000000")
    assert check(api, KIM_PIN).json() == {"valid": True}
    assert check(api, "000000").json()["triesLeft"] == PIN_MAX_TRIES - 1


def test_three_wrong_pins_lock_the_card_for_15_minutes_even_for_the_right_pin(api):
    before = api.now()
    for _ in range(PIN_MAX_TRIES - 1):
        check(api, "000000")
    third = check(api, "000000")
    assert third.status_code == 423
    until = PinCheck.model_validate(third.json()).locked_until
    assert until is not None
    assert timedelta(seconds=PIN_LOCK_S) <= until - before < timedelta(seconds=PIN_LOCK_S + 60)
    right = check(api, KIM_PIN)
    assert right.status_code == 423, "while locked, not even the right PIN is compared"
    assert datetime.fromisoformat(right.json()["lockedUntil"]) == until


def test_the_lock_ends_after_15_minutes(api):
    for _ in range(PIN_MAX_TRIES):
        check(api, "000000")
    api.advance(PIN_LOCK_S / 86400 + 1 / 86400)
    assert check(api, KIM_PIN).json() == {"valid": True}


def test_the_count_is_per_card(api):
    for _ in range(PIN_MAX_TRIES):
        check(api, "000000")
    assert check(api, "946058", card=CHOI).json() == {"valid": True}


def test_an_unknown_card_is_404_and_a_bad_body_422(api):
    assert check(api, KIM_PIN, card="20042999999996").status_code == 404
    bad = api.post(f"/members/{KIM}/pin-check", json={"pin": ""})
    assert bad.status_code == 422
    assert "pin" in bad.json()["message"]
