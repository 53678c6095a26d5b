"""Setup for the tests marked ``realsim``: they talk to a real Sim server, never the sandbox.

``scripts/real-sim.sh`` (``./dev real-sim``) brings one up on loopback and runs them with these
set; without them every test here is skipped at collection, so the normal suite pays nothing:

* ``SIM_REAL_BASE_URL``, ``SIM_REAL_API_KEY``: the server and a personal API key;
* ``SIM_REAL_WORKFLOW_ID``: a deployed workflow whose Start block declares one input, ``message``;
* ``SIM_REAL_WAIT_WORKFLOW_ID`` (optional): a deployed workflow Start → Wait 40 s, whose first
  stream frame therefore comes later than the client's 30 s call deadline;
* ``SIM_REAL_WAIT8_WORKFLOW_ID`` (optional): the same with an 8 s wait, for cancelling cheaply.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from simdesk.api import SimClient
from simdesk.core.runs import Surface

REQUIRED = ("SIM_REAL_BASE_URL", "SIM_REAL_API_KEY", "SIM_REAL_WORKFLOW_ID")
SKIP_REASON = "set SIM_REAL_BASE_URL, SIM_REAL_API_KEY and SIM_REAL_WORKFLOW_ID to run against a real Sim"
HERE = Path(__file__).parent
CALL_DEADLINE_S = 120.0


@dataclass(frozen=True)
class RealSim:
    """The real server and what was provisioned on it."""

    base_url: str
    api_key: str
    workflow_id: str
    wait_workflow_id: str | None
    wait8_workflow_id: str | None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if all(os.environ.get(name) for name in REQUIRED):
        return
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def real() -> RealSim:
    env = os.environ
    return RealSim(
        base_url=env["SIM_REAL_BASE_URL"],
        api_key=env["SIM_REAL_API_KEY"],
        workflow_id=env["SIM_REAL_WORKFLOW_ID"],
        wait_workflow_id=env.get("SIM_REAL_WAIT_WORKFLOW_ID") or None,
        wait8_workflow_id=env.get("SIM_REAL_WAIT8_WORKFLOW_ID") or None,
    )


@pytest.fixture
def connect(real: RealSim) -> Callable[..., SimClient]:
    """``connect()`` → a fresh client for the real server (open it with ``async with``);
    ``connect("legacy")`` one that uses only the legacy routes.

    The call deadline is 120 s unless a test passes ``timeout``: these tests are about what Sim
    answers, and ``next dev`` on a busy machine has taken 25-35 s over an ordinary call (the
    client's default deadline is 30 s). Each test runs on its own event loop, and an httpx
    client belongs to the loop it was used on, so clients are not shared between tests."""

    def make(surface: Surface | None = None, *, timeout: float = CALL_DEADLINE_S) -> SimClient:
        return SimClient(real.base_url, real.api_key, surface=surface, timeout=timeout)

    return make


@pytest.fixture(params=["v2", "legacy"])
def surface(request: pytest.FixtureRequest) -> Surface:
    """Each test using this runs twice: on Sim's v2 routes and on its legacy ones."""
    value: Surface = request.param
    return value
