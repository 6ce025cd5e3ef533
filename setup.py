"""Builds the package with its translations compiled: every ``kiosk.po`` under
``kiosk_app/locale`` becomes the ``kiosk.mo`` that the app reads (kiosk_app/i18n.py).

The compiled catalogs are build output, not sources, so they are not committed; compiling them in
``build_py`` makes every way of installing carry them: a wheel, a wheel built from the sdist, and an
editable install, which reads the package from the checkout (so the ``.mo`` is written beside its
``.po`` there, before the package data is gathered). Everything else is in pyproject.toml.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).parent / "kiosk_app" / "locale"


def compile_catalogs(locale: Path) -> None:
    """Compile each language's ``.po`` next to it; a fuzzy or empty entry is left out, so the
    app reads that word from its fallback language rather than an unchecked guess."""
    for source in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        with source.open("rb") as po:
            catalog = read_po(po, locale=source.parent.parent.name)
        with source.with_suffix(".mo").open("wb") as mo:
            write_mo(mo, catalog)


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        compile_catalogs(LOCALE)
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogs})
