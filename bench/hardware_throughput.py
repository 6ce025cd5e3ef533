"""Scanner driver throughput and reconnect time, through a real pty, against raw baselines.

    .venv/bin/python -m bench.hardware_throughput [--scans N] [--reconnects N]

Throughput: N distinct valid item codes written as fast as the pty takes them; the driver must
deliver every one, in order (no loss), and the figure is scans/s from the first write to the last
event. Baseline: the same bytes read raw from the same kind of pty with os.read, lines counted.
Sustained: scans paced at the 1,000/s target for a few seconds; the figure is the 99th percentile
of the time from write to delivery, beside the same for raw reads of the pty.
Reconnect: the virtual scanner is unplugged, left away long enough for the backoff to reach its
cap, then plugged back; the figure is the time from replug to the first scan delivered. Baseline:
the time for a tight 1 ms polling loop to open the returning port with pyserial.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import statistics
import threading
import time
import tty

import serial
from stdnum import luhn

from bench.report import Figure, table
from hardware.config import DeviceConfig
from hardware.decoder import StreamDecoder
from hardware.events import ScanEvent
from hardware.serial_reader import SerialDevice
from hardware.sim import VirtualScanner, encode_scan
from hardware.status import DeviceState
from kiosk_data.codes import HOLD_READY
from kiosk_testing.waiting import wait_until

TARGET_SCANS_PER_S = 1_000
TARGET_RECONNECT_S = 2.0


def item_codes(count: int) -> list[str]:
    bodies = [f"30042{n:08d}" for n in range(count)]
    return [body + luhn.calc_check_digit(body) for body in bodies]


def raw_pty_lines_per_s(stream: bytes, lines: int) -> float:
    master, slave = os.openpty()
    tty.setraw(slave)
    writer = threading.Thread(target=_write_all, args=(master, stream))
    started = time.perf_counter()
    writer.start()
    seen = 0
    while seen < lines:
        seen += os.read(slave, 65536).count(b"\r")
    elapsed = time.perf_counter() - started
    writer.join()
    os.close(master)
    os.close(slave)
    return lines / elapsed


def decoder_only_scans_per_s(stream: bytes, lines: int) -> float:
    decoder = StreamDecoder(DeviceConfig("bench", "-"))
    started = time.perf_counter()
    decoded = [e for i in range(0, len(stream), 4096) for e in decoder.feed(stream[i:i + 4096], 0.0)]
    elapsed = time.perf_counter() - started
    assert len(decoded) == lines and decoder.screener.tally.good == lines
    return lines / elapsed


def driver_scans_per_s(stream: bytes, codes: list[str]) -> tuple[float, int]:
    """Scans/s through pty + pyserial + the driver, and how many were lost."""
    received: list[str] = []
    done = threading.Event()

    def on_scan(event) -> None:
        received.append(event.code)
        if len(received) == len(codes):
            done.set()

    with VirtualScanner() as scanner, SerialDevice(DeviceConfig("bench", scanner.path), on_scan) as device:
        wait_until(lambda: device.status.state is DeviceState.CONNECTED, 10, every_s=0.005)
        started = time.perf_counter()
        scanner.write_raw(stream)
        done.wait(120)
        elapsed = time.perf_counter() - started
    lost = len(codes) - sum(1 for a, b in zip(received, codes, strict=False) if a == b)
    return len(received) / elapsed, lost


def paced_latencies(codes: list[str], rate: float, raw: bool) -> tuple[list[float], int]:
    """Write ``codes`` at ``rate`` scans/s (10 ms batches); per-scan latency from write to arrival
    (raw: read off the pty slave with os.read; otherwise: delivered by the driver) and the loss."""
    arrivals: dict[str, float] = {}
    with VirtualScanner() as scanner:
        if raw:
            reader = threading.Thread(target=_read_lines, args=(scanner.path, arrivals, len(codes)))
            reader.start()
            device = None
        else:
            def arrived(event: ScanEvent) -> None:
                arrivals.setdefault(event.code, time.perf_counter())

            device = SerialDevice(DeviceConfig("bench", scanner.path), arrived)
            device.start()
            wait_until(lambda: device.status.state is DeviceState.CONNECTED, 10, every_s=0.005)
        written = _write_paced(scanner, codes, rate)
        with contextlib.suppress(AssertionError):  # what never arrived counts as lost below
            wait_until(lambda: len(arrivals) == len(codes), 30, every_s=0.005)
        if device is not None:
            device.stop()
        else:
            reader.join(5)
    latencies = [arrivals[code] - written[code] for code in codes if code in arrivals]
    return latencies, len(codes) - len(latencies)


def reconnect_times(rounds: int, away_s: float) -> tuple[list[float], list[float]]:
    """(driver: replug to first scan delivered, baseline: replug to a raw pyserial open)."""
    driver, raw = [], []
    arrived = threading.Event()
    with VirtualScanner() as scanner, SerialDevice(
            DeviceConfig("bench", scanner.path), lambda event: arrived.set()) as device:
        for _ in range(rounds):
            wait_until(lambda: device.status.state is DeviceState.CONNECTED, 10, every_s=0.005)
            scanner.unplug()
            time.sleep(random.uniform(away_s, away_s + 1.0))  # replug at any phase of the backoff
            arrived.clear()
            scanner.replug()
            started = time.perf_counter()
            while not arrived.is_set():
                if device.status.state is DeviceState.CONNECTED:
                    scanner.scan(HOLD_READY)
                    arrived.wait(0.2)
                else:
                    time.sleep(0.001)
            driver.append(time.perf_counter() - started)
        device.stop()
        for _ in range(rounds):
            scanner.unplug()
            time.sleep(0.05)
            scanner.replug()
            started = time.perf_counter()
            while True:
                try:
                    serial.Serial(scanner.path, 9600).close()
                    break
                except serial.SerialException:
                    time.sleep(0.001)
            raw.append(time.perf_counter() - started)
    return driver, raw


def figures(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=20_000)
    parser.add_argument("--reconnects", type=int, default=5)
    parser.add_argument("--paced-seconds", type=float, default=3.0,
                        help="seconds of scans paced at the 1,000/s target")
    parser.add_argument("--away", type=float, default=3.0,
                        help="seconds the scanner stays unplugged (enough for the backoff cap)")
    args = parser.parse_args(argv)
    logging.getLogger("hardware").setLevel(logging.ERROR)  # unplugging is the point here

    codes = item_codes(args.scans)
    stream = b"".join(encode_scan(code) for code in codes)
    raw = raw_pty_lines_per_s(stream, len(codes))
    decode = decoder_only_scans_per_s(stream, len(codes))
    driver, lost = driver_scans_per_s(stream, codes)
    paced = item_codes(int(args.paced_seconds * TARGET_SCANS_PER_S))
    raw_latency, _ = paced_latencies(paced, TARGET_SCANS_PER_S, raw=True)
    driver_latency, paced_lost = paced_latencies(paced, TARGET_SCANS_PER_S, raw=False)
    back, raw_open = reconnect_times(args.reconnects, args.away)
    raw_read, raw_reopen = "raw pty read", "raw pyserial reopen, 1 ms polling"
    return [
        Figure("scans/s, decoder only (no pty)", decode, "/s", raw_read, raw),
        Figure(f"scans/s, driver through pty + pyserial ({args.scans:,} scans, lost {lost})", driver,
               "/s", raw_read, raw, f">= {TARGET_SCANS_PER_S:,}/s, no loss",
               driver >= TARGET_SCANS_PER_S and lost == 0),
        Figure(f"latency p99 at {TARGET_SCANS_PER_S:,} scans/s for {args.paced_seconds:.0f} s "
               f"(lost {paced_lost})", _percentile(driver_latency, 0.99) * 1000, "ms", raw_read,
               _percentile(raw_latency, 0.99) * 1000, "no loss", paced_lost == 0),
        Figure("replug to first scan, median", statistics.median(back) * 1000, "ms", raw_reopen,
               statistics.median(raw_open) * 1000),
        Figure(f"replug to first scan, worst of {args.reconnects}", max(back) * 1000, "ms", raw_reopen,
               statistics.median(raw_open) * 1000, f"< {TARGET_RECONNECT_S:.0f} s",
               max(back) < TARGET_RECONNECT_S),
    ]


def main(argv: list[str] | None = None) -> None:
    print(table("hardware throughput and reconnect, through real ptys", figures(argv)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_paced(scanner: VirtualScanner, codes: list[str], rate: float) -> dict[str, float]:
    batch = max(1, int(rate / 100))
    written: dict[str, float] = {}
    started = time.perf_counter()
    for index in range(0, len(codes), batch):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        chunk = codes[index:index + batch]
        now = time.perf_counter()
        written.update((code, now) for code in chunk)
        scanner.write_raw(b"".join(encode_scan(code) for code in chunk))
    return written


def _read_lines(path: str, arrivals: dict[str, float], count: int) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)
    pending = b""
    try:
        while len(arrivals) < count:
            *lines, pending = (pending + os.read(fd, 65536)).split(b"\r")
            now = time.perf_counter()
            arrivals.update((line.decode(), now) for line in lines)
    finally:
        os.close(fd)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


if __name__ == "__main__":
    main()
