"""``kiosk-backend`` as a process: stopped by SIGTERM (as the demo and the tests stop it), it
removes its scratch folder and the database in it, instead of leaving one behind per run."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from kiosk_testing.processes import BIN, Process, free_port, wait_healthy


def test_sigterm_ends_the_stand_in_cleanly_and_removes_its_scratch_database(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = free_port()
    process = Process([str(BIN / "kiosk-backend"), "--port", str(port), "--log-level", "warning"],
                      {**os.environ, "TMPDIR": str(temp)}, tmp_path / "backend.log")
    process.start()
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        [scratch] = temp.iterdir()
        assert (scratch / "central.db").exists()
        assert process.proc is not None
        process.proc.send_signal(signal.SIGTERM)
        assert process.proc.wait(10) == 0
    finally:
        process.kill()
    assert list(temp.iterdir()) == []
