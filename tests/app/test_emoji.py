"""Emoji draw in colour, not as empty boxes: the app names colour emoji fonts as Qt's fallback
and ``./dev`` installs one (fonts-noto-color-emoji)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QImage, QPainter

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.ui.fonts import EMOJI_FAMILIES

MakeApp = Callable[..., AppContext]


def _installed_emoji_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    return any(family in listed for family in EMOJI_FAMILIES)


def _coloured_pixels(text: str) -> int:
    image = QImage(120, 48, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    font = QFont()
    font.setPointSize(20)
    painter.setFont(font)
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    count = 0
    for x in range(image.width()):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            count += max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue()) > 40
    return count


def test_the_app_names_colour_emoji_fonts_as_fallback(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any
) -> None:
    make_app(app_paths)
    assert "Noto Color Emoji" in QFontDatabase.applicationEmojiFontFamilies()


@pytest.mark.skipif(not _installed_emoji_font(), reason="no colour emoji font (./dev installs fonts-noto-color-emoji)")
def test_an_emoji_is_drawn_in_colour(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any) -> None:
    make_app(app_paths)
    assert _coloured_pixels("🚀 📊") > 50  # a colour glyph, not a black-outlined box
    assert _coloured_pixels("ab") == 0  # the measure itself: plain text has no colour
