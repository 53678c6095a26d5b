"""The usage history chart: share of each bucket left, and spend, over the chosen range.

Two y axes on one time axis: buckets as % of their burst on the left (0–100), spend in USD on
the right (0–limit). Series come from :class:`~simdesk.core.usage_history.UsageHistory` samples
(the service loads them in a worker thread and hands them over by signal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCharts import QChart, QChartView, QDateTimeAxis, QLineSeries, QValueAxis
from PySide6.QtCore import QDateTime, QMargins, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import QWidget

from simdesk.core.meter import RUN_REQUESTS
from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.usage_history import SPEND, Sample
from simdesk.ui.theme import CHART_SERIES, LIGHT, Colors

# What is charted, in order, with its legend name and colour (light, dark): distinct from the
# status colours and readable on both themes. Other request buckets stay in the store, unplotted.
CHARTED = {
    SYNC_EXECUTIONS: ("Runs & streams", CHART_SERIES["Runs"]),
    ASYNC_EXECUTIONS: ("Background runs", CHART_SERIES["Background"]),
    RUN_REQUESTS: ("API", CHART_SERIES["API"]),
}
SHORT_NAMES = {SYNC_EXECUTIONS: "Runs", ASYNC_EXECUTIONS: "Background", RUN_REQUESTS: "API", SPEND: "Spend"}


class UsageChart(QChartView):
    """A line chart of usage samples (buckets in %, spend in $)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._chart = QChart()
        super().__init__(self._chart, parent)
        self.setObjectName("usageChart")
        self.setAccessibleName("Usage history chart")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(180, 150)  # narrow docks: the panel reflows, the chart shrinks
        self._colors = LIGHT
        self._dark = False
        chart = self._chart
        chart.setMargins(QMargins(2, 2, 2, 2))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self._time = QDateTimeAxis()
        self._time.setFormat("HH:mm")
        self._time.setTickCount(5)
        self._percent = QValueAxis()
        self._percent.setRange(0, 100)
        self._percent.setLabelFormat("%d %%")
        self._percent.setTickCount(5)
        self._money = QValueAxis()
        self._money.setLabelFormat("$%.2f")
        self._money.setTickCount(5)
        chart.addAxis(self._time, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self._percent, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self._money, Qt.AlignmentFlag.AlignRight)
        self._series: dict[str, QLineSeries] = {}
        self._empty = True
        self.set_colors(LIGHT, dark=False)
        self.set_samples({})

    NARROW_PX = 420  # below this the legend uses short names and the axes fewer ticks

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """As many time ticks as fit their labels, and short legend names in a narrow dock, so
        nothing is cut to "…" (the tooltip-free chart has no other way to show a cut label)."""
        narrow = self.width() < self.NARROW_PX
        for name, series in self._series.items():
            long = "Spend $" if name == SPEND else CHARTED[name][0]
            series.setName(SHORT_NAMES[name] if narrow else long)
        metrics = QFontMetrics(self._time.labelsFont())
        label = metrics.horizontalAdvance(QDateTime.currentDateTime().toString(self._time.format())) + 16
        axes = 2 * (metrics.horizontalAdvance("100 %") + 12)  # the two value axes beside the plot
        self._time.setTickCount(max(2, min(5, (self.width() - axes) // max(label, 1))))
        self._percent.setTickCount(3 if self.height() < 200 or narrow else 5)
        self._money.setLabelFormat("$%.0f" if narrow else "$%.2f")

    @property
    def series_names(self) -> list[str]:
        """The series shown (bucket names and ``"spend"``), for tests."""
        return list(self._series)

    def points(self, name: str) -> int:
        """How many points series ``name`` has."""
        series = self._series.get(name)
        return series.count() if series is not None else 0

    def set_colors(self, colors: Colors, *, dark: bool) -> None:
        """Repaint for a theme."""
        self._colors, self._dark = colors, dark
        chart = self._chart
        chart.setBackgroundBrush(QColor(colors.surface))
        chart.setPlotAreaBackgroundVisible(False)
        chart.legend().setLabelColor(QColor(colors.text))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        for axis in (self._time, self._percent, self._money):
            axis.setLabelsColor(QColor(colors.muted))
            axis.setLabelsFont(small)
            axis.setGridLineColor(QColor(colors.border))
            axis.setLinePenColor(QColor(colors.border))
        self._money.setGridLineVisible(False)
        chart.legend().setFont(small)
        for name, series in self._series.items():
            self._style(series, name)

    def _style(self, series: QLineSeries, name: str) -> None:
        if name == SPEND:
            pen = QPen(QColor(self._colors.warn), 2, Qt.PenStyle.DashLine)
        else:
            shade = CHARTED[name][1]
            pen = QPen(QColor(shade.dark if self._dark else shade.light), 2)
        series.setPen(pen)

    def set_samples(
        self, samples: Mapping[str, Sequence[Sample]], *, since: float | None = None, until: float | None = None
    ) -> None:
        """Show ``samples`` (by series) over ``[since, until]`` (epoch s; default: the samples')."""
        chart = self._chart
        for series in self._series.values():
            chart.removeSeries(series)
        self._series.clear()
        first = last = None
        spend_top = 1.0
        names = [n for n in (*CHARTED, SPEND) if samples.get(n)]
        for name in names:
            points = samples[name]
            series = QLineSeries()
            series.setName("Spend $" if name == SPEND else CHARTED[name][0])
            series.setPointsVisible(len(points) < 30)  # a lone sample is a dot, not nothing
            for s in points:
                ms = s.at * 1000
                if name == SPEND:
                    y = s.value
                    spend_top = max(spend_top, s.value, s.capacity or 0.0)
                else:
                    y = 100.0 * s.value / s.capacity if s.capacity else 0.0
                series.append(ms, y)
                first = ms if first is None else min(first, ms)
                last = ms if last is None else max(last, ms)
            chart.addSeries(series)
            series.attachAxis(self._time)
            series.attachAxis(self._money if name == SPEND else self._percent)
            self._series[name] = series
            self._style(series, name)
        self._money.setRange(0, spend_top)
        self._money.setVisible(SPEND in self._series)
        end = until * 1000 if until is not None else last
        start = since * 1000 if since is not None else first
        if end is None:
            now = QDateTime.currentDateTime()
            self._time.setRange(now.addSecs(-3600), now)
            self._time.setFormat("HH:mm")
        else:
            start = min(start if start is not None else end, end - 60_000)  # at least a minute wide
            self._time.setRange(QDateTime.fromMSecsSinceEpoch(int(start)), QDateTime.fromMSecsSinceEpoch(int(end)))
            span = end - start
            self._time.setFormat("HH:mm:ss" if span <= 600_000 else "HH:mm" if span <= 86_400_000 else "dd MMM")
        self._fit()
        self._empty = last is None
        chart.legend().setVisible(not self._empty)
        chart.setTitle("" if not self._empty else "No history yet")
        chart.setTitleBrush(QColor(self._colors.muted))

    @property
    def empty(self) -> bool:
        return self._empty
