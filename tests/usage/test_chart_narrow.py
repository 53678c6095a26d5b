"""The usage history chart stays readable at the dock's width: no axis label cut to "…"."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QGraphicsSimpleTextItem, QGraphicsTextItem

from simdesk.core.rates import ASYNC_EXECUTIONS, SYNC_EXECUTIONS
from simdesk.core.usage_history import SPEND, Sample
from simdesk.ui.usage_meter.chart import UsageChart

T0 = 1_787_316_000.0


def _labels(chart: UsageChart) -> list[str]:
    texts = []
    for item in chart.scene().items():
        if isinstance(item, QGraphicsTextItem):
            texts.append(item.toPlainText())
        elif isinstance(item, QGraphicsSimpleTextItem) and item.isVisible():
            texts.append(item.text())
    return [t for t in texts if t]


def _samples() -> dict[str, list[Sample]]:
    def series(name: str, capacity: float, values: list[float]) -> list[Sample]:
        return [Sample("P", T0 + 60 * i, name, v, capacity) for i, v in enumerate(values)]

    return {
        SYNC_EXECUTIONS: series(SYNC_EXECUTIONS, 100, [100, 90, 70, 95, 100]),
        ASYNC_EXECUTIONS: series(ASYNC_EXECUTIONS, 400, [400, 380, 400, 400, 390]),
        SPEND: series(SPEND, 20.0, [5.2, 5.3, 5.35, 5.4, 5.42]),
    }


@pytest.mark.parametrize("width", [260, 300, 460])
def test_no_axis_label_is_cut_at_the_docks_width(qtbot: Any, width: int) -> None:
    chart = UsageChart()
    qtbot.addWidget(chart)
    chart.resize(width, 220)
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_samples(_samples())
    chart.resize(width, 221)  # a resize after the data, as the dock does
    qtbot.waitUntil(lambda: bool(_labels(chart)), timeout=2000)
    cut = [t for t in _labels(chart) if "…" in t or "..." in t]
    assert not cut, cut
