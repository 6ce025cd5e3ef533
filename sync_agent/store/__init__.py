"""The store: the one SQLite file both processes share, and the module that owns each table.

``database`` opens the file and holds the schema and ``OWNERS`` (which module writes which table);
every other module here owns tables or values of it: ``outbox`` (the queue's verbs), ``read_model``,
``sync_state``, ``counters``, ``status``, ``help_request``, ``mail_jobs``, ``retention`` (how long
patron data stays); ``schedule_clock`` and ``claimer`` are the outbox's clock and claim names.
Nothing here speaks to the central side.
"""

__all__ = ["claimer", "counters", "database", "help_request", "mail_jobs", "outbox", "read_model",
           "retention", "schedule_clock", "status", "sync_state"]
