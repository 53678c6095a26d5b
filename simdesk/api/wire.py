"""Small, tolerant readers for JSON values, shared by the parsers.

The server's JSON is read defensively: a missing optional field or a value of the wrong type is
treated as absent; only a missing identity (an id the client must have) is a
:class:`ProtocolError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from simdesk.api.errors import ProtocolError
from simdesk.api.ratelimit import parse_timestamp


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str | None:
    """A string, or ``None``."""
    return value if isinstance(value, str) else None


def number(value: Any) -> float | None:
    """A finite number (not a bool), or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def integer(value: Any) -> int | None:
    """A number as int, or ``None``."""
    found = number(value)
    return int(found) if found is not None else None


def flag(value: Any) -> bool:
    """True only for JSON ``true``."""
    return value is True


def when(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime, or ``None``."""
    return parse_timestamp(value) if isinstance(value, str) else None


def required(source: Mapping[str, Any], key: str, what: str) -> str:
    """A string field the client cannot do without."""
    value = source.get(key)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"The server's {what} has no {key!r}")
    return value


def items(value: Any, what: str) -> list[dict[str, Any]]:
    """A JSON array of objects (non-objects are skipped)."""
    if not isinstance(value, list):
        raise ProtocolError(f"The server's {what} is not a list")
    return [item for item in value if isinstance(item, dict)]
