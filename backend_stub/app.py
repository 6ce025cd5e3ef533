"""``create_app``: the stand-in as an ASGI application (for uvicorn and the test client)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import FastAPI

from . import admin, api
from .demo_data import DATA_DIR
from .errors import HANDLERS
from .faults import Faults, ServiceFaults
from .middleware import BearerToken, BodyLimit, DropConnection
from .runtime import StandIn


def create_app(db_path: Path | str | None = None, *, data_dir: Path = DATA_DIR,
               token: str | None = None, faults_enabled: bool = False,
               faults: dict[str, ServiceFaults] | None = None, seed: int | None = None) -> FastAPI:
    """Build the stand-in.

    ``db_path``: the SQLite file (created and filled with the demo library when new; a fresh
    temporary file when None). ``token``: bearer token every call but ``/health`` must carry
    (None: open). ``faults_enabled``: allow the ``/admin`` API. ``faults``: faults at start, by
    service. ``seed``: makes fault randomness reproducible.
    """
    if db_path is None:
        db_path = Path(tempfile.mkdtemp(prefix="kiosk-backend-")) / "central.db"
    central = StandIn.open(Path(db_path), data_dir, faults=Faults(faults, seed),
                           admin_enabled=faults_enabled)
    app = FastAPI(title="Library central API (stand-in)", version="1.0",
                  description="Rental, payment and book management services, with faults on demand.",
                  exception_handlers=HANDLERS)
    app.state.stand_in = central
    app.include_router(api.router)
    app.include_router(admin.router)
    # outermost last: size limit, then token, then the drop fault around the routes
    app.add_middleware(DropConnection)
    app.add_middleware(BearerToken, token=token)
    app.add_middleware(BodyLimit)
    return app
