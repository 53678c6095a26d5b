"""Colour emoji: the app shows ✓ ✗ ▶ ⏸ and emoji in workflow names and outputs.

Without a colour emoji font a desktop draws empty boxes ("tofu"). ``./dev`` installs
``fonts-noto-color-emoji``; :func:`use_colour_emoji` names the usual colour emoji families as
Qt's emoji fallback, so emoji come from one of them on any platform (families that are not
installed are skipped by Qt, and nothing is enumerated at start-up).
"""

from __future__ import annotations

from PySide6.QtGui import QFontDatabase

EMOJI_FAMILIES = ("Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji", "Twemoji Mozilla", "Twitter Color Emoji")


def use_colour_emoji() -> None:
    """Make the colour emoji families Qt's emoji fallback (unless the app already set some)."""
    if not QFontDatabase.applicationEmojiFontFamilies():
        QFontDatabase.setApplicationEmojiFontFamilies(list(EMOJI_FAMILIES))
