"""The logs query (server filters, local matching) and the offline cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simdesk.core.logs_cache import LogsCache
from simdesk.core.logs_live import LivePoller
from simdesk.core.logs_query import LogQuery
from simdesk.core.runs import RunStatus
from simdesk.core.usage import LogEntry

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def entry(n: int, **kw: object) -> LogEntry:
    base: dict[str, object] = dict(
        run_id=f"run-{n:03d}", workflow_id="wf-1", status=RunStatus.COMPLETED, level="info", trigger="api",
        started_at=T0 - timedelta(minutes=n), ended_at=None, duration_ms=10.0 * n, cost=0.01,
    )  # fmt: skip
    base.update(kw)
    return LogEntry(**base)  # type: ignore[arg-type]


def test_server_filters_carry_every_server_side_filter() -> None:
    query = LogQuery("ws", workflow_ids=("a",), triggers=("schedule",), statuses=("failed",), since=T0, text="x")
    assert query.server_filters() == {
        "order": "desc", "workflow_ids": ["a"], "triggers": ["schedule"], "level": "error",
        "start_date": T0,
    }  # fmt: skip
    assert "level" not in LogQuery("ws", statuses=("completed",)).server_filters()


def test_text_matches_run_id_workflow_name_trigger_and_status() -> None:
    row = entry(1, trigger="webhook")
    assert LogQuery("ws", text="RUN-001").matches(row)
    assert LogQuery("ws", text="billing").matches(row, {"wf-1": "Billing sync"})
    assert LogQuery("ws", text="hook").matches(row)
    assert not LogQuery("ws", text="chat").matches(row)
    assert not LogQuery("ws", triggers=("chat",)).matches(row)
    assert not LogQuery("ws", since=T0).matches(row)


def test_cache_round_trip_newest_first_per_profile_and_workspace(tmp_path: object) -> None:
    cache = LogsCache(":memory:", clock=lambda: T0.timestamp())
    try:
        cache.store("p", "ws", [entry(n) for n in range(5)], synced_at=123.0)
        cache.store("p", "other", [entry(9)])
        cache.store("p", "ws", [entry(2, status=RunStatus.FAILED)])  # an update, not a copy
        rows = cache.load("p", LogQuery("ws"))
        assert [r.run_id for r in rows] == [f"run-{n:03d}" for n in range(5)]
        assert rows[2].status is RunStatus.FAILED and rows[2].started_at == entry(2).started_at
        assert [r.run_id for r in cache.load("p", LogQuery("ws", statuses=("failed",)))] == ["run-002"]
        assert cache.load("q", LogQuery("ws")) == []
        assert cache.synced_at("p", "ws") == 123.0 and cache.synced_at("p", "other") is None
    finally:
        cache.close()


def test_cache_drops_rows_older_than_it_keeps(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "logs.sqlite3"
    cache = LogsCache(path, clock=lambda: T0.timestamp())
    cache.store("p", "ws", [entry(1), entry(60 * 24 * 40)])
    cache.close()
    reopened = LogsCache(path, keep_days=30, clock=lambda: T0.timestamp())
    try:
        assert [r.run_id for r in reopened.load("p", LogQuery("ws"))] == ["run-001"]
    finally:
        reopened.close()


def test_live_poller_spaces_requests_by_the_rate_however_many_workspaces(qloop: object, arun: object) -> None:
    import asyncio

    polled: list[str] = []
    waits: list[float] = []

    async def poll(workspace: str) -> bool:
        polled.append(workspace)
        return workspace != "bad"

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(polled) >= 8:
            raise asyncio.CancelledError

    poller = LivePoller(poll, sleep=sleep, requests_per_min=5)
    for ws in ("a", "b", "c", "bad", "e"):
        poller.watch(ws)

    async def run() -> None:
        try:
            await poller.run()
        except asyncio.CancelledError:
            pass

    arun(run())  # type: ignore[operator]
    assert polled == ["a", "b", "c", "bad", "e", "a", "b", "c"]
    assert waits[:3] == [12.0, 12.0, 12.0] and waits[3] == 24.0  # a failure doubles the pause
    assert waits[4] == 12.0  # and a success restores it
    one = LivePoller(poll, sleep=sleep, requests_per_min=60, min_interval_s=12)
    one.watch("a")
    assert one.spacing_s() == 12.0  # one workspace is never asked more often than min_interval_s
