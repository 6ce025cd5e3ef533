"""The wire contracts: what crosses the network, shared by the kiosk and the stand-ins.

``rest`` holds a pydantic model for every request and answer of the central API; ``sip2`` the
SIP 2.00 frame and dialect, ``sip2_messages`` the table of every message's fields. They import
nothing of ours but each other, so ``backend_stub`` may import them and nothing else of the kiosk.
"""

__all__ = ["rest", "sip2", "sip2_messages"]
