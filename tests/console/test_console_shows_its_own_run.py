"""The console shows the opened workflow's own last run (or nothing), never the previous
workflow's or profile's run under it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simdesk.api import SimClient
from simdesk.app.workbench import Workbench
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.console.test_run_console import _open, _run, _type

MakeBench = Callable[..., Workbench]


def _shows_nothing(bench: Workbench) -> bool:
    console = bench.console
    return (
        bench.runs.header is None
        and console.transcript.card_count == 0
        and console.result.outcome is None
        and console.timing.text() == "Ready"
    )


def test_each_workflow_and_profile_shows_its_own_run(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, clients: Callable[..., SimClient]
) -> None:
    bench = make_bench(sandbox)
    console = bench.console
    _open(qtbot, bench, demo.STORY_ID)
    console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    _type(bench, "words", "5")
    _run(qtbot, bench)
    story_text = console.transcript.card_text(demo.STORY_AGENT.id)
    assert len(story_text.split()) == 5

    _open(qtbot, bench, demo.ECHO_ID)  # never run on this computer: an empty console
    qtbot.waitUntil(lambda: _shows_nothing(bench), timeout=5000)
    console.options.set_mode("sync")
    _type(bench, "message", "hi")
    assert _run(qtbot, bench).status == "completed"
    assert console.result.output() == {"message": "hi"}

    _open(qtbot, bench, demo.STORY_ID)  # its own last run comes back
    qtbot.waitUntil(lambda: bench.runs.header is not None and bench.runs.header.workflow_id == demo.STORY_ID)
    qtbot.waitUntil(lambda: console.transcript.card_text(demo.STORY_AGENT.id) == story_text, timeout=5000)
    assert console.result.output() != {"message": "hi"}

    other = clients(sandbox)

    async def get() -> SimClient:
        return other

    bench.use_profile("other", get, reopen_last=True)  # a profile without runs: nothing shown
    assert console.workflow is None and console.title.text() == "Click a workflow in the list to open it"
    qtbot.waitUntil(lambda: _shows_nothing(bench), timeout=5000)
    with qtbot.waitSignal(bench.runs.finished, timeout=5000):
        bench.use_profile("test", get)  # back: the profile's last run (Echo) and its workflow
    assert bench.runs.header is not None and bench.runs.header.workflow_id == demo.ECHO_ID
    assert console.result.output() == {"message": "hi"}

    def echo_is_open() -> bool:  # read afresh on each call (the assert above narrowed the attribute)
        shown = console.workflow
        return shown is not None and shown.id == demo.ECHO_ID

    qtbot.waitUntil(echo_is_open, timeout=10_000)
