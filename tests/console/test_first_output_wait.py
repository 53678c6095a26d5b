"""A stream whose first output is slow, in the run console: Sim sends nothing (not even the
response headers) until the workflow has its first output, so the console says it is waiting,
counts the seconds, and Stop works throughout.

The sandbox's ``stall_before_first_byte_s`` knob holds the first frame back (real seconds) and
the console's client has a call deadline (``timeout``) far shorter than that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.ui.run_console import waiting_text
from tests.support.console import waiting_texts

MakeBench = Callable[..., Workbench]
CALL_S = 0.3  # the client's call deadline


def _open_story(qtbot: Any, bench: Workbench) -> None:
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    bench.console.form.set_values({"words": 3})


def test_waiting_text_counts_seconds_then_minutes() -> None:
    assert waiting_text(0.4) == "Waiting for the first output · 0 s"
    assert waiting_text(41.9) == "Waiting for the first output · 41 s"
    assert waiting_text(125) == "Waiting for the first output · 2 min 05 s"


def test_the_console_counts_the_wait_for_the_first_output_then_streams(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    sandbox.faults.update({"stall_before_first_byte_s": 3.5})  # room for two ticks on a busy machine
    bench = make_bench(sandbox, timeout=CALL_S)
    _open_story(qtbot, bench)
    console = bench.console
    assert console.waiting_box.isHidden()
    with waiting_texts(bench) as shown, qtbot.waitSignal(bench.runs.finished, timeout=15_000) as done:
        assert console.run()
        qtbot.waitUntil(lambda: not console.waiting_box.isHidden(), timeout=2000)
        assert console.waiting.text() == "Waiting for the first output · 0 s"
        assert console.timing.text().startswith("Waiting for the first output…")
        assert console.stop_button.isEnabled()
    assert done.args[0].status == "completed"
    # the service's once-a-second clock moved the count on while nothing arrived
    counts = [text for text in dict.fromkeys(shown) if text]
    assert counts[:3] == [waiting_text(0), waiting_text(1), waiting_text(2)], shown
    assert shown[-1] == ""  # gone once the first frame came
    assert console.waiting_box.isHidden()
    assert "Waiting" not in console.timing.text()
    assert len(bench.runs.transcript.text().split()) == 3


def test_stop_during_the_wait_cancels_the_run_and_closes_the_connection(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    sandbox.faults.update({"stall_before_first_byte_s": 60.0})  # far longer than the test
    state = sandbox.state
    holding = state.in_flight
    bench = make_bench(sandbox, timeout=CALL_S)
    _open_story(qtbot, bench)
    console = bench.console
    with qtbot.waitSignal(bench.runs.finished, timeout=15_000) as done:
        assert console.run()
        qtbot.waitUntil(lambda: not console.waiting_box.isHidden(), timeout=2000)
        qtbot.waitUntil(lambda: state.in_flight == holding + 1, timeout=5000)  # the sandbox holds the stream open
        console.stop_button.click()
    outcome = done.args[0]
    assert outcome.status == "cancelled"  # stopped by the person, not failed
    assert console.result.pill.text() == "■ Cancelled"
    assert "Sim reports the run cancelled" in console.result.note.text()
    assert state.runs[outcome.run_id].status(sandbox.clock.now())[0] == "cancelled"
    qtbot.waitUntil(lambda: state.in_flight == holding, timeout=5000)  # the server saw the disconnect
    assert console.waiting_box.isHidden()
    assert not console.stop_button.isEnabled() and console.run_button.isEnabled()
