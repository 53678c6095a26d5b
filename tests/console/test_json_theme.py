"""Switching to the dark theme re-colours JSON already on screen (the input's JSON editor and the
raw-frame detail), instead of leaving the light theme's dark-blue keys on a dark background."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextDocument
from PySide6.QtWidgets import QApplication

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.json_view import JsonHighlighter
from simdesk.ui.theme import ThemeController

MakeBench = Callable[..., Workbench]


def _key_colour(document: QTextDocument) -> QColor:
    """The colour the highlighter gave the first key of the document."""
    block = document.begin()
    for fmt_range in block.layout().formats():
        if fmt_range.format.fontWeight() > 500:  # keys are the bold tokens
            return fmt_range.format.foreground().color()
    raise AssertionError("no key coloured")


def test_json_follows_a_theme_switch(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, qapp: QApplication
) -> None:
    theme = ThemeController(qapp)
    theme.set_mode("light")
    bench = make_bench(sandbox)
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(demo.ECHO_ID)
    editors = [bench.console.form.editor, bench.console.frame_detail]
    for editor in editors:
        editor.setPlainText('{"message": "hello"}')
        highlighter = editor.document().findChild(QSyntaxHighlighter)
        assert isinstance(highlighter, JsonHighlighter)
    light = [_key_colour(e.document()) for e in editors]
    try:
        theme.set_mode("dark")
        qtbot.waitUntil(lambda: all(_key_colour(e.document()) != c for e, c in zip(editors, light, strict=True)))
        for editor in editors:
            assert _key_colour(editor.document()).lightness() > 128  # light keys on the dark base
    finally:
        theme.set_mode("light")
