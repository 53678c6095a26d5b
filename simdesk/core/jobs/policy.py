"""How often to look at a tracked run: fast at first, slower as it ages, never hammering.

The rule is "check at about a tenth of the run's age": a run 20 s old is checked every 2 s, one
10 minutes old every minute. So a short run is noticed within a couple of seconds of ending and a
run of hours costs a request a minute, the trade-off Temporal's and GitHub's watchers leave to
the user (PRODUCT §1.4). People can override it globally (a fixed interval) or per job.
"""

from __future__ import annotations

from dataclasses import dataclass

from simdesk.core.jobs.model import Job, JobStatus


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Polling intervals, in seconds.

    Attributes:
        min_interval_s, max_interval_s: bounds of the automatic interval.
        age_fraction: the automatic interval is this share of the run's age.
        fixed_interval_s: the user's global choice; ``None`` = automatic.
        batch_floor_s, batch_max_interval_s: a list request covering many runs goes at most
            this often, and at least this often: it costs one request however many runs it
            covers, so long runs in a batch are noticed sooner than polling them one by one allows.
        paused_interval_s: paused runs are checked rarely (someone may resume them elsewhere).
        failure_backoff_s, max_failure_backoff_s: waiting after failed checks (doubling).
        gone_grace_s: how long a run may be missing before it counts as forgotten (a run Sim
            has just queued may not be visible everywhere yet).
        list_since_margin_s: lists start this much before the oldest run they must cover
            (our clock and the server's are not the same clock).
        max_list_pages: pages one batch may read before the rest is polled run by run.
    """

    min_interval_s: float = 2.0
    max_interval_s: float = 60.0
    age_fraction: float = 0.1
    fixed_interval_s: float | None = None
    batch_floor_s: float = 5.0
    batch_max_interval_s: float = 15.0
    paused_interval_s: float = 300.0
    failure_backoff_s: float = 5.0
    max_failure_backoff_s: float = 300.0
    gone_grace_s: float = 300.0
    list_since_margin_s: float = 120.0
    max_list_pages: int = 3

    def interval(self, job: Job, now: float) -> float:
        """Seconds until ``job`` should be checked again."""
        if job.poll_interval_s is not None and job.poll_interval_s > 0:
            return max(1.0, job.poll_interval_s)
        if job.status is JobStatus.PAUSED:
            return max(self.paused_interval_s, self.fixed_interval_s or 0.0)
        if self.fixed_interval_s is not None and self.fixed_interval_s > 0:
            return max(1.0, self.fixed_interval_s)
        age = max(0.0, now - (job.started_at if job.started_at is not None else job.created_at))
        return min(self.max_interval_s, max(self.min_interval_s, age * self.age_fraction))

    def batch_interval(self, job: Job, now: float) -> float:
        """The interval for a job whose checks ride on a list request. The user's own choice
        (global or per job) is kept; the automatic one is capped, since the list is shared."""
        interval = self.interval(job, now)
        if job.poll_interval_s is None and not self.fixed_interval_s:
            interval = min(interval, self.batch_max_interval_s)
        return max(self.batch_floor_s, interval)

    def backoff(self, failures: int) -> float:
        """Wait after ``failures`` failed checks in a row (5 s, 10 s, 20 s … capped)."""
        if failures <= 0:
            return 0.0
        return min(self.max_failure_backoff_s, self.failure_backoff_s * 2.0 ** (failures - 1))
