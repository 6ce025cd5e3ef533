"""A real ACS for the real-ACS suite: the Evergreen SIPServer peer, started once per test session.

The fake ACS (``backend_stub.sip2_acs``) was written by us, so it shares our reading of SIP2; the
peer in ``../shared/peers/evergreen-sipserver/`` was not, and it answers as a real library system
does. It is never part of the project: the suite runs the peer's own ``start.sh`` beside the checkout
with the project's records (``evergreen_fixtures.json``), in a temporary WORKDIR, so every session
starts from those records and a read-only checkout (CI) is never written to.

``real_acs`` (session-scoped) is an :class:`AcsTarget`: where the ACS is, how to log in, and which
barcode plays each role a test needs (``target.need("item_to_borrow")``). With
``KIOSK_TEST_SIP2=host:port`` set, the target is that ACS instead (the library's own Koha or
Evergreen) and its roles come from ``KIOSK_TEST_SIP2_<ROLE>`` (``_PATRON``, ``_ITEM``, ...); a test
whose role is not given is skipped and says which variable it wants. Where the peer cannot run
(no Perl, its Debian packages cannot be downloaded) the suite is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from backend_stub.readiness import free_port
from kiosk_testing.machine_lock import machine_lock
from sync_agent.settings import Settings

PEER_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "peers" / "evergreen-sipserver"
FIXTURES = Path(__file__).with_name("evergreen_fixtures.json")
ENV = "KIOSK_TEST_SIP2"
START_BUDGET_S = 100.0
"""All a start may take, an ``apt-get update`` included: a cold start downloads 11 Debian packages
first (about 2 s from a near mirror), a warm one listens within 0.2 s. It stays under the
suite's per-test timeout (pyproject), so a peer that cannot start is a skip with its reason, not a
timeout of whichever test happened to start it."""
STOP_TIMEOUT_S = 10.0


@dataclass
class AcsTarget:
    """An ACS to test against and the test records it holds."""

    host: str
    port: int
    user: str
    password: str
    institution: str
    roles: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)
    """Further ``sip2_*`` settings (location, terminator, encoding, checksums, tls, timezone)."""
    source: str = "the Evergreen SIPServer peer"

    def need(self, role: str) -> str:
        """The barcode playing ``role``, or skip: this ACS was not given one."""
        if role not in self.roles:
            pytest.skip(f"set {ENV}_{role.upper()} to run this against {self.source}")
        return self.roles[role]

    def settings(self, data_dir: Path, **overrides: Any) -> Settings:
        """Kiosk settings with ``central = "sip2"`` pointed at this ACS."""
        values: dict[str, Any] = {
            "id": "kiosk-test", "data_dir": data_dir, "central": "sip2", "lang": "en",
            "sip2_host": self.host, "sip2_port": self.port, "sip2_user": self.user,
            "sip2_password": self.password, "sip2_institution": self.institution,
            "breaker_failure_threshold": 3, "breaker_reset_s": 30, **self.options}
        values.update(overrides)
        return Settings(**values)


class PeerUnavailable(Exception):
    """The peer cannot run on this machine; the message says why."""


class EvergreenPeer:
    """``start.sh PORT WORKDIR FIXTURES`` as a child process, stopped with SIGTERM."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.output = workdir / "start.out"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> EvergreenPeer:
        if not (PEER_DIR / "start.sh").is_file():
            raise PeerUnavailable(f"the peer is not at {PEER_DIR}")
        for tool in ("perl", "apt-get", "dpkg-deb"):
            if shutil.which(tool) is None:
                raise PeerUnavailable(f"the peer needs {tool}, which this machine lacks")
        deadline = time.monotonic() + START_BUDGET_S
        with machine_lock("evergreen-peer"):  # the other test worker's peer may be filling the cache
            try:
                self._launch(deadline)
            except PeerUnavailable:
                if os.geteuid() != 0 or (perl_cache() / ".ok").exists():
                    raise  # not root, or the packages were there: an update would not help
                # a machine whose package lists are empty: fetch them once, then try again
                try:
                    subprocess.run(["apt-get", "update", "-q"], capture_output=True,
                                   timeout=max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    raise PeerUnavailable(f"apt-get update took over {START_BUDGET_S:.0f} s") from None
                self._launch(deadline)
        return self

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # the peer ends its worker processes itself
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _launch(self, deadline: float) -> None:
        self.port = free_port()
        env = {**os.environ, "TZ": "UTC"}  # its dates are local time without a zone
        with self.output.open("wb") as out:
            self.process = subprocess.Popen(
                ["sh", str(PEER_DIR / "start.sh"), str(self.port), str(self.workdir / "acs"),
                 str(FIXTURES)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env)
        self._wait_listening(deadline)

    def _wait_listening(self, deadline: float) -> None:
        """Until the port accepts a connection; fails at once when start.sh exits."""
        assert self.process is not None
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                pass
            try:
                code = self.process.wait(0.05)  # waits on the process: its exit is the other event
            except subprocess.TimeoutExpired:
                code = None
            if code is not None:
                raise PeerUnavailable(f"start.sh exited with {code}: {self._said()[-600:].strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise PeerUnavailable(f"the peer did not listen within {START_BUDGET_S:.0f} s")

    def _said(self) -> str:
        return self.output.read_text(errors="replace") if self.output.exists() else ""


def perl_cache() -> Path:
    """Where start.sh keeps the peer's Perl packages (a temporary directory, shared by runs)."""
    cache = os.environ.get("SIP2_PEER_CACHE")
    return Path(cache) if cache else Path(os.environ.get("TMPDIR") or "/tmp") / "evergreen-sipserver-perl"


def target_from_env(address: str) -> AcsTarget:
    """The ACS named by ``KIOSK_TEST_SIP2=host:port`` and its ``KIOSK_TEST_SIP2_*`` variables."""
    host, _, port = address.rpartition(":")
    prefix = ENV + "_"
    given = {name[len(prefix):].lower(): value for name, value in os.environ.items()
             if name.startswith(prefix) and value}
    login = {key: given.pop(key, "") for key in ("user", "password", "institution")}
    options = {f"sip2_{key}": given.pop(key) for key in
               ("location", "terminator", "encoding", "checksums", "tls", "timezone") if key in given}
    return AcsTarget(host=host, port=int(port), roles=given, options=options,
                     source=f"the ACS at {address}", **login)


def peer_target(peer: EvergreenPeer) -> AcsTarget:
    roles = json.loads(FIXTURES.read_text(encoding="utf-8"))["roles"]
    return AcsTarget(host="127.0.0.1", port=peer.port, user="scclient", password="clientpwd",
                     institution="UWOLS", roles=roles, options={"sip2_timezone": "UTC"})


@pytest.fixture(scope="session")
def real_acs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AcsTarget]:
    address = os.environ.get(ENV, "")
    if address:
        yield target_from_env(address)
        return
    peer = EvergreenPeer(tmp_path_factory.mktemp("evergreen-peer"))
    try:
        peer.start()
    except PeerUnavailable as exc:
        pytest.skip(f"the Evergreen SIPServer peer cannot run here: {exc}")
    try:
        yield peer_target(peer)
    finally:
        peer.stop()
