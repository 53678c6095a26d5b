"""Messages go when their cause goes: input problems once fixed, "Follow the stream" once the
stream ends, a failure to open a workflow once one opens; a mistyped id stays to be corrected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import QLineEdit

from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox

MakeBench = Callable[..., Workbench]
MISSING_ID = "3b1f7c92-0000-4a6b-9c0d-0000000dead0"


def _open(qtbot: Any, bench: Workbench, workflow_id: str) -> None:
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(workflow_id)


def _field(bench: Workbench, name: str) -> QLineEdit:
    editor = bench.console.form.field_editor(name)
    assert isinstance(editor, QLineEdit)
    return editor


def test_the_input_notice_goes_once_the_input_is_fixed(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    console = bench.console
    _open(qtbot, bench, demo.STORY_ID)
    _field(bench, "words").setText("twenty")
    assert not console.run()
    assert not console.notice.isHidden() and "Fix the input before running" in console.notice.text()
    assert console.form.field_error("words")
    _field(bench, "words").setText("20x")  # still wrong: the notice stays, with the current problem
    assert not console.notice.isHidden() and "words" in console.notice.text()
    _field(bench, "words").setText("20")
    assert console.notice.isHidden()
    assert console.form.field_error("words") == ""
    assert console.form.summary.isHidden()
    _field(bench, "words").setText("oops")  # after the fix, typing is not checked key by key again
    assert console.notice.isHidden()


def _story_stream(qtbot: Any, bench: Workbench) -> None:
    """The Story Teller opened, to be streamed."""
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})


def test_follow_the_stream_goes_when_the_stream_stops(
    qtbot: Any, make_bench: MakeBench, paced_sandbox: RunningSandbox
) -> None:
    bench = make_bench(paced_sandbox)
    console = bench.console
    console.resize(900, 500)
    console.show()
    _story_stream(qtbot, bench)
    _field(bench, "repeat").setText("6")
    bar = console.transcript.verticalScrollBar()
    with qtbot.waitSignal(bench.runs.finished, timeout=20_000):
        assert console.run()
        qtbot.waitUntil(lambda: bar.maximum() > 40, timeout=15_000)
        bar.setValue(0)  # the person scrolls up to read
        assert not console.follow_button.isHidden()
        console.stop_button.click()
    assert console.follow_button.isHidden()


def test_a_failed_open_is_forgotten_once_a_workflow_opens_and_the_typo_can_be_fixed(
    qtbot: Any, make_bench: MakeBench, sandbox_no_v2: RunningSandbox
) -> None:
    bench = make_bench(sandbox_no_v2)
    panel = bench.panel
    with qtbot.waitSignal(bench.catalogue.workflow_failed, timeout=10_000):
        panel.id_field.setText(MISSING_ID)
        panel.add_button.click()
    assert "no workflow with this id" in panel.status.text() and not panel.status.isHidden()
    assert panel.id_field.text() == MISSING_ID  # kept, to be corrected
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        panel.id_field.setText(demo.ECHO_ID)
        panel.add_button.click()
    assert "no workflow" not in panel.status.text()
    assert panel.id_field.text() == ""
    assert bench.console.notice.isHidden()


def test_a_stop_the_person_asked_for_is_not_shown_as_a_failure(
    qtbot: Any, make_bench: MakeBench, paced_sandbox: RunningSandbox
) -> None:
    bench = make_bench(paced_sandbox)
    console = bench.console
    _story_stream(qtbot, bench)
    with qtbot.waitSignal(bench.runs.finished, timeout=20_000) as done:
        assert console.run()
        qtbot.waitUntil(lambda: bench.runs.transcript.timing.chunks >= 2, timeout=10_000)
        console.stop_button.click()
    outcome = done.args[0]
    assert outcome.status == "cancelled" and outcome.error_code in (None, "CANCELLED")
    assert console.result.pill.text() == "■ Cancelled"
    assert console.result.error.isHidden()
    assert "cancel" in console.result.note.text()
    # a server that words the cancel as an error ("Cancelled", code CANCELLED) is not shown in red either
    console.result.show_outcome(replace(outcome, error="Cancelled", error_code="CANCELLED"))
    assert console.result.error.isHidden() and console.result.pill.text() == "■ Cancelled"
