"""Reading rate-limit headers, tolerantly (sim-api.md §3.2).

``X-RateLimit-Limit`` is bucket capacity, ``-Remaining`` whole tokens left, ``-Reset`` an ISO 8601
timestamp (older deployments and docs use epoch seconds, so digits are accepted too), and
``Retry-After`` integer seconds (an HTTP-date or a fraction is accepted too). A value that does
not parse is treated as absent: a malformed header never raises (the official SDK's ``ValueError``
escapes, sim-api.md §14 item 6).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from simdesk.core.rates import RateLimitState

_EPOCH_MS_THRESHOLD = 100_000_000_000  # digits above this are epoch milliseconds


def parse_int(value: str | None) -> int | None:
    """An integer header value, or ``None`` if absent or malformed (floats are floored)."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if math.isfinite(number) else None


def parse_timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp (or epoch seconds/milliseconds) as an aware UTC datetime."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        number = int(text)
        seconds = number / 1000 if number > _EPOCH_MS_THRESHOLD else number
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds (never negative), or ``None`` if absent or malformed."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def state_from_headers(headers: Mapping[str, str], bucket: str, observed_at: float) -> RateLimitState | None:
    """The bucket state a response reports, or ``None`` when it carries no ``X-RateLimit-*``.

    ``headers`` must answer lower-case names (a dict of lower-cased names, or httpx's). A
    ``Retry-After`` on the same response is kept in the state, so the meter can show "wait N s".
    """
    limit = headers.get("x-ratelimit-limit")
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    if limit is None and remaining is None and reset is None:
        return None
    return RateLimitState(
        bucket=bucket,
        limit=parse_int(limit),
        remaining=parse_int(remaining),
        reset_at=parse_timestamp(reset),
        observed_at=observed_at,
        retry_after=parse_retry_after(headers.get("retry-after")),
    )
