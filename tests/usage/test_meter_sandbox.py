"""The meter panel against the sandbox: figures match the server's buckets, refills, warnings, empty states."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simdesk.api import SimClient
from simdesk.core.meter import Level
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.usage_history import UsageHistory
from simdesk.sandbox import demo
from simdesk.sandbox.buckets import BucketState
from simdesk.sandbox.server import RunningSandbox
from simdesk.services.usage import UsageService
from simdesk.ui.theme import DARK, LIGHT
from simdesk.ui.usage_meter.panel import UsageMeterPanel
from simdesk.ui.usage_meter.status import UsageStatusLabel
from tests.support.usage import Meter, refreshed, run_burst

Arun = Callable[..., Any]
MakeMeter = Callable[..., Meter]
SHOTS = Path("/tmp/simdesk-shots")


def server_bucket(sb: RunningSandbox, kind: str) -> BucketState:
    """The sandbox's own view of a bucket of the demo key (the request bucket: the tighter of
    the key's and its owner's, as Sim reports it)."""
    if kind.startswith("api-endpoint"):
        by_key = sb.state.peek(kind, f"key:{sb.api_key}")
        by_owner = sb.state.peek(kind, f"user:{demo.DEMO_USER_ID}")
        return by_key if by_key.remaining <= by_owner.remaining else by_owner
    return sb.state.peek(kind, demo.DEMO_USER_ID)


def panel_for(qtbot: Any, meter: Meter, *, dark: bool = False) -> UsageMeterPanel:
    panel = UsageMeterPanel(meter.service, DARK if dark else LIGHT, dark=dark)
    qtbot.addWidget(panel)
    panel.resize(460, 720)
    panel.show()
    return panel


def test_the_meter_matches_the_sandbox_after_a_burst(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, plan_sandbox: RunningSandbox
) -> None:
    sb = plan_sandbox
    sb.reset()
    sb.state.set_cost(1.0)
    meter = make_meter(sb)
    panel = panel_for(qtbot, meter)
    arun(run_burst(meter.client, sync=12, async_=7), timeout=20_000)
    refreshed(qtbot, meter)
    state = meter.service.state
    pairs = ((state.sync, "sync"), (state.async_, "async"), (state.request, "api-endpoint:workflows.execute"))
    for view, kind in pairs:
        assert view is not None
        truth = server_bucket(sb, kind)
        assert (view.remaining, view.capacity) == (truth.remaining, truth.capacity), kind
        if kind in ("sync", "async"):
            assert view.per_minute == truth.rate
            assert view.reset_at == pytest.approx(truth.reset_at, abs=0.001)
    assert state.request is not None and state.request.name == "v2 execute"
    assert state.sync is not None and state.sync.remaining == state.sync.capacity - 12
    sync_row = panel.rows["sync"]
    assert sync_row.figure.text() == f"{state.sync.remaining} / {state.sync.capacity}"
    assert sync_row.rate.text() == f"+{state.sync.per_minute}/min"  # a refill rate, not a share of the figure
    assert sync_row.rate.toolTip().startswith(f"Refill rate: {state.sync.per_minute} more every minute")
    assert f"of at most {state.sync.capacity} at once" in sync_row.figure.toolTip()
    assert panel.plan_label.text() == f"{sb.config.plan} plan"
    assert panel.rows["request"].figure.text() == f"{state.request.remaining} / {state.request.capacity}"


def test_the_countdown_reaches_the_refill_and_the_numbers_jump(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, sandbox: RunningSandbox
) -> None:
    meter = make_meter(sandbox)
    panel = panel_for(qtbot, meter)
    arun(run_burst(meter.client, sync=55, async_=0), timeout=20_000)
    refreshed(qtbot, meter)
    sync = meter.service.state.sync
    assert sync is not None and sync.remaining == 45 and sync.reset_at is not None
    row = panel.rows["sync"]
    assert row.figure.text() == "45 / 100"
    assert row.countdown.text().startswith("refill 0:5")

    clock: Any = sandbox.clock
    clock.advance(sync.reset_at - clock.now() - 0.5)  # half a second before the refill
    qtbot.waitUntil(lambda: row.countdown.text() == "refill 0:01", timeout=2000)
    assert row.figure.text() == "45 / 100"

    with qtbot.waitSignal(meter.service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
        clock.advance(2.0)  # past the refill: the meter projects it, then asks the server
    assert row.figure.text() == "95 / 100"  # 45 + 50 per minute
    assert server_bucket(sandbox, "sync").remaining == 95
    request = panel.rows["request"]
    qtbot.waitUntil(lambda: request.figure.text() == "35 / 60", timeout=2000)  # 5 + 30, projected


def test_spend_crossing_80_percent_warns_once(qtbot: Any, make_meter: MakeMeter, sandbox: RunningSandbox) -> None:
    history = UsageHistory(":memory:", clock=sandbox.clock.now)
    sandbox.state.set_cost(0.79 * 20)
    meter = make_meter(sandbox, history=history, attach=False)
    heard: list[Any] = []
    meter.service.warning.connect(heard.append)
    with qtbot.waitSignal(meter.service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
        meter.service.attach("Demo", meter.client)
    assert [c.key for c in heard] == [("spend", 0.5)]  # already past the first line when we looked

    sandbox.state.set_cost(0.81 * 20)
    with qtbot.waitSignal(meter.service.warning, timeout=5000) as crossing:
        meter.service.refresh()
    assert crossing.args is not None
    assert crossing.args[0].key == ("spend", 0.8)
    assert "$16.20 of $20.00" in crossing.args[0].text
    refreshed(qtbot, meter)
    refreshed(qtbot, meter)
    assert [c.key for c in heard] == [("spend", 0.5), ("spend", 0.8)]  # once, not on every refresh
    qtbot.waitUntil(lambda: history.crossed("Demo") == {("spend", 0.5), ("spend", 0.8)}, timeout=2000)

    again = make_meter(sandbox, history=history, attach=False)  # the next launch
    later: list[Any] = []
    again.service.warning.connect(later.append)
    with qtbot.waitSignal(again.service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
        again.service.attach("Demo", again.client)
    assert later == []


def test_a_server_without_headers_shows_no_limits_reported(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, sandbox_no_v2: RunningSandbox
) -> None:
    meter = make_meter(sandbox_no_v2)
    panel = panel_for(qtbot, meter)
    arun(run_burst(meter.client, sync=3, async_=2), timeout=10_000)
    refreshed(qtbot, meter)
    state = meter.service.state
    assert not state.headers_seen and state.request is None and state.billing is None
    request = panel.rows["request"]
    assert request.figure.text() == "no limits reported"  # not "0 / 0"
    assert request.bar.fraction is None
    assert panel.rows["sync"].figure.text() == "97 / 100"  # usage-limits still reports these
    assert not panel.billing_label.isVisible()


def test_a_self_hosted_server_is_unlimited(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, self_hosted: RunningSandbox
) -> None:
    meter = make_meter(self_hosted)
    panel = panel_for(qtbot, meter)
    status = UsageStatusLabel(meter.service, LIGHT)
    qtbot.addWidget(status)
    assert panel.rows["sync"].figure.text() == "unlimited"
    assert panel.rows["request"].figure.text() == "no limits reported"
    assert "no limit" in panel.spend_label.text()
    assert status.text() == "● Limits: unlimited"


def test_a_billing_off_sim_shows_no_spend_limit(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, billing_off: RunningSandbox
) -> None:
    meter = make_meter(billing_off)
    panel = panel_for(qtbot, meter)
    assert meter.service.state.spend_unlimited
    assert "no limit" in panel.spend_label.text()
    assert "99,999" not in panel.spend_label.text()


def test_a_server_that_reports_nothing_shows_the_empty_state(qtbot: Any, arun: Arun) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": "Not found"})

    client = SimClient("http://127.0.0.1:9", "sk-x", transport=httpx.MockTransport(answer))
    service = UsageService(None, tick_ms=20)
    panel = UsageMeterPanel(service, LIGHT)
    qtbot.addWidget(panel)
    status = UsageStatusLabel(service, LIGHT)
    qtbot.addWidget(status)
    with qtbot.waitSignal(service.refreshing, check_params_cb=lambda busy: not busy, timeout=5000):
        service.attach("Self-hosted", client)
    assert not service.state.reported
    assert not panel.empty_label.isHidden() and "No limits reported" in panel.empty_label.text()
    assert all(row.figure.isHidden() for row in panel.rows.values())
    assert status.text() == "● Limits: none reported" and status.level is Level.UNKNOWN
    arun(service.aclose())
    arun(client.aclose())


def test_the_panel_says_how_many_runs_wait_and_when(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, sandbox: RunningSandbox
) -> None:
    meter = make_meter(sandbox)
    panel = panel_for(qtbot, meter)
    status = UsageStatusLabel(meter.service, LIGHT)
    qtbot.addWidget(status)

    tasks = [asyncio.ensure_future(meter.client.execute_async(demo.ECHO_ID, {"n": i})) for i in range(70)]
    # the first 60 go (one probe, then the rest), the last 10 wait for the refill a minute later
    snapshot = meter.budget.snapshot
    qtbot.waitUntil(lambda: (snapshot().waiting, snapshot().in_flight) == (10, 0), timeout=10_000)
    qtbot.waitUntil(lambda: panel.budget_label.text().startswith("10 runs waiting"), timeout=2000)
    assert panel.budget_label.text() == "10 runs waiting, next in 1 min 1 s"
    # answers are read in any order and the panel repaints on a coalescing timer: the last
    # answers may land a tick after the budget empties
    qtbot.waitUntil(lambda: panel.rows["request"].figure.text() == "0 / 60", timeout=2000)
    assert status.text().endswith("· 10 waiting") and status.level is Level.CRITICAL
    for task in tasks:
        task.cancel()
    arun(asyncio.gather(*tasks, return_exceptions=True))
    qtbot.waitUntil(lambda: panel.budget_label.text() == "No requests waiting", timeout=2000)


def test_refresh_pauses_while_minimised_and_catches_up(
    qtbot: Any, make_meter: MakeMeter, sandbox: RunningSandbox
) -> None:
    meter = make_meter(sandbox)
    service = meter.service
    assert service._timer.isActive()
    service.set_paused("minimised", True)
    assert service.paused and not service._timer.isActive()
    with qtbot.waitSignal(service.refreshing, check_params_cb=lambda busy: busy, timeout=2000):
        service.set_paused("minimised", False)
    assert service._timer.isActive()
    service.set_interval(1)
    assert service.interval_s == 5.0  # never hammer the server


def test_the_history_chart_shows_what_was_sampled(qtbot: Any, make_meter: MakeMeter, sandbox: RunningSandbox) -> None:
    meter = make_meter(sandbox)
    panel = panel_for(qtbot, meter)
    qtbot.waitUntil(lambda: panel.chart.points(SYNC_EXECUTIONS) >= 1, timeout=3000)
    refreshed(qtbot, meter)
    qtbot.waitUntil(lambda: panel.chart.points(SYNC_EXECUTIONS) >= 2, timeout=3000)
    assert {SYNC_EXECUTIONS, ASYNC_EXECUTIONS, "spend"} <= set(panel.chart.series_names)
    panel.range_box.setCurrentIndex(2)  # last 7 days
    qtbot.waitUntil(lambda: panel.chart.points("spend") >= 2, timeout=3000)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_render_the_panel(qtbot: Any, arun: Arun, make_meter: MakeMeter, sandbox: RunningSandbox, theme: str) -> None:
    """Renders the panel after a burst, for people to look at (``/tmp/simdesk-shots``)."""
    sandbox.state.set_cost(15.2)
    meter = make_meter(sandbox)
    panel = panel_for(qtbot, meter, dark=theme == "dark")
    arun(run_burst(meter.client, sync=48, async_=6), timeout=20_000)
    refreshed(qtbot, meter)
    qtbot.waitUntil(lambda: panel.chart.points(SYNC_EXECUTIONS) >= 2, timeout=3000)
    image = panel.grab()
    assert image.width() == 460 and image.height() == 720
    SHOTS.mkdir(parents=True, exist_ok=True)
    image.save(str(SHOTS / f"usage-meter-{theme}.png"))


def test_the_meter_moves_after_each_run_not_only_at_the_refresh(
    qtbot: Any, arun: Arun, make_meter: MakeMeter, sandbox: RunningSandbox
) -> None:
    meter = make_meter(sandbox)
    panel = panel_for(qtbot, meter)
    before = meter.service.state.sync
    assert before is not None and before.remaining is not None
    refreshes: list[bool] = []
    meter.service.refreshing.connect(refreshes.append)
    for n in (1, 2):
        arun(meter.client.execute(demo.ECHO_ID, {"n": n}), timeout=10_000)
        qtbot.waitUntil(
            lambda n=n: (s := meter.service.state.sync) is not None and s.remaining == before.remaining - n,
            timeout=3000,
        )
    meter.service.refreshing.disconnect(refreshes.append)
    assert refreshes == []  # no usage-limits refresh in between: the runs themselves moved it
    assert panel.rows["sync"].figure.text() == f"{before.remaining - 2} / {before.capacity}"
