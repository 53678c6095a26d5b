"""The run modes: one segmented control beside the action button, one vocabulary everywhere."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox

MakeBench = Callable[..., Workbench]
ROOT = Path(__file__).resolve().parents[2] / "simdesk"


def test_modes_are_a_segmented_control_beside_the_action_button(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    console = bench.console
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        console.open_workflow(demo.ECHO_ID)
    console.resize(1000, 700)
    console.show()
    qtbot.waitExposed(console)
    buttons = {b.objectName(): b for b in console.findChildren(QToolButton) if b.objectName().startswith("mode_")}
    assert [buttons[n].text() for n in ("mode_sync", "mode_stream", "mode_async")] == [
        "Run",
        "Stream",
        "Run in background",
    ]
    assert all(b.isCheckable() and b.group() is buttons["mode_sync"].group() for b in buttons.values())
    assert buttons["mode_sync"].group().exclusive()
    # beside the action button: same row, just left of it
    switch = console.options.modes
    run_button = console.run_button
    switch_box = switch.rect().translated(switch.mapTo(console, switch.rect().topLeft()))
    run_top_left = run_button.mapTo(console, run_button.rect().topLeft())
    assert abs(switch_box.center().y() - (run_top_left.y() + run_button.height() // 2)) <= 4
    assert 0 <= run_top_left.x() - switch_box.right() <= 24
    # a click on a segment changes the action button's label
    for name, label in (("mode_async", "▶ Run in background"), ("mode_sync", "▶ Run"), ("mode_stream", "▶ Stream")):
        qtbot.mouseClick(buttons[name], Qt.MouseButton.LeftButton)
        assert run_button.text() == label
        assert console.options.mode() == name.removeprefix("mode_")
        assert sum(b.isChecked() for b in buttons.values()) == 1


def _shown_strings(path: Path) -> list[tuple[int, str]]:
    """The string constants of a module, docstrings left out (they are for developers)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_other_words_for_the_modes_in_the_ui() -> None:
    """ "Queue", "Async", "In the background" and "(sync)" are gone from what people read."""
    old = re.compile(r"\bQueue|\bAsync\b|[Ii]n the background|\(sync\)|\bsync run")
    found = [
        f"{path.name}:{line}: {text!r}"
        for folder in ("ui", "services", "models")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line, text in _shown_strings(path)
        if old.search(text)
    ]
    assert not found, "\n".join(found)
