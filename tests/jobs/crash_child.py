"""The process the crash test kills: starts and tracks jobs against a sandbox until SIGKILL.

    python -m tests.jobs.crash_child BASE_URL API_KEY DB_PATH COUNT SERVER_NOW [HANG_BEFORE HANG_AFTER]

All ``COUNT`` jobs are started at once, then polled. Two optional hooks make the worst moments
certain rather than likely: job number ``HANG_BEFORE`` stops after its row is written but before
its request is sent, and job ``HANG_AFTER`` stops after Sim queued its run but before the answer
is recorded. Prints ``started N`` per acknowledged start and ``ready`` once every start is settled
or hung, so the parent knows when to kill.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from simdesk.api import AsyncReceipt, SimClient
from simdesk.core.jobs.store import JobStore
from simdesk.sandbox.demo import SLOW_ID, WS_DEMO
from simdesk.services.jobs.tracker import JobTracker


def say(line: str) -> None:
    """One line to the parent, at once (it decides when to kill from these)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class ServerClock:
    """The sandbox's virtual time as of launch, moving with the real clock (close enough here)."""

    def __init__(self, server_now: float) -> None:
        self._offset = server_now - time.monotonic()

    def now(self) -> float:
        return time.monotonic() + self._offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def main(base_url: str, key: str, db: str, count: int, server_now: float, hooks: tuple[int, int]) -> None:
    client = SimClient(base_url, key)
    real_execute = client.execute_async

    async def execute_async(workflow_id: str, input: Any = None, **kwargs: Any) -> AsyncReceipt:
        number = input["n"]
        if number == hooks[0]:
            say("hung before sending")
            await asyncio.Event().wait()
        receipt = await real_execute(workflow_id, input, **kwargs)
        if number == hooks[1]:
            say("hung after sending")
            await asyncio.Event().wait()
        return receipt

    client.execute_async = execute_async  # type: ignore[method-assign]  # the hooks wrap this one client's method

    async def client_for(profile: str) -> SimClient:
        return client

    tracker = JobTracker(JobStore(db), client_for, clock=ServerClock(server_now))
    tracker.start_polling()

    async def start(n: int) -> None:
        await tracker.start(
            "demo", SLOW_ID, {"minutes": 30, "n": n}, workflow_name="Nightly Report", workspace_id=WS_DEMO
        )
        say(f"started {n}")

    starts = [asyncio.ensure_future(start(n)) for n in range(count)]
    settled = [s for n, s in enumerate(starts) if n not in hooks]
    await asyncio.gather(*settled)
    say("ready")
    await asyncio.Event().wait()  # keep polling until killed


if __name__ == "__main__":
    base, api_key, path, total, now = sys.argv[1:6]
    extra = tuple(int(x) for x in sys.argv[6:8]) if len(sys.argv) > 6 else (-1, -1)
    asyncio.run(main(base, api_key, path, int(total), float(now), (extra[0], extra[1])))
