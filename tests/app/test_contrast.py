"""Every text the app draws reads at WCAG AA (4.5:1) in both themes: the theme's pairs, and the
invalid-JSON message as it is really painted (it was red text on a red bar)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication

from simdesk.ui.input_form import InputForm
from simdesk.ui.theme import DARK, LIGHT, Colors, ThemeController, contrast, text_pairs

AA = 4.5


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_every_text_colour_of_the_theme_meets_aa(colors: Colors) -> None:
    pairs = text_pairs(colors)
    names = {name for name, _fg, _bg in pairs}
    for needed in ("error on its bar", "notice text", "hint", "link on surface", "json key on surface"):
        assert needed in names
    assert any(name.endswith(" pill") for name in names) and any(name.endswith(" badge") for name in names)
    weak = [(name, fg, bg, round(contrast(fg, bg), 2)) for name, fg, bg in pairs if contrast(fg, bg) < AA]
    assert not weak, weak


def test_contrast_is_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def _painted_contrast(image: QImage) -> float:
    """Contrast of the colour furthest from the background (the most common colour) against it."""
    pixels = Counter(image.pixel(x, y) for x in range(image.width()) for y in range(image.height()))
    background = QColor.fromRgb(pixels.most_common(1)[0][0]).name()
    return max(contrast(QColor.fromRgb(p).name(), background) for p in pixels)


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[ThemeController]:
    palette, sheet = qapp.palette(), qapp.styleSheet()
    theme = ThemeController(qapp)
    yield theme
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_the_invalid_json_message_is_readable(qtbot: Any, themed: ThemeController, mode: str) -> None:
    themed.set_mode(mode)
    form = InputForm()
    qtbot.addWidget(form)
    form.set_inputs((), free_form=True)
    form.set_raw_mode(True)
    form.resize(500, 300)
    form.show()
    form.editor.setPlainText('{"message": "hi",}')
    qtbot.waitUntil(form.json_error.isVisible, timeout=3000)
    assert form.json_error.text()
    image = form.json_error.grab().toImage()
    assert _painted_contrast(image) >= AA
