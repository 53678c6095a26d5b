"""Render the Batches panel and the new-batch form to PNG, light and dark (a developer tool).

    QT_QPA_PLATFORM=offscreen python -m tests.batch.screenshots [OUT_DIR]

Runs a 300-row batch of Ticket Triage (one row with a wrong-typed value) against an embedded
sandbox, pauses it part way, and saves the panel (default size and 1024x600) and the form with its
mapping and preview. Default output: /tmp/simdesk-shots/.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QWidget

from simdesk.api import SimClient
from simdesk.core.batch_store import BatchStore
from simdesk.core.budget import RequestBudget
from simdesk.sandbox import demo
from simdesk.sandbox.clock import RealClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.services.batches import BatchService
from simdesk.ui.batches_panel import BatchesPanel
from simdesk.ui.theme import ThemeController
from tests.console.screenshots import _until
from tests.support.shots import shoot_both_themes

ROWS = 300


async def _save(widget: QWidget, out: Path, name: str) -> None:
    widget.grab().save(str(out / f"{name}.png"))
    size = widget.size()
    widget.resize(1024, 600)
    await asyncio.sleep(0.2)
    widget.grab().save(str(out / f"{name}-1024x600.png"))
    widget.resize(size)


async def shoot(out: Path, theme_name: str, theme: ThemeController, sandbox: RunningSandbox) -> None:
    theme.set_mode(theme_name)
    work = Path(tempfile.mkdtemp(prefix="simdesk-batch-shots-"))
    table = work / "tickets.csv"
    lines = ["ticket,tags,owner"] + [f'Ticket {i}: printer {i} jams,"[""t{i % 5}""]",desk {i % 7}' for i in range(ROWS)]
    lines[4] = "Ticket 3: the VPN drops,urgent,desk 3"  # tags must be a JSON array: flagged
    table.write_text("\n".join(lines) + "\n")
    client = SimClient(sandbox.base_url, sandbox.api_key, budget=RequestBudget())

    async def client_for(_profile: str) -> SimClient:
        return client

    service = BatchService(BatchStore(work / "batches.sqlite3"), client_for)
    panel = BatchesPanel(
        service, profile=lambda: "Demo", workflows=lambda: [(demo.TRIAGE_ID, "Ticket Triage")],
        current_workflow=lambda: demo.TRIAGE_ID,
    )  # fmt: skip
    panel.resize(1180, 520)
    panel.show()
    await _save(panel, out, f"batches-empty-{theme_name}")
    dialog = panel.new_batch()
    assert dialog is not None
    await _until(lambda: dialog.shape is not None)
    dialog.set_file(table)
    await _until(lambda: dialog.preview is not None and "bucket" in dialog.concurrency.toolTip())
    await asyncio.sleep(0.1)
    await _save(dialog, out, f"batch-new-{theme_name}")
    dialog.concurrency.setValue(2)
    dialog.start_button.click()
    await _until(lambda: panel.model.total == ROWS and (p := service.progress(panel.current_id())) and p.done >= 40)
    service.pause(panel.current_id())
    await _until(lambda: (p := service.progress(panel.current_id())) is not None and p.running == 0)
    await asyncio.sleep(0.4)  # a coalesced repaint
    await _save(panel, out, f"batches-paused-{theme_name}")
    await service.aclose()
    await client.aclose()
    panel.close()


def main() -> int:
    sandbox = start_sandbox(SandboxConfig(clock=RealClock(), pace=0.05, queue_delay_s=0.0, plan="enterprise"))
    try:
        return shoot_both_themes(lambda out, name, theme: shoot(out, name, theme, sandbox))
    finally:
        sandbox.stop()


if __name__ == "__main__":
    raise SystemExit(main())
