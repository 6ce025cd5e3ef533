"""A pointer and a keypad over RFB (VNC): enough of the protocol to tap a pixel and press a key.

The display-stack test taps and presses keys through the compositor with it: wayvnc turns these
events into a virtual pointer and a virtual keyboard in cage, which foot turns into the terminal's
mouse reports and keys, as it does a touchscreen's taps and an accessibility keypad's keys. RFB 3.8
with security type None, wayvnc's default on loopback (RFC 6143).
"""

from __future__ import annotations

import socket
import struct
import time

KEYSYMS = {"enter": 0xFF0D, "escape": 0xFF1B, "f11": 0xFFC8, "shift": 0xFFE1}
"""X keysyms of the keypad keys the tests press (RFC 6143, 7.5.4)."""


class RfbInput:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout_s)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        version = self._read(12)
        if not version.startswith(b"RFB 003."):
            raise ConnectionError(f"not an RFB server: {version!r}")
        self.sock.sendall(b"RFB 003.008\n")
        types = self._read(self._read(1)[0])
        if 1 not in types:
            raise ConnectionError(f"the server asks for authentication: types {list(types)}")
        self.sock.sendall(b"\x01")
        if struct.unpack(">I", self._read(4))[0] != 0:
            raise ConnectionError("security handshake refused")
        self.sock.sendall(b"\x01")  # ClientInit: shared
        self.width, self.height = struct.unpack(">HH", self._read(4))
        self._read(16)
        self._read(struct.unpack(">I", self._read(4))[0])

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the RFB server hung up")
            data += chunk
        return data

    def tap(self, x: int, y: int) -> None:
        """Move to (x, y), press the first button, release it."""
        for mask in (0, 1, 0):
            self.sock.sendall(struct.pack(">BBHH", 5, mask, x, y))
            time.sleep(0.05)

    def press(self, key: str) -> None:
        """Press and release a key of :data:`KEYSYMS`."""
        for down in (1, 0):
            self.sock.sendall(struct.pack(">BBHI", 4, down, 0, KEYSYMS[key]))
            time.sleep(0.05)

    def close(self) -> None:
        self.sock.close()
