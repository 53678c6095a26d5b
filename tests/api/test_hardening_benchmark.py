"""``benchmarks/hardening.py`` in its quick form: every case ends as it should, within the goals."""

from __future__ import annotations

import concurrent.futures

import pytest

from benchmarks import QUICK_ENV
from benchmarks import hardening as bench


def test_the_hardening_benchmark_runs_and_stays_within_its_goals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUICK_ENV, "1")
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        figures = pool.submit(bench.run).result()  # raises if a case ends otherwise than expected
    assert figures["endless_line_rss_growth_mb"] <= 100
    assert figures["gzip_bomb_rss_growth_mb"] <= 100
    assert figures["endless_line_s"] <= 5
