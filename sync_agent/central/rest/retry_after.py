"""``Retry-After`` as RFC 9110 (section 10.2.3) defines it, bounded and never trusted blindly.

The header is either delay-seconds (ASCII digits only: ``²`` or Arabic-Indic digits are
``str.isdigit()`` but not digits to HTTP) or an HTTP-date (IMF-fixdate, and the obsolete RFC 850
and asctime forms a recipient must still accept). Anything else is garbage and ignored: the relay
then backs off on its own schedule. A value is capped at :data:`MAX_RETRY_AFTER_S`, so one
answer cannot park the outbox for a year.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime

MAX_RETRY_AFTER_S = 300.0
"""Five minutes: longer than any planned pause of a service we have seen (a restart, a deploy),
short enough that a wrong header (a proxy's default, a typo of a date) costs minutes, not hours.
The breaker and the relay's own backoff take over for a longer outage."""

_DELAY_SECONDS = re.compile(r"[0-9]+", re.ASCII)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``now``: in [0, MAX_RETRY_AFTER_S], or None if absent or garbage."""
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return min(float(value), MAX_RETRY_AFTER_S)  # float(): no 4,300-digit limit, inf at worst
    when = _http_date(value)
    if when is None:
        return None
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


def _http_date(value: str) -> datetime | None:
    if not value or not value[0].isalpha():
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when  # asctime carries no zone: GMT
