"""Legacy job ids as real Sim makes them (``workflow-execution:<executionId>``, see
``tests/fixtures/sim-0.8.9/async-execute.body``): the client polls them with the ``:`` sent as
``%3A``, against a sandbox that hands out ids of that form."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from simdesk.api import SimClient
from simdesk.core.runs import RunStatus
from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox, SandboxConfig, start_sandbox
from tests.support.api import FakeClock, policy, run


@pytest.fixture(scope="module")
def database_ids() -> Iterator[RunningSandbox]:
    sb = start_sandbox(SandboxConfig(clock=ManualClock(), job_ids="database", v2=False))
    yield sb
    sb.stop()


def test_a_colon_job_id_is_polled_encoded(database_ids: RunningSandbox) -> None:
    sb = database_ids
    clock = FakeClock(sb)

    async def main() -> None:
        async with SimClient(sb.base_url, demo.DEMO_KEY, retry=policy(clock)) as c:
            receipt = await c.execute_async(demo.ECHO_ID, {"message": "queued"})
            assert receipt.job_id == f"workflow-execution:{receipt.run_id}"
            assert receipt.status_url.endswith(f"/api/jobs/workflow-execution%3A{receipt.run_id}")
            await c.wait_for_run(demo.ECHO_ID, receipt.run_id)
            job = await c.get_job(receipt.job_id)
            assert job.job_id == receipt.job_id and job.run_id == receipt.run_id
            assert job.run_status is RunStatus.COMPLETED and job.output == {"message": "queued"}
            # the server's own statusUrl has the colon bare; the same job answers either way
            headers = {"x-api-key": demo.DEMO_KEY}
            async with httpx.AsyncClient(base_url=sb.base_url, headers=headers) as raw:
                bare = await raw.get(f"/api/jobs/{receipt.job_id}")
                encoded = await raw.get(f"/api/jobs/{receipt.job_id.replace(':', '%3A')}")
            assert bare.status_code == encoded.status_code == 200
            assert bare.json()["taskId"] == encoded.json()["taskId"] == receipt.job_id

    run(main())
