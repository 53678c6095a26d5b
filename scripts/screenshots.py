"""Screenshots of the whole app on its demo sandbox, for the README's tour (a developer tool).

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [OUT_DIR] [--theme light|dark|both]
        [--size WxH ...] [--scene NAME ...]

Composes the app as ``simdesk --demo`` does (a fresh data directory, the embedded sandbox on
the real clock), then plays short scenes: the window after opening a workflow, a finished
stream, a background run in Jobs, and the usage meter. Each is saved as
``OUT_DIR/<scene>-<theme>[-<size>].png``. Default output: docs/screenshots/ at the default window
size and the light theme; pass ``--size 1024x600 --theme both`` to check a small screen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from simdesk.app import AppContext, compose  # noqa: E402
from simdesk.core.paths import AppPaths  # noqa: E402
from simdesk.sandbox import demo  # noqa: E402
from simdesk.sandbox.clock import RealClock  # noqa: E402
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox  # noqa: E402
from simdesk.services.eventloop import AppEventLoop  # noqa: E402
from tests.console.screenshots import _until as until  # noqa: E402 (the console shots' polling)

Scene = Callable[[AppContext, RunningSandbox], Awaitable[None]]


async def open_workflow(ctx: AppContext, workflow_id: str) -> None:
    """Select the workflow in the browser, open it, and wait for its form."""
    bench = ctx.workbench
    assert bench is not None
    bench.panel.select(workflow_id)
    bench.console.open_workflow(workflow_id)
    await until(lambda: bench.console.workflow is not None and bench.console.workflow.id == workflow_id)


async def scene_opened(ctx: AppContext, _sandbox: RunningSandbox) -> None:
    """Research Assistant opened: the browser, the form, the mode switch beside the action."""
    await open_workflow(ctx, demo.RESEARCH_ID)
    assert ctx.workbench is not None
    ctx.workbench.console.form.set_values({"question": "How warm is Oslo today?"})


async def scene_streamed(ctx: AppContext, _sandbox: RunningSandbox) -> None:
    """A finished stream with its thinking and tool calls."""
    await open_workflow(ctx, demo.RESEARCH_ID)
    bench = ctx.workbench
    assert bench is not None
    bench.console.form.set_values({"question": "How warm is Oslo today?"})
    bench.console.options.set_options(
        {"mode": "stream", "selectedOutputs": ["Researcher.content"], "includeThinking": True, "includeToolCalls": True}
    )
    assert bench.console.run()
    await until(lambda: not bench.runs.running, 60)


async def scene_background(ctx: AppContext, _sandbox: RunningSandbox) -> None:
    """A background run of the Nightly Report, followed in Jobs."""
    await open_workflow(ctx, demo.SLOW_ID)
    bench = ctx.workbench
    assert bench is not None and ctx.jobs is not None
    bench.console.options.set_mode("async")
    bench.console.form.set_values({"minutes": 1})
    assert bench.console.run()
    jobs = ctx.jobs
    await until(lambda: jobs.panel.model.rowCount() > 0, 20)
    ctx.window.dock("jobsPanel").raise_()
    await asyncio.sleep(2.5)


async def scene_usage(ctx: AppContext, _sandbox: RunningSandbox) -> None:
    """The usage meter after a few runs."""
    await open_workflow(ctx, demo.ECHO_ID)
    bench = ctx.workbench
    assert bench is not None
    bench.console.options.set_mode("sync")
    bench.console.form.set_values({"message": "hello"})
    for _ in range(3):
        assert bench.console.run()
        await until(lambda: not bench.runs.running, 20)
    ctx.window.dock("usageMeter").raise_()
    await asyncio.sleep(1.0)


SCENES: dict[str, Scene] = {
    "opened": scene_opened,
    "streamed": scene_streamed,
    "background": scene_background,
    "usage": scene_usage,
}


async def play(app: QApplication, name: str, theme: str, size: tuple[int, int] | None, out: Path) -> Path:
    """Compose a fresh app on a fresh sandbox, play one scene, save the window."""
    sandbox = start_sandbox(SandboxConfig(clock=RealClock(), pace=0.2))
    paths = AppPaths.under(Path(tempfile.mkdtemp(prefix="simdesk-shot-"))).ensure()
    ctx = compose(app, paths)
    try:
        ctx.theme.set_mode(theme)
        ctx.start(demo=(sandbox.base_url, sandbox.api_key), restore=False, check=False)
        if size is not None:
            ctx.window.resize(*size)
        ctx.install_after_paint()  # every panel, wired and started, as the app does once painted
        assert ctx.jobs is not None and ctx.usage is not None and ctx.workbench is not None
        bench = ctx.workbench
        ctx.check_active()
        await until(lambda: bool(bench.catalogue.snapshot.contents) and not bench.catalogue.busy, 30)
        await SCENES[name](ctx, sandbox)
        await asyncio.sleep(0.4)
        suffix = f"-{size[0]}x{size[1]}" if size else ""
        path = out / f"{name}-{theme}{suffix}.png"
        ctx.window.grab().save(str(path))
        return path
    finally:
        await ctx.shutdown()
        sandbox.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", nargs="?", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--theme", choices=("light", "dark", "both"), default="light")
    parser.add_argument("--size", action="append", default=[], help="WxH (repeatable); default: the window's own")
    parser.add_argument("--scene", action="append", choices=sorted(SCENES), help="default: all")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sizes: list[tuple[int, int] | None] = [None] if not args.size else []
    for text in args.size:
        width, height = text.lower().split("x")
        sizes.append((int(width), int(height)))
    themes = ("light", "dark") if args.theme == "both" else (args.theme,)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    loop = AppEventLoop(app)
    asyncio.set_event_loop(loop)
    for name in args.scene or list(SCENES):
        for theme in themes:
            for size in sizes:
                path = loop.run_until_complete(play(app, name, theme, size, out))
                sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
