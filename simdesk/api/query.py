"""Query strings for v2's strict list endpoints (blank, unknown or repeated parameters are 400s).

Callers pass Python values under snake_case names; each is mapped to its camelCase parameter and
rendered as Sim expects: lists as comma-separated text, booleans as ``true``/``false``, datetimes
as UTC ISO 8601 with milliseconds and ``Z``. ``None`` and blank values are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any


def iso_z(moment: datetime) -> str:
    """``2026-08-21T10:00:00.000Z`` (a naive datetime is taken as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"


def render(value: Any) -> str:
    """One query value as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return iso_z(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(render(v) for v in value)
    return str(value)


def build(filters: Mapping[str, Any], names: Mapping[str, str], *, what: str) -> dict[str, str]:
    """Map ``filters`` (snake_case) through ``names`` to query parameters; unknown names are a
    ``TypeError``, as for any unexpected keyword argument."""
    unknown = sorted(set(filters) - set(names))
    if unknown:
        raise TypeError(f"{what} got unexpected filter(s): {', '.join(unknown)}")
    query: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        text = render(value)
        if text.strip():
            query[names[key]] = text
    return query
