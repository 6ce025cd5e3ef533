"""Where the demo library's files are (``members.json``, ``items.json``, ``rentals.json``; each
fixture is described in ``README.md`` beside them), for every part that reads them: the stand-in,
the fake SIP2 ACS, the label sheet, ``kiosk demo`` and the test support.

In the checkout this is the folder ``data/``; installed, it is the package ``kiosk_data`` (the link
``kiosk_data -> data`` beside it, listed in pyproject's packages) and its files travel in the wheel
as package data. The folder is asked of :mod:`importlib.resources` rather than reckoned from another
module's ``__file__``, so an installed kiosk (``pip install .``, a wheel) finds the files where it
installed them, with no checkout. The package imports nothing of ours, so the drivers and the
stand-in may use it too.
"""

from importlib import resources
from pathlib import Path


def _folder() -> Path:
    found = resources.files(__name__)
    if not isinstance(found, Path):  # e.g. imported from a zip archive
        raise RuntimeError(f"the demo data is not a folder on disk ({found!r}); install the kiosk "
                           "with pip (a wheel or the checkout), not as a zip archive")
    return found


DATA_DIR: Path = _folder()
"""The folder of the demo library's JSON files."""
