"""One cost format everywhere (the console's strip and result, Jobs, exports, the meter), and a
window title that does not say "simdesk" twice once Qt adds the application's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication

from simdesk.app import AppContext
from simdesk.core.jobs import format as jobs_format
from simdesk.core.meter import money
from simdesk.core.paths import AppPaths
from simdesk.core.transcript import Outcome
from simdesk.services.runs.service import RunProgress
from simdesk.ui.result_view import ResultView
from simdesk.ui.run_console import timing_text

MakeApp = Callable[..., AppContext]


def test_every_cost_reads_the_same(qtbot: Any) -> None:
    assert [money(v) for v in (0.15, 0.05, 0.001, 0.0, 3.421)] == ["$0.150", "$0.050", "$0.0010", "$0.00", "$3.42"]
    assert jobs_format.cost(0.15) == "$0.150" and jobs_format.cost(None) == ""
    assert timing_text(RunProgress("Completed", 1.0, cost=0.05)).endswith("$0.050")
    view = ResultView()
    qtbot.addWidget(view)
    view.show_outcome(Outcome("completed", output={"a": 1}, cost=0.05, run_id="r1"))
    assert "cost $0.050" in view.facts.text()


def test_the_window_title_names_simdesk_once(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qapp: QApplication
) -> None:
    before = qapp.applicationDisplayName()
    qapp.setApplicationDisplayName("simdesk")  # as simdesk.app names the application
    try:
        ctx = make_app(app_paths)
        ctx.start(environ={}, demo=("http://127.0.0.1:9", "sk-sim-demo"), check=False)
        title = ctx.window.windowTitle()
    finally:
        qapp.setApplicationDisplayName(before)
    # what the platform shows: Qt appends " — <display name>" unless the title is that name
    shown = title if title == "simdesk" else f"{title} — simdesk"
    assert shown == "Demo — simdesk"
