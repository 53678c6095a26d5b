"""A run the profile's request budget holds back (its execution bucket is empty here) says so in
the console, with the wait, instead of "waiting for the result"."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtWidgets import QLineEdit

from simdesk.app.workbench import Workbench
from simdesk.core.budget import RequestBudget
from simdesk.core.rates import SYNC_EXECUTIONS, RateLimitState
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox

MakeBench = Callable[..., Workbench]


@pytest.mark.parametrize("mode", ["sync", "stream"])
def test_a_run_held_by_the_budget_says_what_it_waits_for(
    qtbot: Any, make_bench: MakeBench, sandbox: RunningSandbox, mode: str
) -> None:
    now = time.time()
    budget = RequestBudget(clock=time.time)
    bench = make_bench(sandbox, budget=budget)
    with qtbot.waitSignal(bench.catalogue.workflow_loaded, timeout=10_000):
        bench.console.open_workflow(demo.ECHO_ID)
    editor = bench.console.form.field_editor("message")
    assert isinstance(editor, QLineEdit)
    editor.setText("held")
    bench.console.options.set_mode(mode)
    # what usage-limits said: no run left until the refill in 34 s
    reset = datetime.fromtimestamp(now + 34, UTC)
    budget.observe(RateLimitState(SYNC_EXECUTIONS, 100, 0, reset, now, per_minute=50))
    assert bench.console.run()
    qtbot.waitUntil(lambda: "Waiting for a run slot" in bench.console.timing.text(), timeout=5000)
    assert "waiting for the result" not in bench.console.timing.text()
    assert not bench.console.waiting_box.isHidden()
    assert bench.console.waiting.text().startswith("Waiting for a run slot · 3")  # 34 s, or 33 s by now
    assert "has not been sent yet" in bench.console.waiting.text()
    with qtbot.waitSignal(bench.runs.finished, timeout=10_000):
        bench.console.stop()
