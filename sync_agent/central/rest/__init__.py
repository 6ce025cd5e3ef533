"""The REST adapter: the central API over httpx (``client``), with the bounded reading of an
answer's body (``capped_body``), of ``Retry-After`` (``retry_after``) and what a delivery's answer
must be about (``delivery_answer``)."""

__all__ = ["capped_body", "client", "delivery_answer", "retry_after"]
