"""Loading the printer driver leaves the process's logging alone (python-escpos's import calls
logging.basicConfig(), whose handler would write to the patron's terminal)."""

import subprocess
import sys

CHECK = """
import logging
import hardware.escpos_printer
import kiosk_app.app
assert logging.getLogger().handlers == [], logging.getLogger().handlers
"""


def test_importing_the_app_adds_no_log_handler():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
