"""Streamed outputs belong to one workflow: they do not carry over to the next one opened, an
output naming no block of the workflow is flagged before the run, and a workflow never run
before gets sensible outputs and says what will stream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.ui.run_console import NO_OUTPUTS
from tests.console.test_run_console import _open, _run, _type

MakeBench = Callable[..., Workbench]


@pytest.fixture
def new_account() -> Iterator[RunningSandbox]:
    """A sandbox where no workflow has run yet (the shared one keeps every test's runs)."""
    sb = start_sandbox(SandboxConfig(clock=ManualClock()))
    yield sb
    sb.stop()


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


def test_the_first_stream_picks_outputs_and_the_banner_goes(
    qtbot: Any, make_bench: MakeBench, new_account: RunningSandbox
) -> None:
    bench = make_bench(new_account)
    console, options = bench.console, bench.console.options
    _open(qtbot, bench, demo.STORY_ID)
    options.set_mode("stream")
    assert options.selected_outputs() == []
    assert "blocks are not known yet" in options.hint.text()  # says what this first run will do
    _type(bench, "words", "6")
    assert _run(qtbot, bench).status == "completed"
    assert console.notice.text() == NO_OUTPUTS
    # the run's log names the blocks: the agent's text is chosen, and the banner goes with it
    qtbot.waitUntil(lambda: options.selected_outputs() == ["Storyteller.content"], timeout=5000)
    assert console.notice.isHidden()
    assert options.hint.text() == "Streams Storyteller.content as it is written."
    assert _run(qtbot, bench).status == "completed"
    assert len(console.transcript.card_text(demo.STORY_AGENT.id).split()) == 6

    # another computer (no local history) learns the outputs from that last run before its first
    other = make_bench(new_account)
    _open(qtbot, other, demo.STORY_ID)
    qtbot.waitUntil(lambda: other.console.options.selected_outputs() == ["Storyteller.content"], timeout=5000)
    other.console.options.set_mode("stream")
    _type(other, "words", "4")
    assert _run(qtbot, other).status == "completed"
    assert len(other.console.transcript.card_text(demo.STORY_AGENT.id).split()) == 4
    assert other.console.notice.isHidden()


def test_a_response_block_reply_is_a_default_output(
    qtbot: Any, make_bench: MakeBench, new_account: RunningSandbox
) -> None:
    bench = make_bench(new_account)
    options = bench.console.options
    _open(qtbot, bench, demo.RESPONDER_ID)
    options.set_mode("sync")
    assert _run(qtbot, bench).status == "completed"
    qtbot.waitUntil(lambda: options.selected_outputs() == ["Response.data"], timeout=5000)
