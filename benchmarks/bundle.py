"""Desktop bundle: its size on disk and as a tarball, build time, start-up against the source install.

Uses the bundle ``packaging/build.sh`` left in ``$SIMDESK_BUNDLE_DIST`` (default ``dist/``), or,
when there is none, builds one into a temporary folder first (about 40 s on 2 cores; then
``build_s`` is reported too). Linux only.

Start-up is timed as in ``benchmarks/startup.py``: process start to exit of
``simdesk --demo --exit-after-startup`` with a fresh data dir each run, offscreen, runs alternating
between the frozen bundle and ``python -m simdesk`` from this environment (the source install);
each figure is the median.

Keys: ``bundle_mb`` (on disk), ``tarball_mb`` (the .tar.gz), ``build_s`` (only when it built),
``bundle_startup_s``, ``source_startup_s``, ``startup_ratio`` (bundle ÷ source; below 1 means the
bundle starts faster).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import quick
from benchmarks.startup import _time  # the same timing: process start to exit, fails on a non-zero exit

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("SIMDESK_STARTUP_RUNS", "7"))


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def _build(out: Path) -> float:
    sys.stderr.write(f"bundle: no bundle found; building one into {out} (packaging/build.sh)\n")
    start = time.perf_counter()
    subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh"), "--out", str(out)],
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        stdout=sys.stderr,
    )
    return time.perf_counter() - start


def run(runs: int = RUNS) -> dict[str, float]:
    """Sizes, optional build time, and median start-up of bundle and source install."""
    if not sys.platform.startswith("linux"):
        raise RuntimeError("the bundle benchmark runs on Linux")
    runs = 1 if quick() else runs
    figures: dict[str, float] = {}
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    env.pop("SIM_API_KEY", None)
    with tempfile.TemporaryDirectory(prefix="simdesk-bundle-bench-") as tmp:
        dist = (ROOT / os.environ.get("SIMDESK_BUNDLE_DIST", "dist")).resolve()
        if not (dist / "simdesk" / "simdesk").is_file():
            dist = Path(tmp) / "dist"
            figures["build_s"] = round(_build(dist), 1)
        exe = dist / "simdesk" / "simdesk"
        tarballs = sorted(dist.glob("simdesk-*-linux-*.tar.gz"))
        figures["bundle_mb"] = round(_size_mb(dist / "simdesk"), 1)
        if tarballs:
            figures["tarball_mb"] = round(_size_mb(tarballs[-1]), 1)

        bundle_times: list[float] = []
        source_times: list[float] = []
        args = ["--demo", "--exit-after-startup", "--data-dir"]
        _time([str(exe), *args, str(Path(tmp) / "warm-bundle")], env)  # warm the file cache
        _time([sys.executable, "-m", "simdesk", *args, str(Path(tmp) / "warm-source")], env)
        for index in range(runs):
            pair = [
                ([str(exe), *args, str(Path(tmp) / f"bundle-{index}")], bundle_times),
                ([sys.executable, "-m", "simdesk", *args, str(Path(tmp) / f"source-{index}")], source_times),
            ]
            for cmd, sink in pair if index % 2 == 0 else reversed(pair):
                sink.append(_time(cmd, env))
    bundle_s = statistics.median(bundle_times)
    source_s = statistics.median(source_times)
    figures.update(
        bundle_startup_s=round(bundle_s, 4),
        source_startup_s=round(source_s, 4),
        startup_ratio=round(bundle_s / source_s, 3),
    )
    return figures


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
