"""``kiosk-sync``, the agent program: the relay that claims, delivers and settles outbox entries
(``relay``), its congestion window (``pacing``), the kiosk-wide pause (``kiosk_wide``),
Prometheus ``/metrics`` (``metrics``), ``sd_notify`` (``systemd``) and the command line (``cli``)."""

__all__ = ["cli", "kiosk_wide", "metrics", "pacing", "relay", "systemd"]
