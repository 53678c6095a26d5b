"""The sandbox's seeded logs over loopback: volume, paging, filters as Sim applies them, nested spans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import NotFoundError, PermissionDeniedError, SimClient
from simdesk.core.trace import span_tree
from simdesk.sandbox import demo
from simdesk.sandbox.logbook import TRIGGERS
from simdesk.sandbox.server import RunningSandbox
from tests.logs.conftest import SEEDED


async def _all(client: SimClient, **filters: Any) -> list[Any]:
    return [e async for e in client.list_logs(demo.WS_DEMO, **filters)]


def test_ten_thousand_runs_page_through_in_order(
    seeded: RunningSandbox, clients: Callable[..., SimClient], arun: Any
) -> None:
    client = clients(seeded)
    rows = [r for r in arun(_all(client, page_size=1000), timeout=30_000) if r.run_id.startswith("seeded-")]
    assert len(rows) == SEEDED  # (other tests may add runs of their own)
    assert len({r.run_id for r in rows}) == SEEDED
    starts = [r.started_at for r in rows]
    assert starts == sorted(starts, reverse=True)
    assert set(Counter(r.trigger for r in rows)) == set(TRIGGERS)
    assert 0 < sum(r.status.value == "failed" for r in rows) < SEEDED // 5


def test_filters_apply_on_the_server(seeded: RunningSandbox, clients: Callable[..., SimClient], arun: Any) -> None:
    client = clients(seeded)
    webhooks = arun(_all(client, triggers=["webhook"], page_size=1000), timeout=30_000)
    assert webhooks and {r.trigger for r in webhooks} == {"webhook"}
    failed = arun(_all(client, level="error", workflow_ids=[demo.ECHO_ID], page_size=1000), timeout=30_000)
    assert failed and {(r.status.value, r.workflow_id) for r in failed} == {("failed", demo.ECHO_ID)}
    cheap = arun(_all(client, max_cost=0.01, min_duration_ms=500, page_size=1000), timeout=30_000)
    assert cheap and all(r.cost <= 0.01 and r.duration_ms >= 500 for r in cheap)
    since = (
        webhooks[10].started_at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{webhooks[10].started_at.microsecond // 1000:03d}Z"
    )
    recent = arun(_all(client, triggers=["webhook"], start_date=since))
    assert [r.run_id for r in recent] == [r.run_id for r in webhooks[:11]]


def test_one_run_has_nested_spans_like_real_sim(
    seeded: RunningSandbox, clients: Callable[..., SimClient], arun: Any
) -> None:
    client = clients(seeded)
    entry = arun(client.get_log("seeded-0-000008"))
    raw = entry.raw["traceSpans"]
    assert len(raw) == 1 and raw[0]["name"] == "Workflow Execution" and "durationMs" not in raw[0]["children"][0]
    trace = span_tree(raw, started_at=entry.started_at)
    kinds = {s.type for _, s in trace.walk()}
    assert {"workflow", "starter", "loop", "loop-iteration", "parallel"} <= kinds
    assert abs(trace.duration_ms - entry.duration_ms) < 5  # the spans add up to the row's duration
    # the block spans are the run's workflow's own blocks: what an app learns from them is true
    workflow = seeded.state.workflows[entry.workflow_id]
    assert {s.block_id for s in trace.blocks()} == {b.id for b in workflow.blocks}
    if "agent" in kinds:
        assert trace.cost_by_model()


def test_a_forgotten_run_and_a_forbidden_workspace_are_refused(
    seeded: RunningSandbox, clients: Callable[..., SimClient], arun: Any
) -> None:
    client = clients(seeded)
    with pytest.raises(NotFoundError):
        arun(client.get_log("seeded-0-999999"))
    with pytest.raises(PermissionDeniedError):  # Locked Lab refuses personal keys
        arun(_listed(client, demo.WS_LOCKED))
    with pytest.raises(NotFoundError):  # a workspace key sees no other workspace
        arun(_listed(clients(seeded, demo.WORKSPACE_KEY), demo.WS_TEAM))


async def _listed(client: SimClient, workspace_id: str) -> list[Any]:
    return [e async for e in client.list_logs(workspace_id)]


def test_v1_logs_list_the_seeded_runs_too(seeded: RunningSandbox, clients: Callable[..., SimClient], arun: Any) -> None:
    import httpx

    async def first_page() -> Any:
        async with httpx.AsyncClient(base_url=seeded.base_url, headers={"x-api-key": seeded.api_key}) as http:
            reply = await http.get(
                "/api/v1/logs", params={"workspaceId": demo.WS_DEMO, "triggers": "chat", "limit": 50}
            )
            return reply.json()

    body = arun(first_page())
    assert len(body["data"]) == 50 and {i["trigger"] for i in body["data"]} == {"chat"}
    assert all(i["executionId"].startswith("seeded-") for i in body["data"])
