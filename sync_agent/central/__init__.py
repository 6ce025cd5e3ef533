"""The central side: the port the use-cases and the relay call, and its adapters.

``port`` is the ``Central`` protocol; ``results`` what every call answers (``Ok``, ``Refused``,
``NotFound``, ``Busy``, ``InDoubt``); ``breakers`` one circuit breaker per dependency, through
which both adapters call; ``adapters`` builds the adapter ``central`` names. The adapters live one
per subpackage, ``rest`` (httpx) and ``sip2`` (SIP 2.00 over TCP/TLS), and only ``adapters``
imports them.
"""

__all__ = ["adapters", "breakers", "port", "rest", "results", "sip2"]
