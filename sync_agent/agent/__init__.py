"""``kiosk-sync``, the agent program: the relay that claims, delivers and settles outbox entries
(``relay``), each sent through the port's verb of its kind (``dispatch``); the lending saga's
intent ledger and rules (``saga``, which the app's use-cases share); the relay's congestion window
(``pacing``), the kiosk-wide pause (``kiosk_wide``), Prometheus ``/metrics`` (``metrics``),
``sd_notify`` (``systemd``) and the command line (``cli``)."""

__all__ = ["cli", "dispatch", "kiosk_wide", "metrics", "pacing", "relay", "saga", "systemd"]
