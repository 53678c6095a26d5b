"""The logs service over loopback: cache first, paging on demand, live news, one run's trace, refusals."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from simdesk.api import SimClient
from simdesk.core.logs_cache import LogsCache
from simdesk.core.logs_query import LogQuery
from simdesk.core.runs import RunStatus
from simdesk.core.trace import Trace
from simdesk.core.usage import LogEntry
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.logs import FORGOTTEN, PAGE_SIZE, LogsService


def test_cached_rows_first_then_pages_on_demand(
    seeded: RunningSandbox, make_logs: Callable[..., LogsService], cache: LogsCache, qtbot: Any, arun: Any
) -> None:
    saved = LogEntry("old-run", demo.ECHO_ID, RunStatus.COMPLETED, "info", "api", None, None, 1.0, 0.1)
    cache.store("Demo", demo.WS_DEMO, [saved])
    service = make_logs(seeded)
    resets: list[tuple[list[LogEntry], bool]] = []
    service.rows_reset.connect(lambda rows, cached: resets.append((rows, cached)))
    with qtbot.waitSignal(service.more_available, timeout=10_000) as more:
        service.open(LogQuery(demo.WS_DEMO))
    assert resets[0] == ([saved], True)  # at once, before the server answered
    assert resets[1][1] is False and len(resets[1][0]) == PAGE_SIZE
    assert more.args == [True]
    with qtbot.waitSignal(service.rows_added, timeout=10_000) as added:
        service.fetch_more()
    assert len(added.args[0]) == PAGE_SIZE
    assert len(service.rows) == 2 * PAGE_SIZE
    assert service.last_updated is not None
    qtbot.waitUntil(lambda: len(cache.load("Demo", LogQuery(demo.WS_DEMO))) >= 2 * PAGE_SIZE, timeout=5000)


def test_live_mode_shows_a_new_run_with_one_request_per_poll(
    sandbox: RunningSandbox,
    make_logs: Callable[..., LogsService],
    clients: Callable[..., SimClient],
    qtbot: Any,
    arun: Any,
) -> None:
    runner = clients(sandbox)
    arun(runner.execute(demo.ECHO_ID, {"message": "before"}))
    parked: asyncio.Future[None] = asyncio.get_event_loop().create_future()

    async def sleep(_seconds: float) -> None:
        await parked  # one poll, then wait until the test ends

    service = make_logs(sandbox, sleep=sleep)
    with qtbot.waitSignal(service.rows_reset, timeout=10_000, check_params_cb=lambda _rows, cached: not cached):
        service.open(LogQuery(demo.WS_DEMO))
    new = arun(runner.execute(demo.ECHO_ID, {"message": "after"}))
    with qtbot.waitSignal(service.rows_added, timeout=10_000) as added:
        service.set_live(True)
    assert new.run_id in {e.run_id for e in added.args[0]}
    assert service.hub.poller.polls == 1 and service.live
    service.set_live(False)
    assert not service.live


def test_open_run_reads_the_trace_or_says_the_run_is_gone(
    seeded: RunningSandbox, make_logs: Callable[..., LogsService], qtbot: Any
) -> None:
    service = make_logs(seeded)
    with qtbot.waitSignal(service.detail_ready, timeout=10_000) as ready:
        service.open_run("seeded-0-000004")
    entry, trace = ready.args
    assert isinstance(trace, Trace) and entry.run_id == "seeded-0-000004"
    assert trace.roots[0].name == "Workflow Execution" and len(trace.blocks()) >= 2
    with qtbot.waitSignal(service.detail_failed, timeout=10_000) as failed:
        service.open_run("no-such-run")
    assert failed.args == ["no-such-run", FORGOTTEN]


def test_a_workspace_the_key_cannot_read_is_a_message_not_a_crash(
    seeded: RunningSandbox, make_logs: Callable[..., LogsService], qtbot: Any
) -> None:
    service = make_logs(seeded)
    with qtbot.waitSignal(service.failed, timeout=10_000) as failed:
        service.open(LogQuery(demo.WS_LOCKED))
    assert failed.args[0] == "This workspace does not accept personal API keys. Use a workspace key."
    assert service.rows == {}
