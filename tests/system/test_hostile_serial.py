"""The serial line at its worst, through the whole app: random bytes, overlong lines, valid codes
between noise, then 1,000 scans in one second. The app must keep running, turn exactly the valid
item labels into returns (each once, none from noise), and count what it rejected.
"""

from __future__ import annotations

import random
import time

from hardware.sim import encode_scan
from kiosk_testing.pty_kiosk import item_codes, kiosk_on_pty
from kiosk_testing.waiting import wait_until_async
from sync_agent.store.outbox import Outbox

NOISE_SEED = 20261121


def stored_returns(app) -> list[str]:
    outbox = Outbox(app.lending.store, app.settings.id)
    return [row["barcode"] for row in outbox.store.rows("SELECT barcode FROM outbox WHERE kind = 'return'")]


def hostile_stream(codes: list[str], rng: random.Random) -> bytes:
    """The codes, each on its own line, between random bytes, overlong lines, codes glued to
    noise, a wrong check digit and a half-sent label."""
    parts = []
    for code in codes:
        parts += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60))), b"\r",
                  b"9" * 20_000 + b"\r",                  # overlong: cut, counted, never a scan
                  b"xx" + code.encode() + b"\r",          # a code glued to noise is not that code
                  code[:-1].encode() + str((int(code[-1]) + 1) % 10).encode() + b"\r",
                  code[:7].encode() + b"\x00\xff\r",
                  encode_scan(code)]
    return b"".join(parts)


async def test_noise_is_never_a_transaction_and_a_burst_loses_nothing() -> None:
    rng = random.Random(NOISE_SEED)
    noisy = item_codes(20, start=700_000)
    burst = item_codes(1000, start=800_000)
    async with kiosk_on_pty() as (app, scanner, _pilot):
        stream = hostile_stream(noisy, rng)
        for start in range(0, len(stream), 4096):  # as a misbehaving device would, in chunks
            scanner.write_raw(stream[start:start + 4096])
        await wait_until_async(lambda: len(stored_returns(app)) >= len(noisy), timeout_s=60)
        started = time.monotonic()
        scanner.write_raw(b"".join(encode_scan(code) for code in burst))
        written_s = time.monotonic() - started
        await wait_until_async(lambda: len(stored_returns(app)) >= len(noisy) + len(burst), timeout_s=120)
        await app.drain()
        [device] = app.devices.statuses()
        assert app.is_running
        returns = stored_returns(app)
    assert written_s < 1.0, "the burst was not written within a second"
    assert sorted(returns) == sorted(noisy + burst), "a return that was never scanned, or one twice"
    assert device.good == len(noisy) + len(burst)
    assert device.rejected >= 4 * len(noisy), device.rejected_by_reason
