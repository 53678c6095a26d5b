"""``python -m benchmarks``: the JSON contract later issues rely on, and the unknown-name error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("sandbox.sse_frames_per_s", "sandbox.sync_round_trips_per_s")


def run_benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SIMDESK_BENCH_QUICK": "1"}
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_sandbox_benchmark_has_the_required_keys() -> None:
    result = run_benchmarks("--json", "sandbox")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"stdout must be exactly one JSON object, got: {result.stdout!r}"
    figures = json.loads(lines[0])
    assert isinstance(figures, dict)
    for key in REQUIRED:
        assert isinstance(figures[key], float) and figures[key] > 0, (key, figures)
    assert all(key.startswith("sandbox.") for key in figures)
    assert figures["sandbox.sync_ratio_vs_bare"] > 0
    assert figures["sandbox.baseline_round_trips_per_s"] > 0


def test_unknown_benchmark_exits_2_and_lists_the_available_ones() -> None:
    result = run_benchmarks("--json", "no-such-benchmark")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no-such-benchmark" in result.stderr and "sandbox" in result.stderr


def test_table_output_names_every_figure() -> None:
    result = run_benchmarks("sandbox")
    assert result.returncode == 0, result.stderr
    for key in (*REQUIRED, "sandbox.sync_ratio_vs_bare"):
        assert key in result.stdout
    assert "×" in result.stdout
