"""``kiosk-sync``, the agent program: the relay that claims, delivers and settles outbox entries
(``relay``), each sent through the port's verb of its kind (``dispatch``), its congestion window (``pacing``), the kiosk-wide pause (``kiosk_wide``),
Prometheus ``/metrics`` (``metrics``), ``sd_notify`` (``systemd``) and the command line (``cli``)."""

__all__ = ["cli", "dispatch", "kiosk_wide", "metrics", "pacing", "relay", "systemd"]
