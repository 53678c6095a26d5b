"""Cutting text to a readable length for people (the whole text belongs in the log)."""

from __future__ import annotations

READABLE_CHARS = 300  # a server's text in a message box or a notice bar stays legible up to about this
# What the app itself says may name two full paths (a damaged file and where it was put): longer,
# still bounded, so a message built around a server's text cannot grow without end either.
NOTICE_CHARS = 800


def shorten(text: str, limit: int = READABLE_CHARS) -> str:
    """``text`` if it has at most ``limit`` characters, else its first ``limit - 1`` and "…"."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
