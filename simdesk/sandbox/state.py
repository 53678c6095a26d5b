"""The sandbox's mutable state: config, keys, runs, jobs, usage and buckets, behind one lock.

Async runs are *lazy*: their status is computed from the clock (queued → running → outcome, with
``redacting`` before a completed or failed outcome when ``redacting_s`` is set) each time someone
looks, so nothing runs in the background and a :class:`ManualClock` drives them.
Sync and stream runs are *live*: the request that executes them sets their status as it goes.
"""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from simdesk.sandbox import demo
from simdesk.sandbox.buckets import PLAN_RATES, BucketState, TokenBuckets
from simdesk.sandbox.clock import Clock, RealClock, iso
from simdesk.sandbox.faults import FaultKnobs
from simdesk.sandbox.logbook import Logbook
from simdesk.sandbox.model import ApiKey, Plan, Workflow, Workspace

Surface = Literal["legacy", "v2"]
Mode = Literal["sync", "stream", "async"]

TERMINAL = frozenset({"completed", "failed", "cancelled"})
SCRUBBED = frozenset({"completed", "failed"})  # outcomes whose log Sim masks before it records them
SYNC_CAP_S = {"free": 300.0, "pro": 3000.0, "team": 3000.0, "enterprise": 3000.0}
ASYNC_CAP_S = 5400.0
USAGE_LIMIT_USD = {"free": 20.0, "pro": 100.0, "team": 500.0, "enterprise": 5000.0}
CONCURRENCY_LIMIT = {"free": 25, "pro": 100, "team": 200, "enterprise": 400}
CAPACITY_LIMIT = 500  # in-flight runs on the instance before the admission gate says no
STORAGE_LIMIT_BYTES = {"free": 5 * 2**30, "pro": 50 * 2**30, "team": 500 * 2**30, "enterprise": 2**40}
# what Sim reports with billing off (self-hosted): its placeholder limits, not a plan's dollars
# (tests/fixtures/sim-0.8.9/redis/usage-limits.body, v2-billing.body)
SELF_HOSTED_USAGE_LIMIT = 99_999
SELF_HOSTED_CREDITS = 200_000
UNLIMITED = 999_999
# every execution is charged at least Sim's base charge, a cancelled one too
# (tests/fixtures/sim-0.8.9/redis/slow-v2-run-after-cancel.body reports cost.total 0.005)
BASE_EXECUTION_CHARGE = 0.005
PRE_AUTH_IP_RATE = 300  # v2's per-IP limit before auth: capacity 600


@dataclass
class SandboxConfig:
    """How a sandbox is started. Every field has a CLI flag in ``simdesk sandbox``."""

    host: str = "127.0.0.1"
    port: int = 0
    api_keys: tuple[str, ...] = (demo.DEMO_KEY,)
    v2: bool = True
    plan: str = "free"
    seed: int = 0
    clock: Clock | None = None
    pace: float = 1.0  # multiplies every simulated delay (0 = as fast as possible)
    queue_delay_s: float = 1.0  # how long an async run sits in `queued`
    redacting_s: float = 0.0  # how long a finished async run reads `redacting` before its outcome (0 = never)
    # False (``--no-billing``) = no plan limits at all (999 999, buckets that never run dry), for load
    # tests; not what a real server reports, see ``self_hosted``
    billing: bool = True
    # True (``--self-hosted``) = answer as a self-hosted Sim with billing off does: usage limit 99 999,
    # credits 200 000, no spend recorded, rate limits still the plan's
    self_hosted: bool = False
    # False (``--no-redis``) = a Sim deployed without Redis: cancel and usage-limits answer as the
    # captures taken before Redis was added do; Sim's compose file runs Redis, hence the default
    redis: bool = True
    ip_limit: bool = True  # False = no v2 per-IP pre-auth limit (load tests send thousands from 127.0.0.1)
    control: bool = False  # expose /__sandbox/* (fault knobs, usage, clock) over HTTP
    public_url: str | None = None  # the server's NEXT_PUBLIC_APP_URL; default its own address
    # legacy async job ids: "database" = `workflow-execution:<executionId>` as Sim without trigger.dev
    # gives them (tests/fixtures/sim-0.8.9/async-execute.body); "hosted" = trigger.dev style run ids
    job_ids: Literal["hosted", "database"] = "database"
    seeded_logs: int = 0  # finished runs of every trigger kind in the Demo workspace's logs (sandbox.logbook)


@dataclass
class Run:
    """One execution (legacy ``executionId`` = v2 ``runId``)."""

    id: str
    workflow: Workflow
    key: ApiKey | None
    surface: Surface
    mode: Mode
    input: dict[str, Any]
    plan: Plan
    created_at: float
    queue_delay: float
    cap_s: float
    redacting: float = 0.0  # async: how long the finished run's log is being masked
    job_id: str | None = None
    live_status: str = "running"  # sync/stream: set by the request as it goes
    live_ended_at: float | None = None
    forced_status: str | None = None  # cancel or client abort, whatever the timeline says
    forced_at: float | None = None
    forced_error: str | None = None
    resumed_from: str | None = None
    resumed: bool = False  # a paused run that has been resumed counts as completed
    context_id: str | None = None
    cost_settled: bool = False
    request_id: str | None = None  # the x-request-id of the call that started it (job correlation)

    @property
    def start_at(self) -> float:
        return self.created_at + self.queue_delay

    @property
    def timed_out(self) -> bool:
        return self.plan.duration > self.cap_s

    @property
    def run_length(self) -> float:
        return min(self.plan.duration, self.cap_s)

    def status(self, now: float) -> tuple[str, float | None]:
        """(status, ended_at) at time ``now``."""
        if self.forced_status is not None:
            return self.forced_status, self.forced_at
        if self.resumed:
            return "completed", self.live_ended_at
        if self.mode != "async":
            return self.live_status, self.live_ended_at
        if now < self.start_at:
            return "queued", None
        end = self.start_at + self.run_length
        if now < end:
            return "running", None
        outcome = "failed" if self.timed_out else self.plan.outcome
        if outcome in SCRUBBED and now < end + self.redacting:
            # the log row says `redacting` until the masked log is written with outcome, end and cost
            return "redacting", None
        return outcome, end

    def error_text(self, now: float) -> str | None:
        """The stored error message, as legacy routes report it."""
        status, _ = self.status(now)
        if self.forced_error and status in ("failed", "cancelled"):
            return self.forced_error
        if status == "failed":
            if self.timed_out:
                return timeout_message(self.cap_s)
            if self.plan.error:
                return str(self.plan.error["message"])
        return None

    def elapsed(self, now: float) -> float:
        status, ended = self.status(now)
        if status == "queued":
            return 0.0
        end = ended if ended is not None else now
        return max(0.0, end - self.start_at)


def timeout_message(cap_s: float) -> str:
    """Sim's wording: "Execution timed out after 5 minutes" / "after 90 seconds"."""
    if cap_s >= 60 and cap_s % 60 == 0:
        minutes = int(cap_s // 60)
        return f"Execution timed out after {minutes} minute{'s' if minutes != 1 else ''}"
    seconds = int(cap_s)
    return f"Execution timed out after {seconds} second{'s' if seconds != 1 else ''}"


@dataclass
class SandboxState:
    """Everything the routes read and change."""

    config: SandboxConfig
    clock: Clock
    faults: FaultKnobs = field(default_factory=FaultKnobs)
    runs: dict[str, Run] = field(default_factory=dict)
    jobs: dict[str, str] = field(default_factory=dict)  # job id → run id
    used_run_ids: set[str] = field(default_factory=set)
    in_flight: int = 0
    base_url: str = ""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.buckets = TokenBuckets(self.clock)
        self.workspaces: dict[str, Workspace] = {w.id: w for w in demo.WORKSPACES}
        self.workflows: dict[str, Workflow] = {w.id: w for w in demo.WORKFLOWS}
        self.folders = list(demo.FOLDERS)
        self.keys: dict[str, ApiKey] = {k: ApiKey(k, demo.DEMO_USER_ID) for k in self.config.api_keys}
        self.keys[demo.WORKSPACE_KEY] = ApiKey(demo.WORKSPACE_KEY, demo.DEMO_USER_ID, demo.WS_DEMO)
        self.base_cost = self.initial_cost = round(self.rng.uniform(1.0, 6.0), 2)
        self.settled_cost = 0.0
        self._unsettled: set[str] = set()
        self.logbook = Logbook(self.config.seeded_logs, self.config.seed, self.clock.now())

    # --- plans and limits ------------------------------------------------------------------

    @property
    def plan(self) -> str:
        return self.config.plan

    def rate(self, kind: str) -> int:
        """Per-minute rate of a bucket kind (``api-endpoint:<operation>`` shares the plan's rate)."""
        if kind == "ip":  # a fixed abuse guard, not a plan limit: billing does not lift it
            return PRE_AUTH_IP_RATE
        if not self.config.billing:
            return UNLIMITED // 2
        return PLAN_RATES[self.plan][kind.split(":")[0]]

    def take(self, kind: str, subject: str) -> BucketState:
        return self.buckets.take(kind, subject, self.rate(kind))

    def peek(self, kind: str, subject: str) -> BucketState:
        return self.buckets.peek(kind, subject, self.rate(kind))

    @property
    def usage_limit(self) -> float:
        if self.config.self_hosted:
            return float(SELF_HOSTED_USAGE_LIMIT)
        return USAGE_LIMIT_USD[self.plan] if self.config.billing else float(UNLIMITED)

    def current_cost(self) -> float:
        """Spend this period: a seeded starting figure plus every run that has ended (self-hosted: 0)."""
        if self.config.self_hosted:
            return 0.0
        now = self.clock.now()
        with self.lock:
            for run_id in list(self._unsettled):
                run = self.runs[run_id]
                status, _ = run.status(now)
                if status in ("completed", "failed", "paused"):
                    self.settled_cost += run.plan.cost
                    self._unsettled.discard(run_id)
                elif status == "cancelled":
                    self.settled_cost += BASE_EXECUTION_CHARGE
                    self._unsettled.discard(run_id)
            return round(self.base_cost + self.settled_cost, 6)

    def set_cost(self, value: float) -> None:
        """Make this period's spend ``value`` (tests and the control endpoint)."""
        with self.lock:
            self.current_cost()
            self.base_cost = value - self.settled_cost

    def usage_exceeded(self) -> bool:
        return self.config.billing and not self.config.self_hosted and self.current_cost() >= self.usage_limit

    @property
    def sync_cap_s(self) -> float:
        return SYNC_CAP_S[self.plan]

    # --- keys ------------------------------------------------------------------------------

    def key_for(self, value: str | None) -> ApiKey | None:
        return self.keys.get(value) if value else None

    def key_may_use(self, key: ApiKey, workspace_id: str) -> str | None:
        """None if allowed, else "scope" (workspace key elsewhere) or "personal" (forbidden).

        An unknown workspace forbids personal keys: Sim reads its settings as null (v1 says 403, not 404)."""
        if key.workspace_id is not None:
            return None if key.workspace_id == workspace_id else "scope"
        workspace = self.workspaces.get(workspace_id)
        return None if workspace is not None and workspace.allow_personal_keys else "personal"

    def visible_workspaces(self, key: ApiKey) -> list[Workspace]:
        return [w for w in self.workspaces.values() if self.key_may_use(key, w.id) is None]

    # --- runs ------------------------------------------------------------------------------

    def new_run_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def claim_run_id(self, run_id: str) -> bool:
        """One-shot claim of a caller's run id; False if it was used before."""
        with self.lock:
            if run_id in self.used_run_ids:
                return False
            self.used_run_ids.add(run_id)
            return True

    def create_run(
        self,
        workflow: Workflow,
        key: ApiKey | None,
        *,
        surface: str,
        mode: str,
        input: dict[str, Any],
        run_id: str | None = None,
        cap_s: float | None = None,
        plan: Plan | None = None,
        resumed_from: str | None = None,
    ) -> Run:
        now = self.clock.now()
        with self.lock:
            rid = run_id or self.new_run_id()
            self.used_run_ids.add(rid)
            if plan is None:
                plan = workflow.planner(input, random.Random(f"{self.config.seed}:{rid}"))
            if cap_s is None:
                cap_s = ASYNC_CAP_S if mode == "async" else self.sync_cap_s
            timeline = self.config.pace if mode == "async" else 0.0  # sync and stream runs are live
            assert surface in ("legacy", "v2")
            assert mode in ("sync", "stream", "async")
            run = Run(
                id=rid,
                workflow=workflow,
                key=key,
                surface=surface,  # type: ignore[arg-type]
                mode=mode,  # type: ignore[arg-type]
                input=input,
                plan=plan,
                created_at=now,
                queue_delay=self.config.queue_delay_s * timeline,
                cap_s=cap_s,
                redacting=self.config.redacting_s * timeline,
                resumed_from=resumed_from,
            )
            if plan.outcome == "paused":
                run.context_id = f"ctx-{rid[:8]}-{plan.pause['blockId'] if plan.pause else 'pause'}"
            if mode == "async":
                run.job_id = self._job_id(rid)
                self.jobs[run.job_id] = rid
            self.runs[rid] = run
            self._unsettled.add(rid)
            return run

    def _job_id(self, run_id: str) -> str:
        if self.config.job_ids == "database":
            return f"workflow-execution:{run_id}"
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        return "run_cm" + "".join(self.rng.choice(alphabet) for _ in range(20))

    def finish_live(self, run: Run, status: str, *, error: str | None = None) -> None:
        with self.lock:
            run.live_status = status
            run.live_ended_at = self.clock.now()
            if error:
                run.forced_error = error

    def force(self, run: Run, status: str, error: str | None) -> None:
        """Cancel or abort a run whatever its timeline says."""
        with self.lock:
            run.forced_status = status
            run.forced_at = self.clock.now()
            run.forced_error = error

    def forget_run(self, run_id: str) -> None:
        """Drop a run as Sim's retention does (async results go after about a day).

        Its spend stays counted: the money was spent even if the record is gone."""
        with self.lock:
            self.current_cost()
            run = self.runs.pop(run_id, None)
            if run is None:
                return
            self._unsettled.discard(run_id)
            if run.job_id:
                self.jobs.pop(run.job_id, None)

    def folder_id(self, workflow: Workflow) -> str | None:
        """The id of the folder a workflow sits in (v1 names folders by id); ``None`` at the root."""
        return next(
            (f.id for f in self.folders if f.workspace_id == workflow.workspace_id and f.path == workflow.folder_path),
            None,
        )

    def runs_of(self, workflow_id: str) -> list[Run]:
        with self.lock:
            return [r for r in self.runs.values() if r.workflow.id == workflow_id]

    def request_url(self, path: str) -> str:
        return (self.config.public_url or self.base_url).rstrip("/") + path

    def now_iso(self) -> str:
        return iso(self.clock.now())


def make_state(config: SandboxConfig) -> SandboxState:
    return SandboxState(config=config, clock=config.clock or RealClock())
