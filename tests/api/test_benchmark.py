"""``benchmarks/client.py`` in its quick form: it runs, and reports every key the client's figures are read from."""

from __future__ import annotations

import concurrent.futures

import pytest

from benchmarks import QUICK_ENV
from benchmarks import client as bench

KEYS = {
    "sync_per_s",
    "sdk_sync_per_s",
    "sync_ratio_vs_sdk",
    "async_100_wall_s",
    "stream_chunks_per_s",
    "stream_ratio_vs_httpx_sse",
    "stream_source_chunks_per_s",
}


def test_the_client_benchmark_runs_and_reports_its_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(QUICK_ENV, "1")
    # in a thread of its own: the benchmark uses asyncio.run, which a Qt suite's loop would block
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        figures = pool.submit(bench.run).result()
    assert KEYS <= set(figures)
    assert all(value > 0 for value in figures.values())
    # the source outruns both consumers, so the stream ratio measures the clients, not the server
    assert figures["stream_source_chunks_per_s"] > figures["stream_chunks_per_s"]
    assert figures["stream_source_chunks_per_s"] > figures["stream_httpx_sse_chunks_per_s"]
