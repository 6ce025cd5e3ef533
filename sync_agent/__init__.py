"""What the kiosk's two processes share beyond the screen, by role.

- :mod:`sync_agent.wire`: the wire contracts (REST models, SIP2 frames and message table), shared
  with the stand-ins;
- :mod:`sync_agent.store`: the one SQLite file and the owner of each of its tables (outbox and
  saga, read model, status, counters, mail jobs, retention);
- :mod:`sync_agent.central`: the port to the library system, its breakers and typed results, and
  one subpackage per adapter (``rest``, ``sip2``);
- :mod:`sync_agent.agent`: the ``kiosk-sync`` program (relay, pacing, metrics, systemd);
- :mod:`sync_agent.settings` and :mod:`sync_agent.logs`: configuration and log masking, for both
  processes; :mod:`sync_agent.config_values`, the configuration's file, prefix and the values read
  alike before the settings model (which imports pydantic) is.

Each package names its public modules in ``__all__`` (``tests/sync/test_public_surface.py`` pins
them); a package imports none of its modules itself, so importing one module loads only what it
needs.
"""

__all__ = ["agent", "central", "config_values", "logs", "settings", "store", "wire"]
