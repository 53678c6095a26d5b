"""Render the run console on real Sim's replayed streams to PNG, light and dark (a developer tool).

    QT_QPA_PLATFORM=offscreen python -m tests.console.replay_shots [OUT_DIR]

Runs Echo against the replay server (``tests/support/replay.py``) for each stream capture (the
raw wire recordings time-scaled, a failing block, a selected non-agent output) and saves the
console once each run has finished, at its default size and at 1024x600. Default output: /tmp/simdesk-replay-shots/.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from simdesk.api import SimClient
from simdesk.app.workbench import build_workbench
from simdesk.ui.theme import ThemeController
from tests.console.screenshots import _until
from tests.console.test_replayed_streams import ECHO, serve_echo
from tests.support.replay import ReplayServer
from tests.support.shots import shoot_both_themes

STREAMS = ("stream-raw-wire", "slow-stream-raw", "fail-v2-stream", "stream-select")
KEY = "sk-sim-REPLAYREPLAYREPLAY12345"


async def shoot(out: Path, theme_name: str, theme: ThemeController, replay: ReplayServer) -> None:
    theme.set_mode(theme_name)
    bench = build_workbench(Path(tempfile.mkdtemp(prefix="simdesk-replay-shots-")))
    client = SimClient(replay.base_url, KEY, surface="v2")

    async def get() -> SimClient:
        return client

    bench.console.show()
    for name in STREAMS:
        serve_echo(replay, name)
        bench.use_profile("Replay", get, key=lambda: KEY, base_url=replay.base_url, reopen_last=False)
        await _until(lambda: bench.catalogue.snapshot.contents and not bench.catalogue.busy)
        bench.console.open_workflow(ECHO)
        await _until(lambda: bench.console.workflow is not None)
        bench.console.form.set_values({"message": "hello"})
        bench.console.options.set_mode("stream")
        assert bench.console.run()
        await _until(lambda: not bench.runs.running, 30)
        await asyncio.sleep(0.3)  # a paint after the result arrives
        bench.console.grab().save(str(out / f"replay-{name}-{theme_name}.png"))
        default = bench.console.size()
        bench.console.resize(1024, 600)
        await asyncio.sleep(0.1)  # the relayout at the small window size
        bench.console.grab().save(str(out / f"replay-{name}-{theme_name}-1024x600.png"))
        bench.console.resize(default)
    bench.console.hide()
    await bench.aclose()
    await client.aclose()


def main() -> int:
    replay = ReplayServer(scale=0.05)
    try:
        return shoot_both_themes(
            lambda out, name, theme: shoot(out, name, theme, replay), default_out="/tmp/simdesk-replay-shots"
        )
    finally:
        replay.stop()


if __name__ == "__main__":
    raise SystemExit(main())
