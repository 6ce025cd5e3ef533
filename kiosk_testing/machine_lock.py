"""One at a time across processes on this machine.

The suite can run in two worker processes (pytest-xdist, ``-n 2``), each with its own session: a
one-time set-up of the machine (an ``apt-get install``, the Evergreen peer's Perl packages unpacked
into their cache) would otherwise run twice at once, and the second dpkg would find the first
one's lock, or one unpacking would remove the other's files.
"""

from __future__ import annotations

import contextlib
import fcntl
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Hold the machine-wide lock ``name`` (a file in the temporary folder) while in the block."""
    path = Path(tempfile.gettempdir()) / f"kiosk-tests-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
