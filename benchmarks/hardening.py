"""The client against a hostile server: memory and time to the typed error for an endless SSE line and a gzip bomb.

Each case runs the client in a fresh subprocess (``ru_maxrss`` is a high-water mark, so one
process per case), against :class:`simdesk.sandbox.hostile.HostileServer` in this process over
loopback. The child measures its peak RSS after importing the client and opening it (the
baseline), runs the call, and reports the growth of the peak and the seconds to the outcome.

* ``endless_line_s``, ``endless_line_rss_growth_mb``: a stream whose first line is 200 MB with
  no newline, read by ``SimClient.stream`` (default 16 Mi-character cap) until ``ProtocolError``.
* ``well_formed_stream_s``, ``well_formed_stream_rss_growth_mb``: the baseline, a proper 200 MB
  stream of 4 KiB chunk frames read to its final frame with ``keep_text=False``;
  ``endless_line_ratio_vs_well_formed`` = seconds of the first ÷ seconds of the second.
* ``gzip_bomb_s``, ``gzip_bomb_rss_growth_mb``: ``get_workflow`` answered by a gzip body that
  inflates to 10 GiB of zeros (~10 MiB on the wire, streamed block by block by the server),
  refused at the 64 MiB cap with ``ProtocolError``; ``gzip_bomb_wire_mb``: what the server got
  to send before the client hung up.
* ``gzip_baseline_s``, ``gzip_baseline_rss_growth_mb``: the baseline, a 48 MiB gzip body (under
  the cap) read whole (it is not JSON, so it too ends in ``ProtocolError``, after the read);
  ``gzip_bomb_ratio_vs_baseline`` = seconds of the bomb ÷ seconds of the baseline.

Goals: each RSS growth <= 100 MB, ``endless_line_s`` <= 5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import quick

MiB = 1024 * 1024
GiB = 1024 * MiB
ROOT = Path(__file__).resolve().parents[1]


def _sizes() -> dict[str, int]:
    if quick():
        return {"endless_line": 24 * MiB, "well_formed_stream": 24 * MiB, "gzip_bomb": GiB, "gzip_baseline": 8 * MiB}
    return {
        "endless_line": 200 * MiB,
        "well_formed_stream": 200 * MiB,
        "gzip_bomb": 10 * GiB,
        "gzip_baseline": 48 * MiB,
    }


def _answer(case: str, size: int) -> Any:
    from simdesk.sandbox import hostile

    if case == "endless_line":
        return hostile.endless_line(size)
    if case == "well_formed_stream":
        return hostile.well_formed_stream(size)
    return hostile.gzip_bomb(size)


def _child(case: str, url: str) -> dict[str, Any]:
    """Run one case against ``url`` in this (fresh) process."""
    from simdesk.api import SimClient, SimError
    from simdesk.api.retry import NO_RETRY

    async def main() -> dict[str, Any]:
        async with SimClient(url, "sk-sim-bench", retry=NO_RETRY, surface="v2", timeout=120.0) as client:
            base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            outcome = "ok"
            try:
                if case in ("endless_line", "well_formed_stream"):
                    async with client.stream("wf", {}, keep_text=False) as stream:
                        async for _event in stream:
                            pass
                else:
                    await client.get_workflow("wf")
            except SimError as exc:
                outcome = f"{type(exc).__name__}: {exc.message}"
            seconds = time.perf_counter() - started
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"s": seconds, "rss_growth_mb": (peak - base) / 1024, "outcome": outcome}  # ru_maxrss is KiB

    return asyncio.run(main())


def _measure(case: str, size: int) -> tuple[dict[str, Any], int]:
    from simdesk.sandbox.hostile import HostileServer

    with HostileServer(_answer(case, size)) as server:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.hardening", "--case", case, "--url", server.base_url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        sent = server.sent
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"hardening: {case}: {result['outcome']}", file=sys.stderr)
    return result, sent


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    expected = {
        "endless_line": "ProtocolError",
        "well_formed_stream": "ok",
        "gzip_bomb": "ProtocolError",
        "gzip_baseline": "ProtocolError",
    }
    for case, size in _sizes().items():
        result, sent = _measure(case, size)
        if not str(result["outcome"]).startswith(expected[case]):
            raise RuntimeError(f"{case}: expected {expected[case]}, got {result['outcome']}")
        figures[f"{case}_s"] = result["s"]
        figures[f"{case}_rss_growth_mb"] = result["rss_growth_mb"]
        if case == "gzip_bomb":
            figures["gzip_bomb_wire_mb"] = sent / MiB
    figures["endless_line_ratio_vs_well_formed"] = figures["endless_line_s"] / figures["well_formed_stream_s"]
    figures["gzip_bomb_ratio_vs_baseline"] = figures["gzip_bomb_s"] / figures["gzip_baseline_s"]
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="one case of the hardening benchmark, in its own process")
    parser.add_argument("--case", required=True, choices=sorted(_sizes()))
    parser.add_argument("--url", required=True)
    args = parser.parse_args()
    print(json.dumps(_child(args.case, args.url)))
