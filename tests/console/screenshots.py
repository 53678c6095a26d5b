"""Render the workflows panel and the run console to PNG, light and dark (a developer tool).

    QT_QPA_PLATFORM=offscreen python -m tests.console.screenshots [OUT_DIR]

Streams the Research Assistant (thinking, tool calls, a retracted draft and an injected
stream error) from a paced embedded sandbox, and saves the window mid-stream and finished,
plus a failed run, in both themes; first, a stream still waiting for its first output (at the
default size and at 1024x600). Default output: /tmp/simdesk-shots/.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QWidget

from simdesk.api import SimClient
from simdesk.app.workbench import Workbench, build_workbench
from simdesk.sandbox import demo
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.ui.theme import ThemeController
from tests.support.shots import shoot_both_themes


async def _until(check: Callable[[], object], within_s: float = 20.0) -> None:
    """Poll ``check`` until it holds (a dev script, not a test: plain polling is fine here)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within_s
    while not check():
        if loop.time() > end:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.02)


async def shoot_waiting(out: Path, theme_name: str, bench: Workbench, window: QWidget, sandbox: RunningSandbox) -> None:
    """A Story stream whose first frame is held back: the console counts the wait; then Stop."""
    sandbox.faults.update({"stall_before_first_byte_s": 60.0})
    bench.console.open_workflow(demo.STORY_ID)
    await _until(lambda: bench.console.workflow is not None and bench.console.workflow.id == demo.STORY_ID)
    bench.console.options.set_options({"mode": "stream", "selectedOutputs": ["Storyteller.content"]})
    assert bench.console.run()
    await _until(lambda: bench.console.waiting.text().endswith("· 2 s"), 10)
    window.grab().save(str(out / f"console-waiting-{theme_name}.png"))
    size = window.size()
    window.resize(1024, 600)
    await asyncio.sleep(0.2)
    window.grab().save(str(out / f"console-waiting-1024x600-{theme_name}.png"))
    window.resize(size)
    bench.console.stop()
    await _until(lambda: not bench.runs.running, 30)
    sandbox.faults.update({"stall_before_first_byte_s": 0.0})


async def shoot(out: Path, theme_name: str, theme: ThemeController, sandbox: RunningSandbox) -> None:
    base_url, key = sandbox.base_url, sandbox.api_key
    theme.set_mode(theme_name)
    data = Path(tempfile.mkdtemp(prefix="simdesk-shots-"))
    bench = build_workbench(data)
    client = SimClient(base_url, key)

    async def get() -> SimClient:
        return client

    window = QSplitter(Qt.Orientation.Horizontal)
    window.addWidget(bench.panel)
    window.addWidget(bench.console)
    window.setSizes([330, 1010])
    window.resize(1340, 860)
    window.show()
    bench.use_profile("Demo", get, key=lambda: key, base_url=base_url, reopen_last=False)
    await _until(lambda: bench.catalogue.snapshot.contents and not bench.catalogue.busy)
    bench.catalogue.toggle_favourite(demo.STORY_ID)
    await shoot_waiting(out, theme_name, bench, window, sandbox)
    bench.panel.select(demo.RESEARCH_ID)
    bench.console.open_workflow(demo.RESEARCH_ID)
    await _until(lambda: bench.console.workflow is not None and bench.console.workflow.id == demo.RESEARCH_ID)
    bench.console.form.set_values({"question": "How warm is Oslo today?"})
    bench.console.options.set_options(
        {
            "mode": "stream",
            "selectedOutputs": ["Researcher.content", "Sources.sources"],
            "includeThinking": True,
            "includeToolCalls": True,
        }
    )
    bench.runs.pump._paint.setInterval(16)
    assert bench.console.run()
    await _until(lambda: any(b.tools for b in bench.runs.transcript.blocks.values()))
    bench.console.transcript.toggle_lane(demo.RESEARCH_AGENT.id, "thinking")
    await asyncio.sleep(0.9)
    window.grab().save(str(out / f"console-midstream-{theme_name}.png"))
    await _until(lambda: not bench.runs.running, 30)
    await asyncio.sleep(0.3)
    window.grab().save(str(out / f"console-finished-{theme_name}.png"))
    bench.console.tabs.setCurrentIndex(1)
    await asyncio.sleep(0.1)
    bench.console.grab().save(str(out / f"console-raw-frames-{theme_name}.png"))
    bench.console.tabs.setCurrentIndex(0)
    # a failing run, with its error code and request id
    bench.panel.select(demo.FAILING_ID)
    bench.console.open_workflow(demo.FAILING_ID)
    await _until(lambda: bench.console.workflow is not None and bench.console.workflow.id == demo.FAILING_ID)
    bench.console.options.set_mode("sync")
    assert bench.console.run()
    await _until(lambda: not bench.runs.running, 30)
    await asyncio.sleep(0.2)
    window.grab().save(str(out / f"console-failed-{theme_name}.png"))
    bench.panel.grab().save(str(out / f"workflows-panel-{theme_name}.png"))
    window.hide()
    await bench.aclose()
    await client.aclose()


def main() -> int:
    sandbox = start_sandbox(SandboxConfig(clock=RealClock(), pace=1.0))

    def shoot_with_a_stream_error(out: Path, name: str, theme: ThemeController) -> Awaitable[None]:
        sandbox.faults.update({"stream_error_after_first": 1})
        return shoot(out, name, theme, sandbox)

    try:
        return shoot_both_themes(shoot_with_a_stream_error)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    raise SystemExit(main())
