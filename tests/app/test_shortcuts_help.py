"""Help → Keyboard shortcuts lists every binding, and the README's table is the same list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMenu

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.ui.shortcuts import SHORTCUTS, ShortcutsDialog

MakeApp = Callable[..., AppContext]
README = Path(__file__).resolve().parents[2] / "README.md"


def test_help_menu_opens_the_shortcuts(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any) -> None:
    ctx = make_app(app_paths)
    menus = {a.text().replace("&", ""): a.menu() for a in ctx.window.menuBar().actions()}
    help_menu = menus["Help"]
    assert isinstance(help_menu, QMenu)
    action = next(a for a in help_menu.actions() if a.text().replace("&", "") == "Keyboard shortcuts")
    action.trigger()
    dialog = ctx.window.shortcuts_dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()

    def cell(row: int, column: int) -> str:
        item = dialog.table.item(row, column)
        return item.text() if item is not None else ""

    shown = {(cell(row, 0), cell(row, 1), cell(row, 2)) for row in range(dialog.table.rowCount())}
    assert shown == set(SHORTCUTS)
    assert ("Ctrl+Enter", "Run, stream or run in background (the chosen mode)", "Run console") in shown
    dialog.close()


def test_the_readme_lists_the_same_shortcuts() -> None:
    text = README.read_text(encoding="utf-8")
    for keys, what, where in SHORTCUTS:
        assert f"| {keys} | {what} | {where} |" in text, keys
    assert text.index("./dev demo") < text.index("./dev test") < text.index("## Using simdesk")
    for picture in ("opened", "streamed", "background", "usage"):
        assert (README.parent / "docs" / "screenshots" / f"{picture}-light.png").is_file()
