"""The run console against a real Sim (marked ``realsim``; skipped unless ``./dev real-sim`` or
the ``SIM_REAL_*`` variables point at one): a stream whose first output comes after 40 s, later
than the client's 30 s call deadline, is waited for, counted, and ends completed."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from simdesk.app.workbench import Workbench
from tests.support.console import waiting_texts

NEEDED = ("SIM_REAL_BASE_URL", "SIM_REAL_API_KEY", "SIM_REAL_WAIT_WORKFLOW_ID")
pytestmark = [
    pytest.mark.realsim,
    pytest.mark.skipif(
        not all(os.environ.get(name) for name in NEEDED),
        reason="set SIM_REAL_BASE_URL, SIM_REAL_API_KEY and SIM_REAL_WAIT_WORKFLOW_ID to run against a real Sim",
    ),
]


@pytest.mark.timeout(300)
def test_the_console_waits_for_a_first_output_later_than_the_call_deadline(
    qtbot: Any, make_bench: Callable[..., Workbench]
) -> None:
    env = os.environ
    # the client's default 30 s call deadline: the headers come only with the first frame, at ~40 s
    # (next dev may compile a catalogue route on its first call: give the first refresh time)
    bench = make_bench(env["SIM_REAL_BASE_URL"], key=env["SIM_REAL_API_KEY"], refresh_timeout=150_000)
    console = bench.console
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=120_000):
        console.open_workflow(env["SIM_REAL_WAIT_WORKFLOW_ID"])
    console.options.set_options({"mode": "stream"})
    with waiting_texts(bench) as shown, qtbot.waitSignal(bench.runs.finished, timeout=180_000) as done:
        assert console.run()
        qtbot.waitUntil(lambda: not console.waiting_box.isHidden(), timeout=30_000)
    assert done.args[0].status == "completed"
    counts = [text for text in dict.fromkeys(shown) if text]
    assert any(text.endswith(" 35 s") for text in counts), counts[-5:]  # past the 30 s call deadline
    assert console.waiting_box.isHidden()
