"""The run console on real Sim's recorded streams, replayed byte for byte over loopback.

The replay server (``tests/support/replay.py``) answers the console's calls with captures from
``tests/fixtures/sim-0.8.9``: the workspace's catalogue, the Echo workflow's detail and deployment
status, then the execute stream, raw wire bytes at their recorded timing where there is a ``.bin`` recording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from simdesk.app.workbench import Workbench
from simdesk.core.transcript import Outcome
from tests.support.replay import ReplayServer, replaying

ECHO = "39fdddb4-dda5-4aae-b0ef-cf38ab4c0838"  # the Echo workflow the captures were taken from
START_BLOCK = "dc8c3ee9-a088-4e7f-9034-03035163da3f"
HTTP_ERROR = "HTTP 1: HTTP Request failed: URL: http://127.0.0.1:9/nothing | Method: GET | Error: connect ECONNREFUSED"

MakeBench = Callable[..., Workbench]


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    """Tests ask for it before ``make_bench``, so it stops after the console and its client have
    closed (a request still on its way when a server closes would be cut off)."""
    yield from replaying(scale=0.05)


def serve_echo(replay: ReplayServer, stream: str) -> None:
    """Route the calls a console makes to run Echo; its execute is answered by ``stream``."""
    replay.play("v2-unknown-path")  # anything the console asks besides these: real Sim's 404
    replay.on("GET", "/api/v2/workspaces", "v2-workspaces")
    replay.on("GET", "/api/v2/workflows", "v2-workflows")
    replay.on("GET", "/api/v2/folders", "v2-folders")
    replay.on("GET", f"/api/v2/workflows/{ECHO}", "v2-workflow")
    replay.on("GET", f"/api/workflows/{ECHO}/status", "workflow-status")
    replay.on("GET", "/api/v2/logs/.*", "v2-log-one")
    replay.on("POST", r"/api/(v2/)?workflows/[^/]+/execute", stream)


def _console_on(replay: ReplayServer, stream: str, make_bench: MakeBench, qtbot: Any) -> Workbench:
    """A console with Echo open, whose next run is answered by the capture ``stream``."""
    serve_echo(replay, stream)
    bench = make_bench(replay.base_url, key="sk-sim-REPLAYREPLAYREPLAY12345", surface="v2")
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(ECHO)
    bench.console.options.set_mode("stream")
    return bench


def _run(qtbot: Any, bench: Workbench) -> Outcome:
    with qtbot.waitSignal(bench.runs.finished, timeout=15_000) as done:
        assert bench.console.run()
    outcome = done.args[0]
    assert isinstance(outcome, Outcome)
    return outcome


@pytest.mark.parametrize(
    ("capture", "scale", "output"),
    [
        ("stream-raw-wire", 1.0, {"message": "raw bytes °✓ 🙂"}),  # the real timing: 1.55 s to the first byte
        ("slow-stream-raw", 0.05, {"waitDuration": 8000, "status": "completed"}),  # 8.7 s recorded
    ],
)
def test_a_real_stream_shows_its_final_output(
    replay: ReplayServer, qtbot: Any, make_bench: MakeBench, capture: str, scale: float, output: Any
) -> None:
    replay.scale = scale
    bench = _console_on(replay, capture, make_bench, qtbot)
    outcome = _run(qtbot, bench)
    assert outcome.status == "completed"
    assert bench.console.result.output() == output
    assert bench.console.result.pill.text() == "✓ Completed"


@pytest.mark.parametrize("capture", ["fail-v2-stream", "fail-legacy-stream"])
def test_a_block_error_without_a_final_frame_fails_the_run_with_its_message(
    replay: ReplayServer, qtbot: Any, make_bench: MakeBench, capture: str
) -> None:
    bench = _console_on(replay, capture, make_bench, qtbot)
    outcome = _run(qtbot, bench)
    assert outcome.status == "failed"
    assert HTTP_ERROR in bench.console.result.error.text()
    assert "stopped before" not in bench.console.result.error.text()
    assert bench.console.result.pill.text() == "✗ Failed"


def test_a_selected_output_of_a_start_block_shows_under_the_blocks_name(
    replay: ReplayServer, qtbot: Any, make_bench: MakeBench
) -> None:
    bench = _console_on(replay, "stream-select", make_bench, qtbot)
    outcome = _run(qtbot, bench)
    assert outcome.status == "completed"
    assert bench.console.result.output() == {START_BLOCK: {"message": "hello stream °✓"}}  # copied as sent
    tree = bench.console.result.tree
    # the block's name comes from the run's log (real Sim's nested trace spans)
    qtbot.waitUntil(lambda: (item := tree.topLevelItem(0)) is not None and item.text(0) == "Start", timeout=5000)
    item = tree.topLevelItem(0)
    assert item is not None and item.toolTip(0) == START_BLOCK
    assert bench.runs.outline(ECHO).names() == {START_BLOCK: "Start"}
    assert "Start.message" not in bench.runs.outline(ECHO).selectors()  # the start block only echoes input
