"""Log lines: card numbers masked to their last four digits, one line per record."""

import io
import logging

from kiosk_data.codes import BLOCKED, PARK
from sync_agent.logs import configure_logging, mask_card


def test_mask_card_keeps_last_four():
    assert mask_card("card 20042000000016 scanned") == "card **********0016 scanned"


def test_mask_card_leaves_items_and_longer_numbers():
    text = "item 30042000000014 ref 120042000000016"
    assert mask_card(text) == text


def test_handler_masks_arguments_and_exceptions():
    stream = io.StringIO()
    handler = configure_logging("INFO", stream)
    try:
        log = logging.getLogger("tests.logs")
        log.info("member %s borrowed", PARK)
        try:
            raise ValueError("bad card 20042000000032")
        except ValueError:
            log.exception("lookup failed")
    finally:
        logging.getLogger().removeHandler(handler)
    out = stream.getvalue()
    assert PARK not in out and "**********0024" in out
    assert BLOCKED not in out and "**********0032" in out
    assert out.count("\n") == 2
    assert 'level=info logger=tests.logs msg="member **********0024 borrowed"' in out
