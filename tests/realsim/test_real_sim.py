"""The simdesk client against a real Sim server (see ``conftest.py`` for what it needs).

Each test opens its own client on its own event loop (:func:`tests.api.helpers.run`). The first
call of each route on a ``next dev`` server compiles that route, so first calls can take a minute;
the deadlines below allow for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from simdesk.api import SimClient
from simdesk.api.client import DEFAULT_TIMEOUT_S
from simdesk.core.runs import Job, Run, RunStatus, Surface
from simdesk.core.stream_events import Final, StreamEvent
from tests.api.helpers import run
from tests.realsim.conftest import RealSim

pytestmark = [pytest.mark.realsim, pytest.mark.timeout(600)]

Connect = Callable[..., SimClient]


async def _finish(sim: SimClient, workflow_id: str, run_id: str, on_update: Callable[[Run], None] | None = None) -> Run:
    """Poll the run until it ends (briskly: these runs take seconds, the first poll may compile)."""
    return await sim.wait_for_run(
        workflow_id, run_id, poll_interval=0.5, max_interval=2.0, timeout=300.0, on_update=on_update
    )


async def _stream(sim: SimClient, workflow_id: str, message: str) -> tuple[list[StreamEvent], float]:
    """All events of a streamed run and the seconds until the first one arrived."""
    started = time.monotonic()
    first: float | None = None
    events: list[StreamEvent] = []
    async with sim.stream(workflow_id, {"message": message}) as stream:
        async for event in stream:
            if first is None:
                first = time.monotonic() - started
            events.append(event)
    assert first is not None, "the stream ended without a single event"
    return events, first


def _wait_workflow(real: RealSim, *, only_slow: bool = False) -> str:
    """The 40 s Wait workflow, else (unless ``only_slow``) the 8 s one.

    Cancel tests prefer the 40 s one: a busy ``next dev`` has been seen to sit on a request for
    half a minute, long enough for an 8 s run to finish before its cancel arrives."""
    choice = real.wait_workflow_id if only_slow else (real.wait_workflow_id or real.wait8_workflow_id)
    if choice is None:
        pytest.skip("set SIM_REAL_WAIT_WORKFLOW_ID (Start → Wait 40 s) to run this")
    return choice


def test_sync_execute_echoes_the_start_input(real: RealSim, connect: Connect, surface: Surface) -> None:
    async def go() -> Any:
        async with connect(surface) as sim:
            return await sim.execute(real.workflow_id, {"message": "hello real sim"})

    result = run(go())
    assert result.status is RunStatus.COMPLETED, result.error
    assert result.output["message"] == "hello real sim"
    assert result.run_id and result.request_id
    assert result.duration_ms is not None and result.duration_ms >= 0


def test_stream_ends_with_a_final_event_carrying_the_output(real: RealSim, connect: Connect, surface: Surface) -> None:
    async def go() -> list[StreamEvent]:
        async with connect(surface) as sim:
            events, _ = await _stream(sim, real.workflow_id, "hello stream")
            return events

    events = run(go())
    final = events[-1]
    assert isinstance(final, Final), events
    assert final.success and final.status == "completed"
    assert final.output["message"] == "hello stream"


def test_stream_whose_first_frame_comes_after_8s(real: RealSim, connect: Connect, surface: Surface) -> None:
    """Sim sends a stream's headers only with its first frame: here ~8 s, inside the deadline."""
    workflow_id = real.wait8_workflow_id or pytest.skip("set SIM_REAL_WAIT8_WORKFLOW_ID (Start → Wait 8 s)")

    async def go() -> tuple[list[StreamEvent], float]:
        async with connect(surface) as sim:
            return await _stream(sim, workflow_id, "eight")

    events, first = run(go())
    assert first > 7.5
    assert isinstance(events[-1], Final) and events[-1].success, events


def test_stream_whose_first_frame_is_later_than_the_30s_call_deadline(
    real: RealSim, connect: Connect, surface: Surface
) -> None:
    """A Wait of 40 s before any output: the headers arrive after ~40 s, beyond the client's 30 s
    deadline for an ordinary call (the client here has that default deadline), and the stream
    must still wait for them (dropping the connection would cancel the run)."""
    workflow_id = _wait_workflow(real, only_slow=True)

    async def go() -> tuple[list[StreamEvent], float]:
        async with connect(surface, timeout=DEFAULT_TIMEOUT_S) as sim:
            return await _stream(sim, workflow_id, "late")

    events, first = run(go())
    assert first > 30.0
    final = events[-1]
    assert isinstance(final, Final) and final.success, events


def test_async_run_is_followed_until_it_completes(real: RealSim, connect: Connect, surface: Surface) -> None:
    async def go() -> Any:
        async with connect(surface) as sim:
            receipt = await sim.execute_async(real.workflow_id, {"message": "queued"})
            seen: list[RunStatus] = []
            done = await _finish(sim, real.workflow_id, receipt.run_id, lambda r: seen.append(r.status))
            return receipt, done, seen

    receipt, done, seen = run(go())
    assert receipt.surface == surface
    assert receipt.status_url.startswith(real.base_url)
    assert done.status is RunStatus.COMPLETED, done.error
    assert done.output["message"] == "queued"
    assert seen[-1] is RunStatus.COMPLETED


async def _job_when_done(sim: SimClient, job_id: str) -> Job:
    """Poll a legacy job until it ends. A real server offers nothing to wait on but polling, so
    this sleeps between polls (half a second, two minutes at most)."""
    async with asyncio.timeout(120.0):
        while True:
            job = await sim.get_job(job_id)
            if job.status.is_terminal:
                return job
            await asyncio.sleep(0.5)


def test_legacy_async_job_is_polled_until_it_completes(real: RealSim, connect: Connect) -> None:
    """The legacy surface queues a job (``/api/jobs/…``) for the run. Its record trails the run's:
    on real Sim the job still read ``processing`` about a second after the run's own status
    (``/executions/…``) read ``completed``."""

    async def go() -> Any:
        async with connect("legacy") as sim:
            receipt = await sim.execute_async(real.workflow_id, {"message": "legacy job"})
            assert receipt.job_id is not None
            job = await _job_when_done(sim, receipt.job_id)
            return receipt, job, await sim.get_run(real.workflow_id, receipt.run_id)

    receipt, job, done = run(go())
    assert receipt.job_id == f"workflow-execution:{receipt.run_id}"
    assert job.status is RunStatus.COMPLETED, job
    assert job.output["message"] == "legacy job"
    assert done.status is RunStatus.COMPLETED, done.error


def test_usage_limits_report_both_buckets(connect: Connect) -> None:
    async def go() -> Any:
        async with connect() as sim:
            return await sim.get_usage_limits()

    limits = run(go())
    assert limits.auth_type == "api"
    assert limits.sync is not None and limits.async_ is not None
    assert limits.sync.per_minute is not None and limits.sync.per_minute > 0
    assert limits.async_.per_minute is not None and limits.async_.per_minute > 0
    assert limits.current_period_cost is not None and limits.current_period_cost >= 0


def test_catalogue_lists_the_workspace_and_its_deployed_workflow(real: RealSim, connect: Connect) -> None:
    async def go() -> Any:
        async with connect() as sim:
            workspaces = await sim.list_workspaces()
            found = {}
            for ws in workspaces:
                async for wf in sim.list_workflows(ws.id):
                    found[wf.id] = wf
            return workspaces, found, await sim.get_workflow(real.workflow_id)

    workspaces, found, detail = run(go())
    assert workspaces
    summary = found[real.workflow_id]
    assert summary.is_deployed and summary.workspace_id in {ws.id for ws in workspaces}
    assert [i.name for i in detail.inputs] == ["message"]


def test_cancelled_async_run_ends_cancelled(real: RealSim, connect: Connect, surface: Surface) -> None:
    workflow_id = _wait_workflow(real)

    async def go() -> Any:
        async with connect(surface) as sim:
            receipt = await sim.execute_async(workflow_id, {"message": "stop me"})
            answer = await sim.cancel_run(workflow_id, receipt.run_id)
            return answer, await _finish(sim, workflow_id, receipt.run_id)

    answer, done = run(go())
    assert answer.success, answer
    assert done.status is RunStatus.CANCELLED
    assert done.error is None  # real Sim reports a cancelled run without an error


def test_dropping_a_stream_cancels_the_run(real: RealSim, connect: Connect, surface: Surface) -> None:
    """Giving up on a stream closes the connection, and Sim then ends the run ``cancelled``."""
    workflow_id = _wait_workflow(real)

    async def go() -> tuple[str | None, Run]:
        async with connect(surface) as sim:
            async with sim.stream(workflow_id, {"message": "dropped"}) as stream:
                # the Wait block sends nothing for seconds: stop waiting well before it ends
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(anext(stream), 3.0)
            assert stream.run_id is not None
            return stream.run_id, await _finish(sim, workflow_id, stream.run_id)

    run_id, done = run(go())
    assert done.run_id == run_id
    assert done.status is RunStatus.CANCELLED


def test_official_sdk_runs_the_echo_workflow(real: RealSim) -> None:
    """The official Python SDK agrees with simdesk about the same server (a cheap sanity check
    that the server, not our client, is what the other tests measure)."""
    simstudio = pytest.importorskip("simstudio")
    with simstudio.SimStudioClient(api_key=real.api_key, base_url=real.base_url) as sdk:
        result = sdk.execute_workflow(real.workflow_id, {"message": "from the sdk"}, timeout=300.0)
    assert result.success, result
    assert result.output["message"] == "from the sdk"
