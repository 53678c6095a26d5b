"""The run console widget against the embedded sandbox: every demo workflow in the modes it
supports, bad input blocked, lanes, Stop, copy/save, presets, the raw frames, reopening."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLineEdit, QMessageBox

from simdesk.app.workbench import Workbench
from simdesk.core.transcript import Outcome
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox

MakeBench = Callable[..., Workbench]


def _open(qtbot: Any, bench: Workbench, workflow_id: str) -> None:
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(workflow_id)
    assert bench.console.workflow is not None and bench.console.workflow.id == workflow_id


def _run(qtbot: Any, bench: Workbench, timeout: int = 10_000) -> Outcome:
    with qtbot.waitSignal(bench.runs.finished, timeout=timeout) as done:
        assert bench.console.run()
    outcome = done.args[0]
    assert isinstance(outcome, Outcome)
    return outcome


def _type(bench: Workbench, field: str, text: str) -> None:
    editor = bench.console.form.field_editor(field)
    assert isinstance(editor, QLineEdit)
    editor.setText(text)


# --- each demo workflow, in the modes it supports ----------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "stream", "async"])
def test_echo_in_every_mode(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, mode: str) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.ECHO_ID)
    _type(bench, "message", "hello")
    bench.console.options.set_mode(mode)
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000) as done:
        assert bench.console.run()
        if mode == "async":
            qtbot.waitUntil(lambda: "background" in bench.console.timing.text(), timeout=5000)
            sandbox.clock.advance(30)  # type: ignore[attr-defined]
    assert done.args[0].status == "completed"
    assert bench.console.result.output() == {"message": "hello"}
    assert bench.console.result.pill.text() == "✓ Completed"


def test_story_streams_into_its_card(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    _type(bench, "words", "25")
    assert _run(qtbot, bench).status == "completed"
    text = bench.console.transcript.card_text(demo.STORY_AGENT.id)
    assert text.startswith("Once upon a time") and len(text.split()) == 25
    assert "first chunk" in bench.console.timing.text() and "25 chunks" in bench.console.timing.text()
    assert "Streamed answer text is in the transcript" in bench.console.result.note.text()


def test_research_shows_thinking_tools_and_the_retracted_draft(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox
) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.RESEARCH_ID)
    bench.console.options.set_options(
        {"mode": "stream", "selectedOutputs": ["Researcher.content"], "includeThinking": True, "includeToolCalls": True}
    )
    assert _run(qtbot, bench).status == "completed"
    view = bench.console.transcript
    block = demo.RESEARCH_AGENT.id
    lanes = view.lanes_text(block)
    assert "▸ Thinking" in lanes and "look this up" not in lanes  # collapsed by default
    assert "web_search" in lanes and "read_page" in lanes and "✓ success" in lanes
    assert "Draft retracted" in lanes
    view.toggle_lane(block, "thinking")
    assert "look this up" in view.lanes_text(block) and view.lane_open(block, "thinking")
    view.toggle_lane(block, "tools")
    assert "web_search" not in view.lanes_text(block)
    assert "Let me check" not in view.card_text(block) and "14°C" in view.card_text(block)
    assert bench.console.badge.text() == "Needs redeploy"


def test_slow_report_in_the_background(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.SLOW_ID)
    bench.console.options.set_mode("async")
    _type(bench, "minutes", "2")
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000) as done:
        assert bench.console.run()
        qtbot.waitUntil(lambda: "background" in bench.console.timing.text(), timeout=5000)
        sandbox.clock.advance(300)  # type: ignore[attr-defined]
    assert done.args[0].output["progress"]["percent"] == 100


def test_failing_workflow_shows_code(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.FAILING_ID)
    bench.console.options.set_mode("sync")
    outcome = _run(qtbot, bench)
    assert outcome.status == "failed" and outcome.request_id  # in-band failure: the 200 answer's id
    assert "502 from upstream" in bench.console.result.error.text()
    assert "code BLOCK_EXECUTION_FAILED" in bench.console.result.error.text()
    assert f"x-request-id {outcome.request_id}" in bench.console.result.error.text()
    assert bench.console.result.pill.text() == "✗ Failed"


def test_approval_pauses(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.APPROVAL_ID)
    assert _run(qtbot, bench).status == "paused"
    assert bench.console.result.pill.text() == "⏸ Paused"


def test_files_are_picked_and_sent(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, tmp_path: Path) -> None:
    doc = tmp_path / "plan.txt"
    doc.write_text("three goals and one risk")
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.FILES_ID)
    files = bench.console.form.field_editor("documents")
    files.add_path(str(doc))  # type: ignore[union-attr]
    bench.console.options.set_mode("sync")
    outcome = _run(qtbot, bench)
    assert outcome.status == "completed" and "plan.txt" in outcome.output["content"]
    record = bench.history.get(bench.runs.header.key)  # type: ignore[union-attr]
    assert record is not None and record.input["documents"][0]["$file"] == str(doc)  # the path, not the bytes


def test_large_output_shows_the_placeholder(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.LARGE_ID)
    bench.console.options.set_mode("sync")
    _type(bench, "rows", "500")
    assert _run(qtbot, bench).status == "completed"
    tree = bench.console.result.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    rows = {item.text(0): item for item in items if item is not None}
    assert rows["archive"].text(1).startswith("⟨large value, 12.0 MB⟩")
    assert rows["rows"].text(1) == "[…] 500 items"
    rows["rows"].setExpanded(True)
    assert rows["rows"].childCount() == 201  # 200 shown, then "… 300 more"


def test_responder_block_reply(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.RESPONDER_ID)
    bench.console.options.set_mode("sync")
    outcome = _run(qtbot, bench)
    assert outcome.status == "completed" and outcome.output["data"]["ticket"] == "T-1042"


def test_undeployed_is_refused_with_a_clear_message(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.UNDEPLOYED_ID)
    assert "not deployed" in bench.console.notice.text()
    outcome = _run(qtbot, bench)
    assert outcome.status == "failed"
    assert "not deployed" in bench.console.result.error.text() and "x-request-id" in bench.console.result.error.text()


# --- bad input never leaves the machine ----------------------------------------------------------


def test_invalid_json_is_blocked_with_its_message(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    form = bench.console.form
    assert form.set_raw_mode(True)
    form.editor.setPlainText('{\n  "topic": "fog",\n  "words": 3,,\n}')
    assert not bench.console.run()
    assert not bench.runs.running and bench.runs.header is None  # nothing was started or stored
    assert "Invalid JSON at line 3" in form.json_error.text() and not form.json_error.isHidden()
    assert bench.history.recent() == []


def test_wrong_type_is_blocked_on_its_field(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    _type(bench, "words", "many")
    assert not bench.console.run()
    assert "is not a number" in bench.console.form.field_error("words")
    assert "words" in bench.console.notice.text()
    assert not bench.console.form.set_raw_mode(True)  # cannot switch to JSON with a bad field either


def test_json_editor_checks_as_you_type(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    form = bench.console.form
    form.set_raw_mode(True)
    form.editor.setPlainText('{"words": "ten"}')
    qtbot.waitUntil(lambda: "words: Must be a number" in form.json_error.text(), timeout=3000)
    form.editor.setPlainText('{"words": 10}')
    qtbot.waitUntil(form.json_error.isHidden, timeout=3000)


# --- broken servers: what arrived stays visible and saved ----------------------------------------


def test_stream_cut_mid_frame(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"cut_stream_after_frames": 4})
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    assert _run(qtbot, bench).status == "interrupted"
    assert bench.console.transcript.card_text(demo.STORY_AGENT.id) == "Once upon a time,"
    assert "stopped before the run finished" in bench.console.result.error.text()
    assert bench.console.result.pill.text() == "⚠ Interrupted"
    bench.history.flush()
    assert bench.history.get(bench.runs.header.key).frames == 4  # type: ignore[union-attr]


def test_html_instead_of_json(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.ECHO_ID)
    sandbox.faults.update({"html_502": 10})
    bench.console.options.set_mode("sync")
    assert _run(qtbot, bench).status == "failed"
    assert "web page" in bench.console.result.error.text()


def test_429_storm(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.ECHO_ID)
    sandbox.faults.update({"storm_429": 50})
    bench.console.options.set_mode("sync")
    assert _run(qtbot, bench).status == "failed"
    assert "rate limit" in bench.console.result.error.text()


def test_stream_error_is_shown_inline(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    sandbox.faults.update({"stream_error_after_first": 1})
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    _type(bench, "words", "5")
    assert _run(qtbot, bench).status == "completed"
    assert "⚠ Stream error: Token stream interrupted" in bench.console.transcript.lanes_text(demo.STORY_AGENT.id)


# --- Stop --------------------------------------------------------------------------------------


def test_stop_button_cancels_on_the_server(qtbot: Any, make_bench: MakeBench, paced_sandbox: RunningSandbox) -> None:
    bench = make_bench(paced_sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    assert not bench.console.stop_button.isEnabled()
    with qtbot.waitSignal(bench.runs.finished, timeout=15_000) as done:
        assert bench.console.run()
        qtbot.waitUntil(lambda: bench.runs.transcript.timing.chunks >= 2, timeout=10_000)
        assert bench.console.stop_button.isEnabled()
        bench.console.stop_button.click()
    assert done.args[0].status == "cancelled"
    run = paced_sandbox.state.runs[done.args[0].run_id]
    assert run.status(paced_sandbox.clock.now())[0] == "cancelled"
    assert bench.console.result.pill.text() == "■ Cancelled"
    assert "Sim reports the run cancelled" in bench.console.result.note.text()
    assert not bench.console.stop_button.isEnabled() and bench.console.run_button.isEnabled()


# --- copy, save, presets, the inspector, reopening -----------------------------------------------


def test_copy_as_code_masks_the_key(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.ECHO_ID)
    _type(bench, "message", "hi")
    bench.console.options.set_mode("sync")
    _run(qtbot, bench)
    for kind, needle in (("curl", "/api/v2/workflows/"), ("python", "execute_workflow("), ("cli", "sim workflows run")):
        text = bench.console.copy_snippet(kind)
        assert needle in text and demo.ECHO_ID in text
        assert "SECRETSECRET" not in text and QGuiApplication.clipboard().text() == text
    assert "sk-sim-••••••••9876" in bench.console.copy_snippet("curl")


def test_copy_output_and_save_the_transcript(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, arun: Callable[..., Any], tmp_path: Path
) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.RESEARCH_ID)
    bench.console.options.set_options(
        {"mode": "stream", "selectedOutputs": ["Researcher.content"], "includeThinking": True, "includeToolCalls": True}
    )
    _run(qtbot, bench)
    text = arun(bench.console.copy_output())
    assert text.startswith("Short answer") and QGuiApplication.clipboard().text() == text
    arun(bench.console.save_transcript(str(tmp_path / "t.json"), "json"))
    saved = json.loads((tmp_path / "t.json").read_text())
    assert saved["outcome"]["status"] == "completed"
    assert saved["blocks"][0]["name"] == "Researcher" and saved["blocks"][0]["text"] == text
    assert [t["name"] for t in saved["blocks"][0]["tools"]] == ["web_search", "read_page"]
    assert any(f["frame"].get("event") == "chunk_reset" for f in saved["frames"])
    arun(bench.console.save_transcript(str(tmp_path / "t.md"), "markdown"))
    markdown = (tmp_path / "t.md").read_text()
    assert markdown.startswith("# Research Assistant — completed") and "> **Thinking:**" in markdown
    assert "Tool `web_search`: success" in markdown and text in markdown


def test_presets_and_the_last_input(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, tmp_path: Path) -> None:
    bench = make_bench(sandbox, data=tmp_path / "d")
    _open(qtbot, bench, demo.STORY_ID)
    _type(bench, "topic", "fog")
    assert bench.console.save_preset("Foggy")
    _type(bench, "topic", "sun")
    bench.console.presets.activated.emit(bench.console.presets.findData("Foggy"))
    assert bench.console.form.field_editor("topic").text() == "fog"  # type: ignore[union-attr]
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    _type(bench, "words", "3")
    _run(qtbot, bench)
    again = make_bench(sandbox, data=tmp_path / "d")
    _open(qtbot, again, demo.STORY_ID)
    assert again.console.form.field_editor("words").text() == "3"  # type: ignore[union-attr]
    assert again.console.options.mode() == "stream"
    assert again.console.presets.findData("Foggy") > 0


def test_deleting_a_preset_needs_one_chosen_and_a_yes(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = make_bench(sandbox)
    console = bench.console
    _open(qtbot, bench, demo.STORY_ID)
    _type(bench, "topic", "fog")
    assert console.save_preset("Foggy")
    console.presets.setCurrentIndex(0)
    assert not console.delete_preset_button.isEnabled()  # nothing chosen, nothing to delete
    console.presets.setCurrentIndex(console.presets.findData("Foggy"))
    assert console.delete_preset_button.isEnabled()
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(_parent: object, _title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    console.delete_preset_button.click()
    assert console.presets.findData("Foggy") > 0  # "No" keeps it
    console.delete_preset_button.click()
    assert console.presets.findData("Foggy") == -1 and not console.delete_preset_button.isEnabled()
    assert len(asked) == 2 and "Foggy" in asked[0]


def test_raw_frames_inspector(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    _type(bench, "words", "7")
    _run(qtbot, bench)
    assert bench.console.frames_model.rowCount() == 0  # not filled while hidden
    bench.console.tabs.setCurrentWidget(bench.console.frames_page)
    model = bench.console.frames_model
    assert model.rowCount() == 9  # as Sim sent them: 7 chunks, final and [DONE]
    assert model.index(0, 1).data() == "chunk" and model.index(7, 1).data() == "final"
    assert model.index(8, 3).data() == '"[DONE]"'
    bench.console.frames_table.selectRow(0)
    assert json.loads(bench.console.frame_detail.toPlainText())["chunk"] == "Once"


def test_the_last_run_reopens_after_a_restart(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    first = make_bench(sandbox, data=tmp_path / "d")
    _open(qtbot, first, demo.STORY_ID)
    first.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    _type(first, "words", "9")
    _run(qtbot, first)
    shown = first.console.transcript.card_text(demo.STORY_AGENT.id)
    later = make_bench(sandbox, data=tmp_path / "d", refresh=False)
    with qtbot.waitSignal(later.runs.finished, timeout=10_000):
        later.use_profile("test", later.runs._client_getter)  # type: ignore[arg-type]
    assert later.runs.header is not None and not later.runs.header.live
    assert later.console.transcript.card_text(demo.STORY_AGENT.id) == shown
    assert later.console.result.pill.text() == "✓ Completed"
    assert "Reopened the run of" in later.console.notice.text()
    qtbot.waitUntil(lambda: later.console.workflow is not None, timeout=10_000)
    assert later.console.form.field_editor("words").text() == "9"  # type: ignore[union-attr]


def test_public_ping(qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox) -> None:
    bench = make_bench(sandbox)
    _open(qtbot, bench, demo.PUBLIC_ID)
    assert bench.console.form.empty_label.text().startswith("This workflow declares no inputs")
    bench.console.options.set_mode("sync")
    outcome = _run(qtbot, bench)
    assert outcome.status == "completed" and outcome.output["pong"] is True


def test_a_long_sync_run_suggests_the_background(
    qtbot: Any, make_bench: MakeBench, paced_sandbox: RunningSandbox
) -> None:
    bench = make_bench(paced_sandbox)
    bench.runs.sync_cap_s = 1.2  # as if the plan allowed 1.2 s: the hint comes at 80 % of it
    _open(qtbot, bench, demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    with qtbot.waitSignal(bench.runs.notice, timeout=5000) as hint:
        assert bench.console.run()
    assert "Run in background" in hint.args[0]
    assert "Run in background" in bench.console.notice.text()
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
        bench.console.stop()
