"""Parsing JSON from outside (a server's answer, a stored frame) where every failure is a ``ValueError``.

``json.loads`` raises ``RecursionError`` for arrays or objects nested some thousands deep, which a
hostile server can send in a few kilobytes; callers that catch ``ValueError`` for "not JSON"
would let it escape. :func:`loads` turns it into a ``ValueError`` like any other malformed text.
"""

from __future__ import annotations

import json
from typing import Any


class TooDeep(ValueError):
    """JSON nested deeper than the parser can follow."""


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``; malformed, badly encoded or too deeply nested text is a ``ValueError``."""
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeep("JSON nested too deeply") from None
