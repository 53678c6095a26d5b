"""A forgotten run is gone from every route, and its spend stays counted."""

from __future__ import annotations

import httpx

from simdesk.sandbox import demo
from simdesk.sandbox.clock import ManualClock
from simdesk.sandbox.server import RunningSandbox


def test_forget_run_removes_it_everywhere_but_keeps_spend(sandbox: RunningSandbox) -> None:
    with httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": sandbox.api_key}) as c:
        receipt = c.post(f"/api/workflows/{demo.ECHO_ID}/execute", json={"a": 1}, headers={"X-Execution-Mode": "async"})
        run_id, job_id = receipt.json()["executionId"], receipt.json()["jobId"]
        assert isinstance(sandbox.clock, ManualClock)
        sandbox.clock.advance(5)
        spent = sandbox.state.current_cost()
        sandbox.state.forget_run(run_id)
        assert c.get(f"/api/v2/workflows/{demo.ECHO_ID}/runs/{run_id}").status_code == 404
        assert c.get(f"/api/jobs/{job_id}").json()["error"] == "Task not found"
        assert c.get(f"/api/workflows/{demo.ECHO_ID}/executions/{run_id}").status_code == 404
        assert c.get("/api/users/me/usage-limits").json()["usage"]["currentPeriodCost"] == spent
