"""Kiosk-wide states: answers about the kiosk, not about the entry being delivered.

A rejected token (401/403), a clock running ahead (422 "occurredAt is in the future") and an
idempotency key the central side knows for another request (``idempotency_mismatch``, after the
store was rolled back) would come back the same for every entry. Filing them against each entry
dead-lettered whole outboxes on the first try, and ``retry-dead`` could not help while the cause
stayed. Instead the relay holds them in one :class:`KioskGate`:

- the first such answer puts the kiosk in one state (``unauthorized``, ``clock_skew`` or
  ``keys_rejected``), written with :func:`sync_agent.store.status.record_kiosk_state` (seen by
  ``kiosk-sync status``, the technician screen and the metric ``kiosk_state``) and logged once;
- delivery pauses: one entry goes out every :data:`PROBE_EVERY_S` as a probe, nothing is
  dead-lettered and each entry keeps its key and payload;
- before each probe the settings are read again (a token replaced in ``kiosk.toml`` is used at
  once); the clock needs no action of ours (an entry stamped ahead becomes acceptable once the
  central clock reaches it); an entry answered ``idempotency_mismatch`` gets a fresh key (it was
  certainly not applied under the old one, which belongs to another request);
- the first answer the central side gives about an entry itself (accepted, refused, not found)
  ends the state and delivery resumes at full speed.

A SIP2 ACS that refuses the kiosk's login (94 with ok=0, or the connection closed on the login
unanswered; a login merely unanswered is unreachable: a slow ACS is no wrong password) puts the
kiosk in ``login_refused``, a state of its own rather than ``unauthorized``: the repair is another
one (the SIP2 user, password and location, or the ACS's SIP account, not an API token), and whoever
reads only the state's name (an alert, the technician screen) must know which to fix. Before each
probe its login (``sip2_user``, ``sip2_password``, ``sip2_location``) is read again, as a token is;
a password kept as the credential ``kiosk_sip2_password`` is read by systemd when the service
starts, so replacing it takes a restart, after which :meth:`KioskGate.restore` probes at once.
Either way the first login that lets an entry through ends the state."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sync_agent.central.results import LOGIN_CHECK, Busy, NotFound, Ok, Refused, is_kiosk_wide
from sync_agent.settings import Settings
from sync_agent.store.database import Store, StoreError
from sync_agent.store.status import kiosk_state, record_kiosk_state

log = logging.getLogger(__name__)

OK = "ok"
PROBE_EVERY_S = 30.0
"""How often a paused kiosk tries one entry: a fixed token or clock is noticed within half a minute,
and a fleet of misconfigured kiosks sends the central side two requests a minute each."""
CREDENTIAL_STATES = frozenset({"unauthorized", "login_refused"})
"""States a new credential can end: the settings are read again before each probe."""
WHAT_TO_DO = {
    "unauthorized": "the central API refuses this kiosk's token: replace it (the credential "
                    "kiosk_api_token or api_token in kiosk.toml)",
    "clock_skew": "the central API says this kiosk's clock runs ahead: check NTP (timedatectl)",
    "keys_rejected": "the central API knows an idempotency key of this kiosk for another request "
                     "(was the store restored from a copy?): keys are being renewed",
    "login_refused": f"the library system's SIP2 server (ACS) refuses this kiosk's login: {LOGIN_CHECK}",
}


class KioskGate:
    """Pauses one relay's deliveries while the kiosk is in a kiosk-wide state.

    ``record``: whether this process writes the state to the store (the agent does; the app only
    pauses its own deliveries). ``reload``: reads the settings again before each probe, whose
    credentials ``use_credentials`` hands to the central port (``Central.use_credentials``)."""

    def __init__(self, store: Store, *, record: bool, use_credentials: Callable[[Settings], None],
                 reload: Callable[[], Settings] | None = None, probe_every_s: float = PROBE_EVERY_S) -> None:
        self.store = store
        self.record = record
        self.use_credentials = use_credentials
        self.reload = reload
        self.probe_every_s = probe_every_s
        self.state = OK
        self._next_probe = 0.0

    def restore(self) -> None:
        """Take up the state a previous run of this process recorded: probe at once, and clear it
        on the first answer about an entry (a restart after fixing the cause shows ok quickly)."""
        if not self.record:
            return
        recorded = kiosk_state(self.store)["state"]
        if recorded in WHAT_TO_DO:
            self.state, self._next_probe = recorded, 0.0

    def admit(self, free: int) -> int:
        """How many of ``free`` delivery slots may be used now: all of them, or one probe per
        :attr:`probe_every_s` while paused, or none."""
        if self.state == OK or free <= 0:
            return free
        if time.monotonic() < self._next_probe:
            return 0
        self._next_probe = time.monotonic() + self.probe_every_s
        self._reload_credentials()
        return 1

    def paused(self) -> bool:
        return self.state != OK and time.monotonic() < self._next_probe

    def wait_s(self) -> float:
        """Seconds until the next probe (0 when not paused)."""
        return max(0.0, self._next_probe - time.monotonic()) if self.state != OK else 0.0

    def observe(self, result: object) -> None:
        """Enter a state on an answer about the kiosk; leave it on an answer about an entry."""
        if is_kiosk_wide(result):
            assert isinstance(result, Busy)
            if self.state != result.reason.value:
                self.state = result.reason.value
                self._next_probe = time.monotonic() + self.probe_every_s
                log.error("delivery paused, kiosk-wide state %s: %s (%s)", self.state,
                          WHAT_TO_DO[self.state], result.detail)
                self._write(self.state, f"{WHAT_TO_DO[self.state]} ({result.detail})")
        elif self.state != OK and isinstance(result, Ok | Refused | NotFound):
            log.warning("delivery resumed: the central API answers again (was %s)", self.state)
            self.state = OK
            self._write(OK, "")

    def login(self, result: object) -> None:
        """The outcome of a login tried before any delivery (the agent's start), so that a refused
        one shows with nothing to deliver: a refusal enters ``login_refused`` as a delivery's
        would; a success ends that state and no other (an ACS that answers says nothing of a
        token, a clock or keys)."""
        if is_kiosk_wide(result) or (self.state == "login_refused" and isinstance(result, Ok)):
            self.observe(result)

    def _write(self, state: str, reason: str) -> None:
        if not self.record:
            return
        try:
            record_kiosk_state(self.store, state, reason)
        except StoreError as exc:  # the log line above says it; the next change tries again
            log.error("kiosk-wide state %s not recorded: %s", state, exc)

    def _reload_credentials(self) -> None:
        if self.reload is None or self.state not in CREDENTIAL_STATES:
            return
        try:
            settings = self.reload()
        except Exception as exc:  # noqa: BLE001 - a bad edit of kiosk.toml must not stop the agent
            log.error("settings not re-read before the probe: %s", str(exc).splitlines()[0])
            return
        self.use_credentials(settings)
