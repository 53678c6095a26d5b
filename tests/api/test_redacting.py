"""The client polls through v2's transient ``redacting`` to the run's outcome (CONTRACT.md §7.3, §17)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simdesk.api import SimClient
from simdesk.core.jobs.model import JobStatus, job_status
from simdesk.core.runs import Run, RunStatus
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.support.api import FakeClock, policy, run


@pytest.fixture(scope="module")
def masking_sandbox() -> Iterator[RunningSandbox]:
    """Finished async runs read ``redacting`` for 5 s, long enough for polls to land in it."""
    with start_sandbox(SandboxConfig(clock=ManualClock(), redacting_s=5.0)) as sb:
        yield sb


def test_wait_for_run_polls_through_redacting_to_the_completed_run(masking_sandbox: RunningSandbox) -> None:
    clock = FakeClock(masking_sandbox)  # each wait between polls moves the sandbox clock
    seen: list[Run] = []

    async def main() -> Run:
        async with SimClient(masking_sandbox.base_url, demo.DEMO_KEY, retry=policy(clock)) as client:
            receipt = await client.execute_async(demo.ECHO_ID, {"n": 1})
            return await client.wait_for_run(demo.ECHO_ID, receipt.run_id, on_update=seen.append)

    done = run(main())
    # the Start block adds its declared message field
    assert done.status is RunStatus.COMPLETED and done.output == {"message": "", "n": 1}
    masking = [r for r in seen if r.status is RunStatus.REDACTING]
    assert masking, f"no poll landed in the redacting window: {[r.status for r in seen]}"
    assert not masking[0].status.is_terminal and masking[0].status.is_active
    assert masking[0].ended_at is None and masking[0].output is None
    # the job tracker reads the same report as still running, not finished
    tracked = job_status(masking[0].status)
    assert tracked is JobStatus.RUNNING and not tracked.is_final
