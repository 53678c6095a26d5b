"""The usage meter panel (dock ``usageMeter``): limits, budget queue, spend, history, warnings.

It only shows what :class:`~simdesk.services.usage.UsageService` reports and calls its slots;
it never talks to the server. Every figure is also given in words (accessible descriptions),
so colour is never the only carrier of meaning.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.budget import format_wait
from simdesk.core.meter import (
    BucketView,
    Level,
    MeterState,
    bucket_label,
    clock_text,
    describe_bucket,
    money,
    size_text,
)
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.thresholds import parse_levels
from simdesk.core.usage_history import Sample
from simdesk.services.usage import MIN_INTERVAL_S, UsageService
from simdesk.ui.theme import LIGHT, Colors
from simdesk.ui.usage_meter.bar import MeterBar, level_color
from simdesk.ui.usage_meter.chart import UsageChart

RANGES = (("This session", 0.0), ("Last 24 hours", 86_400.0), ("Last 7 days", 7 * 86_400.0))
_ROWS = ("sync", "async_", "request")


def _muted(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("muted", True)
    return label


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


class BucketRow:
    """One bucket in the limits grid, on two lines so it fits a narrow dock::

    Runs & streams  50/min       52 / 100
    [=========gauge=========]  refill 0:41
    """

    def __init__(self, grid: QGridLayout, row: int, name: str, parent: QWidget) -> None:
        self.title = QLabel(parent)
        self.title.setWordWrap(True)  # "Requests · workspaces.list" would hold the dock wider than it is
        self.bar = MeterBar(parent)
        self.figure = QLabel(parent)
        self.figure.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.rate = _muted("", parent)
        self.countdown = _muted("", parent)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.countdown.setMinimumWidth(self.countdown.fontMetrics().horizontalAdvance("refill 00:00"))
        for part, widget in zip(("title", "bar", "figure", "rate", "countdown"), self.widgets(), strict=True):
            widget.setObjectName(f"{name}_{part}")
        top, bottom = 2 * row, 2 * row + 1
        grid.addWidget(self.title, top, 0)
        grid.addWidget(self.rate, top, 1)
        grid.addWidget(self.figure, top, 2)
        grid.addWidget(self.bar, bottom, 0, 1, 2)
        grid.addWidget(self.countdown, bottom, 2)

    def widgets(self) -> tuple[QWidget, ...]:
        return (self.title, self.bar, self.figure, self.rate, self.countdown)

    def set_visible(self, visible: bool) -> None:
        for widget in self.widgets():
            widget.setVisible(visible)

    def show(self, view: BucketView | None, now: float, fallback_title: str) -> None:
        self.title.setText(view.label if view is not None else fallback_title)
        self.figure.setProperty("level", "")
        if view is None or (view.remaining is None and not view.unlimited):
            self.bar.set_value(None, Level.UNKNOWN)
            self.figure.setText("no limits reported")
            self.figure.setProperty("muted", True)
            self.rate.setText("")
            self.countdown.setText("")
        elif view.unlimited:
            self.bar.set_value(None, Level.OK)
            self.figure.setText("unlimited")
            self.figure.setProperty("muted", True)
            self.rate.setText("")
            self.countdown.setText("")
        else:
            level = view.level()
            self.bar.set_value(view.fraction, level)
            self.figure.setText(f"{view.remaining} / {view.capacity}")
            self.figure.setProperty("muted", False)
            self.figure.setProperty("level", level.value)
            # two numbers side by side read as one ratio: name them
            self.rate.setText(f"+{view.per_minute}/min" if view.per_minute else "")
            self.rate.setToolTip(
                f"Refill rate: {view.per_minute} more every minute, up to {view.capacity}" if view.per_minute else ""
            )
            self.figure.setToolTip(
                f"{view.remaining} left now, of at most {view.capacity} at once (each run or request takes one)"
            )
            wait = view.seconds_to_reset(now)
            full = view.capacity is not None and view.remaining is not None and view.remaining >= view.capacity
            self.countdown.setText("full" if full else f"refill {clock_text(wait)}" if wait is not None else "")
        self.figure.style().polish(self.figure)
        words = describe_bucket(view, now) if view is not None else f"{fallback_title}: no limits reported"
        for widget in self.widgets():
            widget.setAccessibleDescription(words)
        self.bar.setAccessibleName(words)


class UsageMeterPanel(QWidget):
    """The meter for the active profile. Reads a :class:`UsageService`; never the network."""

    def __init__(
        self, service: UsageService, colors: Colors = LIGHT, *, dark: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("usageMeterPanel")
        self.setAccessibleName("Usage and rate limits")
        self._service = service
        self._colors = colors
        self._range_s = 0.0
        self._history_profile: str | None = None  # whose history the chart shows
        self._build()
        self.set_colors(colors, dark=dark)
        service.changed.connect(self.show_state)
        service.history_loaded.connect(self._show_history)
        service.sampled.connect(self._reload_history)
        service.refreshing.connect(self._show_refreshing)
        self.show_state(service.state)

    # --- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # it reflows instead
        outer.addWidget(scroll)
        body = QWidget(scroll)
        body.setObjectName("usageMeterBody")
        scroll.setWidget(body)
        box = QVBoxLayout(body)
        box.setContentsMargins(10, 8, 10, 10)
        box.setSpacing(6)

        header = QHBoxLayout()
        self.profile_label = QLabel(body)
        self.profile_label.setObjectName("usageProfile")
        font = self.profile_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() + 1)
        self.profile_label.setFont(font)
        self.plan_label = QLabel(body)
        self.plan_label.setObjectName("usagePlan")
        self.updated_label = _muted("", body)
        self.updated_label.setObjectName("usageUpdated")
        self.refresh_button = QToolButton(body)
        self.refresh_button.setObjectName("usageRefresh")
        self.refresh_button.setText("Refresh")
        self.refresh_button.setToolTip("Ask the server for usage and limits now")
        self.refresh_button.setAccessibleName("Refresh usage")
        self.refresh_button.clicked.connect(self._service.refresh)
        header.addWidget(self.profile_label)
        header.addWidget(self.plan_label)
        header.addStretch(1)
        header.addWidget(self.refresh_button)
        box.addLayout(header)
        box.addWidget(self.updated_label)
        self.error_label = QLabel(body)
        self.error_label.setObjectName("usageError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        box.addWidget(self.error_label)

        box.addWidget(_heading("Rate limits", body))
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        self.rows = {name: BucketRow(grid, i, name, body) for i, name in enumerate(_ROWS)}
        box.addLayout(grid)
        self.empty_label = _muted("No limits reported. This server sends no rate-limit headers.", body)
        self.empty_label.setObjectName("usageNoLimits")
        self.empty_label.setWordWrap(True)
        box.addWidget(self.empty_label)
        self.budget_label = _muted("", body)
        self.budget_label.setObjectName("usageBudget")
        self.budget_label.setWordWrap(True)
        self.try_now_button = QToolButton(body)
        self.try_now_button.setObjectName("usageTryNow")
        self.try_now_button.setText("Try now")
        self.try_now_button.setToolTip("End the server's pause and send the waiting requests now")
        self.try_now_button.clicked.connect(self._service.try_now)
        self.try_now_button.hide()
        budget_line = QHBoxLayout()
        budget_line.setContentsMargins(0, 0, 0, 0)
        budget_line.addWidget(self.budget_label, 1)
        budget_line.addWidget(self.try_now_button, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(budget_line)

        box.addWidget(_heading("Spend this period", body))
        self.spend_label = QLabel(body)
        self.spend_label.setObjectName("usageSpend")
        self.spend_bar = MeterBar(body, height=10)
        self.spend_bar.setObjectName("usageSpendBar")
        box.addWidget(self.spend_label)
        box.addWidget(self.spend_bar)
        facts = QFormLayout()
        facts.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        facts.setContentsMargins(0, 0, 0, 0)
        facts.setHorizontalSpacing(10)
        facts.setVerticalSpacing(2)
        self.storage_label = QLabel(body)
        self.storage_label.setObjectName("usageStorage")
        self.billing_label = QLabel(body)
        self.billing_label.setObjectName("usageBilling")
        self.billing_label.setWordWrap(True)
        facts.addRow(_muted("Storage", body), self.storage_label)
        self._billing_title = _muted("Billing", body)
        facts.addRow(self._billing_title, self.billing_label)
        box.addLayout(facts)

        history = QHBoxLayout()
        history.addWidget(_heading("History", body))
        history.addStretch(1)
        self.range_box = QComboBox(body)
        self.range_box.setObjectName("usageRange")
        self.range_box.setAccessibleName("History range")
        for text, _ in RANGES:
            self.range_box.addItem(text)
        self.range_box.currentIndexChanged.connect(self._range_changed)
        history.addWidget(self.range_box)
        box.addLayout(history)
        self.chart = UsageChart(body)
        box.addWidget(self.chart, 1)

        box.addWidget(_heading("Refresh and warnings", body))
        options = QFormLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.interval_box = QSpinBox(body)
        self.interval_box.setObjectName("usageInterval")
        self.interval_box.setRange(int(MIN_INTERVAL_S), 3600)
        self.interval_box.setSuffix(" s")
        self.interval_box.setValue(round(self._service.interval_s))
        self.interval_box.setAccessibleName("Refresh interval in seconds")
        self.interval_box.setToolTip("How often to ask usage-limits (paused while minimised or idle)")
        self.interval_box.valueChanged.connect(lambda v: self._service.set_interval(float(v)))
        self.levels_edit = QLineEdit(body)
        self.levels_edit.setObjectName("usageLevels")
        self.levels_edit.setAccessibleName("Warn at these percentages of the spend limit")
        self.levels_edit.setText(", ".join(f"{round(v * 100)}" for v in self._service.watch.spend_levels))
        self.levels_edit.editingFinished.connect(self._levels_changed)
        self.low_box = QDoubleSpinBox(body)
        self.low_box.setObjectName("usageBucketLow")
        self.low_box.setRange(0, 50)
        self.low_box.setDecimals(0)
        self.low_box.setSuffix(" %")
        self.low_box.setValue(self._service.watch.bucket_low * 100)
        self.low_box.setAccessibleName("Warn when a bucket is down to this percentage")
        self.low_box.valueChanged.connect(lambda v: self._service.set_thresholds(bucket_low=v / 100))
        options.addRow("Refresh every", self.interval_box)
        options.addRow("Warn at spend %", self.levels_edit)
        options.addRow("Warn at bucket", self.low_box)
        box.addLayout(options)

    # --- theme ----------------------------------------------------------------------------

    def set_colors(self, colors: Colors, *, dark: bool = False) -> None:
        """Repaint for another theme."""
        self._colors = colors
        for row in self.rows.values():
            row.bar.set_colors(colors)
        self.spend_bar.set_colors(colors)
        self.chart.set_colors(colors, dark=dark)
        self.plan_label.setStyleSheet(
            f"QLabel {{ border: 1px solid {colors.border}; border-radius: 8px; padding: 0 6px;"
            f" color: {colors.muted}; background: {colors.alt_surface}; }}"
        )
        self.error_label.setStyleSheet(
            f"QLabel {{ background: {colors.notice_bg}; border-radius: 4px; padding: 4px 6px; color: {colors.text}; }}"
        )
        # a low or empty bucket's figure takes its gauge's colour (the words say it too)
        self.setStyleSheet(
            f'QLabel[level="low"] {{ color: {colors.warn}; }}'
            f'QLabel[level="critical"] {{ color: {colors.error}; font-weight: 600; }}'
        )
        self.show_state(self._service.state)

    # --- state ----------------------------------------------------------------------------

    def show_state(self, state: MeterState) -> None:
        """Show ``state`` (the service calls this on every change)."""
        if state.profile != self._history_profile:
            self._history_profile = state.profile
            self._reload_history()
        if not state.profile:
            self.profile_label.setText("No profile")
            self.plan_label.hide()
            self.updated_label.setText("")
        else:
            self.profile_label.setText(state.profile)
            plan = state.usage.plan if state.usage is not None else None
            self.plan_label.setText(f"{plan} plan" if plan else "")
            self.plan_label.setVisible(bool(plan))
            self.updated_label.setText(
                f"updated {format_wait(state.now - state.refreshed_at)} ago".replace("now ago", "just now")
                if state.refreshed_at is not None
                else "not updated yet"
            )
            self.updated_label.setMinimumWidth(self.updated_label.sizeHint().width())
        self.refresh_button.setEnabled(bool(state.profile))
        self.error_label.setText(state.error or "")
        self.error_label.setVisible(bool(state.error))
        self._show_limits(state)
        self._show_budget(state)
        self._show_spend(state)

    def _show_limits(self, state: MeterState) -> None:
        reported = state.reported
        self.empty_label.setVisible(not reported)
        if not state.profile:
            self.empty_label.setText("Choose a profile to see its limits.")
        elif state.usage is None and state.refreshed_at is None and not state.error and not reported:
            self.empty_label.setText("Asking the server…")
        elif state.error:  # the request failed: that says nothing about the server's headers
            self.empty_label.setText("No limits reported yet: the last request failed (see above).")
        else:
            self.empty_label.setText("No limits reported. This server sends no rate-limit headers.")
        for row in self.rows.values():
            row.set_visible(reported)
        if not reported:
            return
        self.rows["sync"].show(state.sync, state.now, bucket_label(SYNC_EXECUTIONS))
        self.rows["async_"].show(state.async_, state.now, bucket_label(ASYNC_EXECUTIONS))
        self.rows["request"].show(state.request, state.now, "Requests")
        others = sorted(set(state.requests) - ({state.request.name} if state.request else set()))
        tip = "\n".join(describe_bucket(state.requests[n], state.now) for n in others)
        self.rows["request"].title.setToolTip(
            "The request bucket with the least left now" + (f"\nOthers seen:\n{tip}" if tip else "")
        )

    def _show_budget(self, state: MeterState) -> None:
        snap = state.budget
        paused = snap is not None and snap.paused and snap.paused_until is not None
        self.try_now_button.setVisible(paused)
        if snap is None:
            self.budget_label.setText("")
            self.budget_label.hide()
            return
        if paused and snap.paused_until is not None:
            text = f"Paused by the server · {format_wait(snap.paused_until - snap.now)}"
            if snap.pause_reason:
                text += f" ({snap.pause_reason})"
            if snap.waiting:
                text += f" · {snap.describe()}"
        elif snap.waiting:
            text = snap.describe()
        else:
            text = "No requests waiting"
        self.budget_label.setText(text)
        self.budget_label.setAccessibleName(text)
        self.budget_label.show()

    def _show_spend(self, state: MeterState) -> None:
        usage = state.usage
        ticks = self._service.watch.spend_levels
        if usage is None or usage.current_period_cost is None:
            self.spend_bar.set_value(None, Level.UNKNOWN)
            self.spend_label.setText("not reported")
            self.storage_label.setText("not reported")
        else:
            fraction = state.spend_fraction
            if state.spend_unlimited or fraction is None:
                self.spend_bar.set_value(None, Level.OK)
                self.spend_label.setText(f"{money(usage.current_period_cost)} · no limit")
            else:
                level = Level.OK
                if ticks and fraction >= ticks[0]:
                    level = Level.CRITICAL if fraction >= ticks[-1] else Level.LOW
                self.spend_bar.set_value(fraction, level, ticks)
                self.spend_label.setText(
                    f"{money(usage.current_period_cost)} of {money(usage.cost_limit)} ({fraction:.0%})"
                )
            if usage.storage_used_bytes is not None:
                limit = f" of {size_text(usage.storage_limit_bytes)}" if usage.storage_limit_bytes else ""
                self.storage_label.setText(f"{size_text(usage.storage_used_bytes)}{limit}")
            else:
                self.storage_label.setText("not reported")
        self.spend_bar.setAccessibleDescription(self.spend_label.text())
        billing = state.billing
        self.billing_label.setVisible(billing is not None)
        self._billing_title.setVisible(billing is not None)
        if billing is not None:
            parts = [billing.status.replace("_", " ") if billing.status else "status unknown"]
            if billing.credits_limit:  # credits are Sim's own unit, not dollars
                parts.append(f"{billing.credits_used or 0:,.2f} of {billing.credits_limit:,.2f} credits used")
            end = billing.period_end
            if end is not None and end.timestamp() - state.now < 400 * 86_400:  # free plans: open period
                parts.append(f"period ends {end:%d %b}")
            self.billing_label.setText(" · ".join(parts))
            bad = billing.status not in (None, "active")
            color = level_color(self._colors, Level.CRITICAL if bad else Level.OK)
            self.billing_label.setStyleSheet(f"QLabel {{ color: {color}; }}" if bad else "")

    def _show_refreshing(self, busy: bool) -> None:
        self.refresh_button.setEnabled(not busy and bool(self._service.profile))
        self.refresh_button.setToolTip("Refreshing…" if busy else "Ask the server for usage and limits now")

    # --- history and options --------------------------------------------------------------

    def _range_changed(self, index: int) -> None:
        self._range_s = RANGES[index][1]
        self._reload_history()

    def _span(self) -> float:
        """Seconds of history the chosen range covers ("this session": since the app started)."""
        return self._range_s or max(60.0, self._service.state.now - self._service.started_at)

    def _reload_history(self) -> None:
        self._service.load_history(self._span())

    def _show_history(self, samples: dict[str, list[Sample]]) -> None:
        now, span = self._service.state.now, self._span()
        self.chart.set_samples(samples, since=now - span, until=now + span * 0.03)  # the latest point not on the edge

    def _levels_changed(self) -> None:
        levels = parse_levels(self.levels_edit.text())
        self._service.set_thresholds(spend_levels=levels)
        self.levels_edit.setText(", ".join(f"{round(v * 100)}" for v in levels))
        self._show_spend(self._service.state)
