"""``python -m benchmarks --json logs`` (quick): every figure the issue asks for is there and sane."""

from __future__ import annotations

import json

from tests.test_benchmarks_cli import run_benchmarks


def test_logs_benchmark_reports_its_figures() -> None:
    result = run_benchmarks("--json", "logs")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    for key in ("table_apply_ms", "waterfall_render_ms", "live_requests_per_min", "table_reset_ms"):
        assert figures[f"logs.{key}"] > 0, key
    assert figures["logs.rate_limited_responses"] == 0
    assert figures["logs.live_requests_per_min"] <= 6
    assert figures["logs.naive_live_requests_per_min"] > figures["logs.live_requests_per_min"]
