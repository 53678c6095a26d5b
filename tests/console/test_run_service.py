"""The run service against the embedded sandbox: every mode, Stop, and every bad-input case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.core.catalogue import WorkflowInput
from simdesk.core.input_form import parse_form
from simdesk.core.run_history import RunHistory
from simdesk.core.transcript import Outcome
from simdesk.models.raw_frames import frame_kind
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.run_modes import RunRequest
from simdesk.services.runs import RunService

STORY = "Storyteller.content"


def _req(workflow_id: str, mode: str = "stream", values: dict[str, Any] | None = None, **kw: Any) -> RunRequest:
    return RunRequest("test", workflow_id, "Workflow", mode, values or {}, **kw)  # type: ignore[arg-type]


def _run(qtbot: Any, service: RunService, request: RunRequest, timeout: int = 10_000) -> Outcome:
    with qtbot.waitSignal(service.finished, timeout=timeout) as blocker:
        assert service.start(request)
    outcome = blocker.args[0]
    assert isinstance(outcome, Outcome)
    return outcome


def _frames(history: RunHistory, service: RunService) -> list[str]:
    assert service.header is not None
    history.flush()
    return [payload for _, payload in history.frames(service.header.key)]


def test_stream_story_accumulates_text_saves_frames_and_learns_the_outline(
    qtbot: Any,
    sandbox: RunningSandbox,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    history: RunHistory,
) -> None:
    service = make_service(clients(sandbox))
    changes: list[Any] = []
    service.changed.connect(changes.extend)
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY], values={"words": 30}))
    assert outcome.status == "completed"
    assert outcome.duration_ms is not None and outcome.cost is not None  # from the server, for the strip
    text = service.transcript.text()
    assert text.startswith("Once upon a time") and len(text.split()) == 30
    assert service.transcript.timing.chunks == 30
    frames = _frames(history, service)
    assert len(frames) == 31 and frames[-1].startswith('{"event":"final"')
    record = history.get(service.header.key)  # type: ignore[union-attr]
    assert record is not None and record.status == "completed" and record.input == {"words": 30}
    assert record.run_id == outcome.run_id
    # after the run, the log's trace spans name the blocks and offer selectors
    with qtbot.waitSignal(service.outline_changed, timeout=5000) as learnt:
        pass
    outline = learnt.args[1]
    assert STORY in outline.selectors()
    assert service.transcript.blocks[demo.STORY_AGENT.id].title == "Storyteller"


def test_stream_research_has_thinking_tools_and_a_retracted_draft(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(sandbox))
    outcome = _run(
        qtbot,
        service,
        _req(demo.RESEARCH_ID, selected_outputs=["Researcher.content"], include_thinking=True, include_tool_calls=True),
    )
    assert outcome.status == "completed"
    block = service.transcript.blocks[demo.RESEARCH_AGENT.id]
    assert block.resets == 1
    assert "Let me check" not in block.text.text and "14°C" in block.text.text
    assert block.thinking is not None and "look this up" in block.thinking.text.text
    assert [(t.name, t.status) for t in block.tools] == [("web_search", "success"), ("read_page", "success")]
    assert all(t.duration is not None for t in block.tools)


def test_sync_echo_returns_the_input(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.ECHO_ID, "sync", {"message": "hi"}))
    assert (outcome.status, outcome.output) == ("completed", {"message": "hi"})


def test_background_run_polls_until_it_completes(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(sandbox))
    statuses: list[str] = []
    service.progress.connect(lambda p: statuses.append(p.status))
    with qtbot.waitSignal(service.finished, timeout=10_000) as blocker:
        assert service.start(_req(demo.SLOW_ID, "async", {"minutes": 1}))
        qtbot.waitUntil(lambda: any("background" in s for s in statuses), timeout=5000)
        sandbox.clock.advance(120)  # type: ignore[attr-defined]
    outcome = blocker.args[0]
    assert outcome.status == "completed" and outcome.output["progress"]["percent"] == 100
    assert outcome.run_id == service.run_id


def test_failing_workflow_shows_code_in_sync_and_stream(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(sandbox))
    sync = _run(qtbot, service, _req(demo.FAILING_ID, "sync"))
    assert (sync.status, sync.error_code) == ("failed", "BLOCK_EXECUTION_FAILED")
    assert "502 from upstream" in (sync.error or "")
    assert sync.request_id  # the 200 answer's x-request-id: the run failed in-band, not the request
    streamed = _run(qtbot, service, _req(demo.FAILING_ID, "stream"))
    assert streamed.status == "failed" and "502 from upstream" in (streamed.error or "")


def test_paused_run(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(sandbox))
    assert _run(qtbot, service, _req(demo.APPROVAL_ID, "stream", {"amount": 42})).status == "paused"
    assert _run(qtbot, service, _req(demo.APPROVAL_ID, "sync", {"amount": 42})).status == "paused"


def test_the_client_keeps_no_copy_of_the_streamed_text_and_hands_over_raw_frames(
    qtbot: Any,
    sandbox: RunningSandbox,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    monkeypatch: Any,
) -> None:
    from simdesk.api import SimClient

    asked: list[dict[str, Any]] = []
    stream = SimClient.stream

    def spy(self: SimClient, *args: Any, **options: Any) -> Any:
        asked.append(options)
        return stream(self, *args, **options)

    monkeypatch.setattr(SimClient, "stream", spy)
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY], values={"words": 20}))
    assert outcome.status == "completed" and len(service.transcript.text().split()) == 20  # the console's own copy
    assert asked[0]["keep_text"] is False  # a 100 MB answer is not kept a second time by the client
    assert asked[0]["on_raw"] == service.pump.raw.append
    assert [p for _, p in service.raw_frames()][-1] == '"[DONE]"'


def test_undeployed_workflow_is_refused_with_code_and_request_id(
    qtbot: Any,
    sandbox: RunningSandbox,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    history: RunHistory,
) -> None:
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.UNDEPLOYED_ID))
    assert outcome.status == "failed" and "not deployed" in (outcome.error or "")
    assert outcome.error_code == "WORKFLOW_NOT_DEPLOYED" and outcome.request_id
    assert outcome.note == "Sim did not run the workflow."
    history.flush()
    assert history.get(service.header.key).status == "failed"  # type: ignore[union-attr]


def test_stream_cut_mid_frame_keeps_what_arrived_and_says_so(
    qtbot: Any,
    sandbox: RunningSandbox,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    history: RunHistory,
) -> None:
    sandbox.faults.update({"cut_stream_after_frames": 5})
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY]))
    assert outcome.status == "interrupted"
    assert "stopped before the run finished" in (outcome.error or "")
    assert outcome.note and outcome.note.startswith("Sim reports the run")
    assert service.transcript.text() == "Once upon a time, in"  # the five frames that arrived
    assert len(_frames(history, service)) == 5


def test_html_instead_of_json_is_a_clear_error(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    sandbox.faults.update({"html_502": 10})
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.ECHO_ID, "sync", {"message": "x"}))
    assert outcome.status == "failed"
    assert "web page (HTTP 502)" in (outcome.error or "") and outcome.request_id


def test_malformed_frame_is_skipped_and_the_run_completes(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    sandbox.faults.update({"malformed_json": 1, "split_frames": True})
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY], values={"words": 10}))
    assert outcome.status == "completed"
    assert len(service.transcript.text().split()) == 9  # one chunk frame was unreadable
    raw = [payload for _at, payload in service.raw_frames()]  # the inspector shows it as it came
    assert len(raw) == 12 and frame_kind(raw[0]) == ("unreadable", "")
    assert raw[-2].startswith('{"event":"final"') and raw[-1] == '"[DONE]"'


def test_stream_error_frame_is_shown_and_the_run_goes_on(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    sandbox.faults.update({"stream_error_after_first": 1})
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY], values={"words": 10}))
    assert outcome.status == "completed"
    assert [m for _, m in service.transcript.errors] == ["Token stream interrupted; continuing"]


def test_429_storm_gives_up_with_a_rate_limit_message(
    qtbot: Any, sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    sandbox.faults.update({"storm_429": 50})
    service = make_service(clients(sandbox))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY]))
    assert outcome.status == "failed" and "rate limit" in (outcome.error or "")
    assert outcome.error_code is not None and outcome.request_id


def test_dead_server_says_it_cannot_be_reached(
    qtbot: Any,
    dead_url: str,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    history: RunHistory,
) -> None:
    service = make_service(clients(dead_url, key="sk-sim-demo"))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY]))
    assert outcome.status == "failed" and "Cannot reach" in (outcome.error or "")
    assert outcome.note == "Sim did not run the workflow."
    history.flush()
    record = history.get(service.header.key)  # type: ignore[union-attr]
    assert record is not None and record.status == "failed" and record.outcome == outcome


def test_legacy_server_streams_too(
    qtbot: Any, sandbox_no_v2: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(sandbox_no_v2))
    outcome = _run(qtbot, service, _req(demo.STORY_ID, selected_outputs=[STORY], values={"words": 5}))
    assert outcome.status == "completed" and len(service.transcript.text().split()) == 5


def test_stop_mid_stream_cancels_the_run_on_the_server(
    qtbot: Any, paced_sandbox: RunningSandbox, clients: Callable[..., Any], make_service: Callable[..., RunService]
) -> None:
    service = make_service(clients(paced_sandbox))
    with qtbot.waitSignal(service.finished, timeout=15_000) as blocker:
        assert service.start(_req(demo.STORY_ID, selected_outputs=[STORY]))
        qtbot.waitUntil(lambda: service.transcript.timing.chunks >= 3, timeout=10_000)
        assert service.stop()
    outcome = blocker.args[0]
    assert outcome.status == "cancelled"
    assert "Sim accepted the cancel" in (outcome.note or "") and "Sim reports the run cancelled" in outcome.note
    run = paced_sandbox.state.runs[outcome.run_id]
    assert run.status(paced_sandbox.clock.now())[0] == "cancelled"
    assert 3 <= service.transcript.timing.chunks < 200  # stopped well before the story's end


def test_history_survives_a_restart_and_the_console_reopens_the_last_run(
    qtbot: Any,
    sandbox: RunningSandbox,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    history: RunHistory,
    presets: Any,
    arun: Callable[..., Any],
) -> None:
    first = make_service(clients(sandbox))
    outcome = _run(qtbot, first, _req(demo.STORY_ID, selected_outputs=[STORY], values={"words": 12}))
    text = first.transcript.text()
    history.close()
    again = RunHistory(history.path)
    try:
        second = RunService(again, presets)
        second.set_profile("test", lambda: None)  # type: ignore[arg-type,return-value]
        with qtbot.waitSignal(second.started, timeout=5000):
            assert arun(second.reopen_last())
        assert second.header is not None and not second.header.live
        assert second.transcript.text() == text
        assert second.transcript.outcome is not None
        assert second.transcript.outcome.status == outcome.status == "completed"
        assert len(second.raw_frames()) == 13
    finally:
        again.close()


def test_invalid_json_input_never_reaches_the_service() -> None:
    parsed = parse_form([WorkflowInput("meta", "object")], {"meta": "{oops"})
    assert not parsed.ok and "Invalid JSON" in parsed.errors["meta"]


def test_reading_pauses_while_the_history_is_far_behind(
    qtbot: Any,
    sandbox: RunningSandbox,
    clients: Callable[..., Any],
    make_service: Callable[..., RunService],
    history: RunHistory,
    monkeypatch: Any,
) -> None:
    from simdesk.services.runs import pump

    service = make_service(clients(sandbox))
    assert service.pump.checkpoint() == 0.0
    monkeypatch.setattr(type(history), "backlog", property(lambda _self: pump.BACKLOG_BYTES + 1))
    assert service.pump.checkpoint() == pump.BACKLOG_WAIT_S
