"""``python -m sync_agent`` is ``kiosk-sync``."""

import sys

from sync_agent.agent.cli import main

sys.exit(main())
