"""``SimClient.list_workflows`` on a server with v2 switched off: it reads Sim's ungated
``/api/v1/workflows`` (CONTRACT §8.3) and yields the same summaries, against the embedded sandbox
over loopback. Every client records the paths it asks for, so the tests see which surface it used."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from simdesk.api import FeatureUnavailableError, PermissionDeniedError, RateLimitError, SimClient, WorkflowSummary
from simdesk.sandbox import demo
from simdesk.sandbox.server import RunningSandbox
from tests.support.api import FakeClock, policy, run

Connect = Callable[..., SimClient]
DEMO_WORKFLOWS = sorted(
    (w for w in demo.WORKFLOWS if w.workspace_id == demo.WS_DEMO), key=lambda w: (w.position, w.created_at, w.id)
)


class Recording(httpx.AsyncBaseTransport):
    """A real loopback transport that notes the path of every request."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def recording() -> Recording:
    return Recording()


def listed(client: SimClient, workspace_id: str = demo.WS_DEMO, **kw: Any) -> list[WorkflowSummary]:
    async def main() -> list[WorkflowSummary]:
        async with client:
            return [w async for w in client.list_workflows(workspace_id, **kw)]

    return run(main())


def comparable(summary: WorkflowSummary) -> WorkflowSummary:
    """Without what differs between two sandboxes' histories (runs) and what v1 cannot say (paths)."""
    folder = "/" if summary.folder_path == "/" else ""
    return dataclasses.replace(summary, folder_path=folder, run_count=0, last_run_at=None)


def test_v2_off_lists_through_v1_with_the_same_summaries(
    sandbox: RunningSandbox, sandbox_no_v2: RunningSandbox, connect: Connect, recording: Recording
) -> None:
    client = connect(sandbox_no_v2, transport=recording)
    via_v1 = listed(client)
    assert recording.paths == ["/api/v2/workflows", "/api/v1/workflows"]  # the gate's 404, then v1
    assert client.surface == "legacy"
    assert [w.id for w in via_v1] == [w.id for w in DEMO_WORKFLOWS]
    echo = via_v1[0]
    assert (echo.name, echo.folder_path, echo.workspace_id, echo.is_deployed) == ("Echo", "/", demo.WS_DEMO, True)
    assert echo.deployed_at is not None and echo.created_at is not None and echo.description
    story = next(w for w in via_v1 if w.id == demo.STORY_ID)
    assert story.folder_path == ""  # inside a folder v1 names by id only
    via_v2 = listed(connect(sandbox))
    assert [comparable(w) for w in via_v1] == [comparable(w) for w in via_v2]
    v1 = client.rate_limits.get("v1")
    assert v1 is not None and (v1.limit, v1.remaining) == (60, 59)
    assert "v2 workflows.list" not in client.rate_limits


def test_v1_pages_follow_the_cursor_and_a_known_surface_skips_the_probe(
    sandbox_no_v2: RunningSandbox, connect: Connect, recording: Recording
) -> None:
    client = connect(sandbox_no_v2, transport=recording)

    async def main() -> tuple[list[str], list[str]]:
        async with client:
            await client.get_workflow_status(demo.ECHO_ID)  # legacy: teaches the client nothing
            await client.check_connection()  # probes v2: it is off
            assert client.surface == "legacy"
            recording.paths.clear()
            paged = [w.id async for w in client.list_workflows(demo.WS_DEMO, page_size=2)]
            whole = [w.id async for w in client.list_workflows(demo.WS_DEMO)]
            return paged, whole

    paged, whole = run(main())
    assert paged == whole == [w.id for w in DEMO_WORKFLOWS]
    pages = -(-len(DEMO_WORKFLOWS) // 2)
    assert recording.paths == ["/api/v1/workflows"] * (pages + 1)  # no v2 request once v2 is known to be off
    state = client.rate_limits.get("v1")
    assert state is not None and state.remaining == 60 - pages - 1


def test_v1_filters_deployed_there_search_and_root_here(sandbox_no_v2: RunningSandbox, connect: Connect) -> None:
    deployed = {w.id for w in listed(connect(sandbox_no_v2), deployed_only=True)}
    assert demo.UNDEPLOYED_ID not in deployed and demo.ECHO_ID in deployed
    assert [w.name for w in listed(connect(sandbox_no_v2), search="STORY")] == ["Story Teller"]
    # v2 matches the name only: Echo's description mentions a connection, its name does not
    assert listed(connect(sandbox_no_v2), search="connection") == []
    root = listed(connect(sandbox_no_v2), folder_path="/")
    assert [w.id for w in root] == [w.id for w in DEMO_WORKFLOWS if w.folder_path == "/"] and root


def test_v1_cannot_list_a_named_folder(sandbox_no_v2: RunningSandbox, connect: Connect, recording: Recording) -> None:
    client = connect(sandbox_no_v2, transport=recording)
    with pytest.raises(FeatureUnavailableError, match="folder"):
        listed(client, folder_path="/Ops")
    assert recording.paths == ["/api/v2/workflows"]  # refused before asking v1 for a list it could not filter


def test_v1_workspace_access_errors(sandbox_no_v2: RunningSandbox, connect: Connect) -> None:
    with pytest.raises(PermissionDeniedError, match="Personal API keys are not allowed") as locked:
        listed(connect(sandbox_no_v2), demo.WS_LOCKED)
    assert locked.value.status == 403 and locked.value.request_id
    with pytest.raises(PermissionDeniedError, match="not authorized for this workspace"):
        listed(connect(sandbox_no_v2, api_key=demo.WORKSPACE_KEY), demo.WS_TEAM)
    assert [w.id for w in listed(connect(sandbox_no_v2, api_key=demo.WORKSPACE_KEY))] == [w.id for w in DEMO_WORKFLOWS]


def test_v1_429_is_a_rate_limit_error_on_the_v1_bucket(
    sandbox_no_v2: RunningSandbox, connect: Connect, clock: FakeClock
) -> None:
    sandbox_no_v2.faults.update({"storm_429": 1, "path_filter": "/api/v1/"})
    with pytest.raises(RateLimitError) as refused:
        listed(connect(sandbox_no_v2, retry=policy(clock, max_retries=0)))
    error = refused.value
    assert error.status == 429 and error.retry_after == 30
    assert error.message.startswith("Rate limit exceeded: API rate limit exceeded")
    assert error.limit is not None and (error.limit.bucket, error.limit.remaining) == ("v1", 0)
    sandbox_no_v2.faults.update({"storm_429": 1})
    assert len(listed(connect(sandbox_no_v2))) == len(DEMO_WORKFLOWS)  # retried after Retry-After
    assert clock.sleeps and clock.sleeps[0] >= 30


def test_v2_on_still_lists_through_v2(sandbox: RunningSandbox, connect: Connect, recording: Recording) -> None:
    client = connect(sandbox, transport=recording)
    ops = listed(client, folder_path="/Ops", page_size=2)
    assert ops and all(w.folder_path.startswith("/Ops") for w in ops)
    assert set(recording.paths) == {"/api/v2/workflows"} and client.surface == "v2"
    assert "v2 workflows.list" in client.rate_limits and "v1" not in client.rate_limits
    v1_bucket = sandbox.state.peek("api-endpoint:v1", f"user:{demo.DEMO_USER_ID}")
    assert v1_bucket.remaining == v1_bucket.capacity  # the server's v1 bucket was never drawn on
