"""The SIP2 adapter: a SIP 2.00 ACS (Koha, Evergreen) as the central side.

``client`` is the adapter; ``connection`` the one persistent connection (login, resend,
reconnect); ``answers`` whether an answer may be believed; ``patron`` reads a 64, ``renew_all`` a
66. The frames and the message table are the wire contract, :mod:`sync_agent.wire`.
"""

__all__ = ["answers", "client", "connection", "patron", "renew_all"]
