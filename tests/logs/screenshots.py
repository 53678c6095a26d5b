"""Render the logs panel (list, run detail with its waterfall, compare) to PNG, light and dark.

    QT_QPA_PLATFORM=offscreen python -m tests.logs.screenshots [OUT_DIR]

Runs an embedded sandbox with 2 000 seeded log entries (every trigger kind, nested spans with a
loop and a parallel), opens the Demo workspace's logs, a run with a loop and a parallel, and a
comparison of two runs of the same workflow; saves each at the default size and at 1024x600.
Default output: /tmp/simdesk-shots/.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QWidget

from simdesk.api import SimClient
from simdesk.core.logs_cache import LogsCache
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.logs import LogsService
from simdesk.ui.logs_panel import LogsPanel
from simdesk.ui.theme import ThemeController
from tests.console.screenshots import _until
from tests.support.shots import shoot_both_themes

NAMES = {w.id: w.name for w in demo.WORKFLOWS if w.workspace_id == demo.WS_DEMO}


async def _save(widget: QWidget, out: Path, name: str) -> None:
    await asyncio.sleep(0.1)
    widget.grab().save(str(out / f"{name}.png"))
    size = widget.size()
    widget.resize(1024, 600)
    await asyncio.sleep(0.1)
    widget.grab().save(str(out / f"{name}-1024x600.png"))
    widget.resize(size)


async def shoot(out: Path, theme_name: str, theme: ThemeController, sandbox: RunningSandbox) -> None:
    theme.set_mode(theme_name)
    client = SimClient(sandbox.base_url, demo.DEMO_KEY)

    async def get() -> SimClient:
        return client

    service = LogsService(LogsCache(":memory:"))
    service.set_profile("Demo", get)
    panel = LogsPanel(service)
    panel.resize(1400, 860)
    panel.show()
    panel.set_workspace(demo.WS_DEMO, NAMES)
    await _until(lambda: panel.model.rowCount() >= 100)
    looped = next(e for e in panel.model.entries() if e.run_id.endswith("0") and int(e.run_id[-6:]) % 4 == 0)
    panel.select_run(looped.run_id)
    await _until(lambda: panel.detail.trace.roots)
    await _save(panel, out, f"logs-detail-{theme_name}")
    same = [e for e in panel.model.entries() if e.workflow_id == looped.workflow_id and e.run_id != looped.run_id]
    panel.table.selectRow(panel.proxy.mapFromSource(panel.model.index(panel.model.row_of(looped.run_id) or 0, 0)).row())
    panel.select_run(looped.run_id)
    other = panel.proxy.mapFromSource(panel.model.index(panel.model.row_of(same[0].run_id) or 0, 0))
    from PySide6.QtCore import QItemSelectionModel

    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    panel.table.selectionModel().select(other, flags)
    panel.compare_selected()
    await _until(lambda: bool(panel.comparison.deltas))
    await _save(panel, out, f"logs-compare-{theme_name}")
    failed = next(e for e in panel.model.entries() if e.status.value == "failed")
    panel.select_run(failed.run_id)
    await _until(
        lambda: (
            panel.detail.entry is not None
            and panel.detail.entry.run_id == failed.run_id
            and bool(panel.detail.trace.roots)
        )
    )
    await _save(panel, out, f"logs-failed-run-{theme_name}")
    service.open_run("seeded-0-999999")  # a run the server has forgotten
    await _until(lambda: panel.detail.notice.isVisibleTo(panel))
    panel.set_workspace(demo.WS_LOCKED, {})  # a workspace the key cannot read
    await _until(lambda: panel.message.isVisibleTo(panel))
    await _save(panel, out, f"logs-refused-{theme_name}")
    panel.hide()
    await service.aclose()
    await client.aclose()


def main() -> int:
    sandbox = start_sandbox(SandboxConfig(seeded_logs=2000, billing=False))
    try:
        return shoot_both_themes(lambda out, name, theme: shoot(out, name, theme, sandbox))
    finally:
        sandbox.stop()


if __name__ == "__main__":
    raise SystemExit(main())
