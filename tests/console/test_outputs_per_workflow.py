"""Streamed outputs belong to one workflow: they do not carry over to the next one opened, an
output naming no block of the workflow is flagged before the run, and a workflow never run
before gets sensible outputs and says what will stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.workbench import Workbench
from tests.console.test_run_console import _open, _run

MakeBench = Callable[..., Workbench]


def test_outputs_do_not_carry_over_and_a_foreign_one_is_flagged(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    options = bench.console.options
    _open(qtbot, bench, demo.STORY_ID)
    options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    assert _run(qtbot, bench).status == "completed"

    _open(qtbot, bench, demo.RESEARCH_ID)
    assert "Storyteller.content" not in options.selected_outputs()
    assert _run(qtbot, bench).status == "completed"  # teaches the console Research's blocks
    qtbot.waitUntil(lambda: bool(bench.runs.outline(demo.RESEARCH_ID).blocks), timeout=5000)
    qtbot.waitUntil(lambda: "Researcher.content" in options.selected_outputs(), timeout=5000)

    options.outputs.setText("Storyteller.content")  # typed by habit: flagged before any run
    assert options.unknown_outputs() == ["Storyteller.content"]
    assert "“Storyteller.content” names no block of this workflow" in options.hint.text()
    assert "Researcher" in options.hint.text() and not options.hint.isHidden()

    # remembered per workflow: Story keeps its own outputs across the visit to Research
    _open(qtbot, bench, demo.STORY_ID)
    assert options.selected_outputs() == ["Storyteller.content"]
    assert options.unknown_outputs() == []
    assert options.hint.text() == "Streams Storyteller.content as it is written."
    _open(qtbot, bench, demo.RESEARCH_ID)
    assert options.selected_outputs() == ["Storyteller.content"]  # what was typed there, still flagged
    assert options.unknown_outputs() == ["Storyteller.content"]
