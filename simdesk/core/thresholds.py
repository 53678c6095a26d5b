"""Usage warnings the user sets: each fires once when its line is crossed, not on every refresh.

Two kinds: spend against the period's limit (default 50 %, 80 %, 95 %) and a bucket
nearly empty (default 10 % of its burst or less). A warning re-arms only when the figure falls
back clearly below its line (a new billing period, a refilled bucket), so a value hovering on the
line does not notify again and again. The set of crossed lines is plain data, so the service can
keep it across restarts (one notification per crossing, not per launch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simdesk.core.meter import MeterState, money

DEFAULT_SPEND_LEVELS = (0.5, 0.8, 0.95)
DEFAULT_BUCKET_LOW = 0.1
SPEND_REARM = 0.05  # spend must fall this far under a line to re-arm it (a new period)
BUCKET_REARM = 0.5  # a bucket re-arms once it is back above half full

Key = tuple[str, float]  # ("spend", 0.8) or ("bucket:<name>", 0.1)


@dataclass(frozen=True, slots=True)
class Crossing:
    """A warning that just fired.

    Attributes:
        key: what crossed which line (see :data:`Key`).
        title: a short headline for a system notification.
        text: one sentence for the user.
        critical: the last spend line, or a bucket running dry.
    """

    key: Key
    title: str
    text: str
    critical: bool = False


def parse_levels(text: str) -> tuple[float, ...]:
    """``"50, 80, 95"`` (percent) → ``(0.5, 0.8, 0.95)``; blanks and junk are skipped."""
    levels: set[float] = set()
    for part in text.replace(";", ",").split(","):
        try:
            value = float(part.strip().rstrip("%"))
        except ValueError:
            continue
        if 0 < value <= 100:
            levels.add(round(value / 100, 4))
    return tuple(sorted(levels))


class ThresholdWatch:
    """Decides which warnings fire for each new :class:`MeterState`.

    Args:
        spend_levels: shares of the spend limit that warn, e.g. ``(0.5, 0.8, 0.95)``.
        bucket_low: a bucket at or under this share of its burst warns ("nearly empty").
        crossed: lines already crossed (restored from the last session).
    """

    def __init__(
        self,
        spend_levels: Iterable[float] = DEFAULT_SPEND_LEVELS,
        bucket_low: float = DEFAULT_BUCKET_LOW,
        crossed: Iterable[Key] = (),
    ) -> None:
        self.spend_levels = tuple(sorted(set(spend_levels)))
        self.bucket_low = bucket_low
        self.crossed: set[Key] = set(crossed)

    def check(self, state: MeterState) -> list[Crossing]:
        """The warnings ``state`` fires now (and the lines it re-arms)."""
        fired: list[Crossing] = []
        spend = self._check_spend(state)
        if spend is not None:
            fired.append(spend)
        for bucket in state.buckets:
            fraction = bucket.fraction
            if fraction is None or self.bucket_low <= 0:
                continue
            key = (f"bucket:{bucket.name}", self.bucket_low)
            if fraction <= self.bucket_low and key not in self.crossed:
                self.crossed.add(key)
                wait = bucket.seconds_to_reset(state.now)
                when = f" More in {round(wait)} s." if wait is not None else ""
                fired.append(
                    Crossing(
                        key,
                        f"{bucket.label} nearly used up",
                        f"{bucket.label}: {bucket.remaining} of {bucket.capacity} left on {state.profile}.{when}",
                        critical=bucket.remaining == 0,
                    )
                )
            elif fraction >= BUCKET_REARM:
                self.crossed.discard(key)
        return fired

    def _check_spend(self, state: MeterState) -> Crossing | None:
        fraction = state.spend_fraction
        if fraction is None or state.usage is None:
            return None
        for level in self.spend_levels:  # re-arm the lines clearly under the current spend
            if fraction < level - SPEND_REARM:
                self.crossed.discard(("spend", level))
        newly = [lv for lv in self.spend_levels if fraction >= lv and ("spend", lv) not in self.crossed]
        if not newly:
            return None
        self.crossed.update(("spend", lv) for lv in newly)
        top = max(newly)  # one notification for a jump over several lines: the highest
        used, limit = money(state.usage.current_period_cost), money(state.usage.cost_limit)
        plan = f" ({state.usage.plan} plan)" if state.usage.plan else ""
        return Crossing(
            ("spend", top),
            f"{round(top * 100)} % of the spend limit used",
            f"{state.profile}: {used} of {limit}{plan} spent this period.",
            critical=top >= max(self.spend_levels),
        )
