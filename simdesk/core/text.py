"""Cutting text to a readable length for people (the whole text belongs in the log)."""

from __future__ import annotations

READABLE_CHARS = 300  # a message box or a notice bar stays legible up to about this


def shorten(text: str, limit: int = READABLE_CHARS) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit - 1`` and "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
