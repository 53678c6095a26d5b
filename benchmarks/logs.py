"""Logs explorer: applying a page to a 10 000-run table, a 2 000-span waterfall, live mode's request rate.

* ``table_apply_ms``: the logs panel, shown at 1400×860 and sorted newest first, holds 10 000
  runs; a page of 100 older runs is applied with :meth:`LogsTableModel.apply` and the events it
  causes are processed (the view's relayout and repaint).
  Median of 20 pages, in wall time and (``table_apply_cpu_ms``) in CPU time of the GUI thread,
  which a loaded machine inflates less. Baseline in the same run: a full ``reset`` with the 10 100 rows (what a
  naive reload does), ``table_apply_ratio_vs_reset``. Goal ≤ 16 ms (one frame).
* ``waterfall_render_ms``: a trace of 2 000 spans nested 6 levels deep (Sim's nested shape):
  :meth:`TraceWaterfall.set_trace` (rows laid out) plus painting the visible 1200×800 area into
  an image. Median of 10 (wall; ``waterfall_render_cpu_ms`` in CPU time). ``waterfall_parse_ms``
  is reading the raw spans into the tree
  (:func:`span_tree`), and ``waterfall_full_paint_ms`` painting all 2 000 rows at once (the
  baseline: a view that paints everything). Goal ≤ 50 ms.
* ``live_requests_per_min``: five logs views in live mode on one profile (free plan, a sandbox on
  a manual clock, every wait on virtual time) for 10 virtual minutes; requests the live mode sent
  per minute, and ``rate_limited_responses`` (429s; goal 0). The demo key can read two
  workspaces (Demo, Team Ops); the other three views are single workflows of Demo: each view
  costs one request per turn, as another workspace would. Baseline in the same run:
  ``naive_live_requests_per_min`` and ``naive_rate_limited_responses``, the same five views each
  polling on its own every 5 s (a web page's refresh) without the request budget.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks import quick
from simdesk.core.logs_query import LogQuery
from simdesk.core.runs import RunStatus
from simdesk.core.usage import LogEntry
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from simdesk.testing.virtual_time import VirtualTime
from tests.jobs.support import CountingTransport, drive_for, make_client

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
TABLE_ROWS = 10_000
PAGE = 100
SPANS = 2_000
DEPTH = 6
LIVE_MINUTES = 10.0
NAIVE_EVERY_S = 5.0


def _app() -> Any:
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def _entries(start: int, count: int) -> list[LogEntry]:
    triggers = ("api", "manual", "schedule", "webhook", "chat")
    return [
        LogEntry(
            f"run-{n:06d}",
            demo.ECHO_ID,
            RunStatus.FAILED if n % 13 == 0 else RunStatus.COMPLETED,
            "info",
            triggers[n % 5],
            T0 - timedelta(seconds=n * 7),
            None,
            100.0 + n % 900,
            0.001 * (n % 50),
        )
        for n in range(start, start + count)
    ]


def table_apply_ms(pages: int) -> tuple[float, float, float]:
    """Median ms (wall, then this thread's CPU) to apply one page to the shown 10 000-row table,
    and ms for a full reset (the baseline)."""
    from simdesk.services.logs import LogsService
    from simdesk.ui.logs_panel import LogsPanel

    app = _app()
    service = LogsService()
    panel = LogsPanel(service)
    panel.resize(1400, 860)
    panel.show()
    model, proxy = panel.model, panel.proxy
    panel.workspace_id = "ws"
    proxy.set_query(LogQuery("ws"))
    model.reset(_entries(0, TABLE_ROWS))
    app.processEvents()
    timings, cpu = [], []
    for page in range(pages):
        rows = _entries(TABLE_ROWS + page * PAGE, PAGE)
        started, started_cpu = time.perf_counter(), time.thread_time()
        model.apply(rows)
        app.processEvents()
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    assert proxy.rowCount() == TABLE_ROWS + pages * PAGE
    everything = model.entries()
    started = time.perf_counter()
    model.reset(everything)
    app.processEvents()
    reset_ms = (time.perf_counter() - started) * 1000
    panel.close()
    return statistics.median(timings), statistics.median(cpu), reset_ms


def deep_trace(total: int = SPANS, depth: int = DEPTH) -> list[dict[str, Any]]:
    """A nested trace of ``total`` spans, ``depth`` levels deep, children sharing their parent's time."""
    made = [0]

    def span(level: int, start: float, length: float) -> dict[str, Any]:
        made[0] += 1
        n = made[0]
        node: dict[str, Any] = {
            "id": f"s{n}", "name": f"Block {n}", "type": "agent" if n % 7 == 0 else "function", "blockId": f"b{n}",
            "duration": length, "relativeStartMs": start, "status": "error" if n % 97 == 0 else "success",
            "cost": {"total": 0.001}, "model": "gpt-4o" if n % 7 == 0 else None, "children": [],
        }  # fmt: skip
        return node

    root = span(0, 0.0, 10_000.0)
    frontier = [(root, 0)]
    while made[0] < total and frontier:
        parent, level = frontier.pop(0)
        if level + 1 >= depth:
            continue
        width = parent["duration"] / 5
        for i in range(5):
            if made[0] >= total:
                break
            child = span(level + 1, parent["relativeStartMs"] + i * width, width * 0.9)
            parent["children"].append(child)
            frontier.append((child, level + 1))
    return [root]


def waterfall_ms(repeats: int) -> tuple[float, float, float, float]:
    """Median ms of layout + visible paint (wall, then CPU), parse ms and full-paint ms."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QImage, QRegion

    from simdesk.core.trace import span_tree
    from simdesk.ui.trace_waterfall import TraceWaterfall

    _app()
    raw = deep_trace()
    started = time.perf_counter()
    trace = span_tree(raw)
    parse_ms = (time.perf_counter() - started) * 1000
    assert sum(1 for _ in trace.walk()) == SPANS and max(d for d, _ in trace.walk()) == DEPTH - 1
    view = TraceWaterfall()
    view.resize(1200, 800)
    image = QImage(1200, 800, QImage.Format.Format_ARGB32_Premultiplied)
    visible = QRect(0, 0, 1200, 800)
    timings, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.thread_time()
        view.set_trace(trace)
        view.render(image, QPoint(0, 0), QRegion(visible))  # what a scroll area's viewport shows
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    assert len(view.rows) == SPANS
    view.resize(1200, view.minimumHeight())
    tall = QImage(1200, view.minimumHeight(), QImage.Format.Format_ARGB32_Premultiplied)
    started = time.perf_counter()
    view.render(tall)
    full_ms = (time.perf_counter() - started) * 1000
    return statistics.median(timings), statistics.median(cpu), parse_ms, full_ms


def _views() -> list[LogQuery]:
    return [
        LogQuery(demo.WS_DEMO),
        LogQuery(demo.WS_TEAM),
        LogQuery(demo.WS_DEMO, workflow_ids=(demo.ECHO_ID,)),
        LogQuery(demo.WS_DEMO, workflow_ids=(demo.RESEARCH_ID,)),
        LogQuery(demo.WS_DEMO, workflow_ids=(demo.STORY_ID,)),
    ]


async def live(sb: RunningSandbox, minutes: float, *, naive: bool) -> tuple[float, int]:
    """(live requests per minute, 429s) for five views over ``minutes`` of virtual time."""
    from simdesk.api import SimClient
    from simdesk.services.logs import LiveHub, LogsService

    clock: Any = sb.clock
    vtime = VirtualTime(clock.now, clock.advance)
    transport = CountingTransport()
    client = make_client(sb.base_url, sb.api_key, vtime, transport, budget=not naive)

    async def get() -> SimClient:
        return client

    def hub() -> LiveHub:
        made = LiveHub(sleep=vtime.sleep, requests_per_min=60 / NAIVE_EVERY_S if naive else 5.0)
        made.poller.min_interval_s = NAIVE_EVERY_S if naive else made.poller.min_interval_s
        return made

    shared = hub()
    services = [LogsService(clock=vtime.now, hub=hub() if naive else shared) for _ in _views()]
    try:
        for service, query in zip(services, _views(), strict=True):
            service.set_profile("Bench", get)
            await service.open(query)
        opened = transport.sent
        for service in services:
            service.set_live(True)
        await drive_for(vtime, minutes * 60, [transport])
        return (transport.sent - opened) / minutes, transport.rate_limited
    finally:
        for service in services:
            await service.aclose()
        await shared.aclose()
        await client.aclose()


def run() -> dict[str, float]:
    pages, repeats, minutes = (3, 2, 2.0) if quick() else (20, 10, LIVE_MINUTES)
    apply_ms, apply_cpu_ms, reset_ms = table_apply_ms(pages)
    render_ms, render_cpu_ms, parse_ms, full_ms = waterfall_ms(repeats)
    ours = start_sandbox(SandboxConfig(clock=ManualClock(), seeded_logs=500))
    theirs = start_sandbox(SandboxConfig(clock=ManualClock(), seeded_logs=500))
    try:
        per_min, limited = asyncio.run(live(ours, minutes, naive=False))
        naive_per_min, naive_limited = asyncio.run(live(theirs, min(minutes, 4.0), naive=True))
    finally:
        ours.stop()
        theirs.stop()
    return {
        "table_apply_ms": apply_ms,
        "table_apply_cpu_ms": apply_cpu_ms,
        "table_reset_ms": reset_ms,
        "table_apply_ratio_vs_reset": apply_ms / reset_ms if reset_ms else 0.0,
        "waterfall_render_ms": render_ms,
        "waterfall_render_cpu_ms": render_cpu_ms,
        "waterfall_parse_ms": parse_ms,
        "waterfall_full_paint_ms": full_ms,
        "live_requests_per_min": per_min,
        "rate_limited_responses": float(limited),
        "naive_live_requests_per_min": naive_per_min,
        "naive_rate_limited_responses": float(naive_limited),
    }
