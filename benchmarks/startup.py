"""Start-up time: ``simdesk --demo`` to its first painted frame, against a bare PySide6 window.

Both programs run with ``--exit-after-startup`` semantics: quit once the main window has been
shown and painted and the event loop has turned once. Two figures come from each run:

- to the first painted frame (what a user waits for): from spawning the process to the loop's
  first turn after the window's first paint. simdesk logs that moment ("window shown and
  painted", with a millisecond timestamp); the bare script prints its clock at the same moment.
- to process exit: spawning to the exit status; this adds closing the window, saving state and
  the interpreter's teardown.

The bare script imports the same Qt modules the app uses (QtCore, QtGui, QtWidgets, QtSvg), so
the ratios show what simdesk adds on top of Qt: its own modules, the asyncio loop, the services
and the real window with its panels. Runs alternate between the two programs, so a machine
getting busier or quieter affects both alike; each figure is the median of N runs.

simdesk --demo shows and paints its window first and starts the embedded sandbox (and
everything else that needs the network, the keyring or httpx) only after that paint and one
turn of the loop. ``demo_connected_s`` adds the other figure: from process start until the
status bar's check of the Demo profile has succeeded (the app is then quit with SIGTERM, which
it handles like Ctrl+Q).

Keys (``python -m benchmarks --json`` prefixes them with ``startup.``): ``first_paint_s``,
``bare_qt_first_paint_s``, ``first_paint_ratio`` (goal ≤ 1.5), ``exit_s``, ``bare_qt_exit_s``,
``exit_ratio``, ``demo_connected_s``.
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

QUICK = os.environ.get("SIMDESK_BENCH_QUICK", "").strip() not in ("", "0")  # CI smoke runs
RUNS = int(os.environ.get("SIMDESK_STARTUP_RUNS", "3" if QUICK else "7"))
TIMEOUT_S = 60

BARE_QT = r"""
import sys
import time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setCentralWidget(QLabel("bare"))
window.resize(1180, 760)

def painted():
    print(f"painted at {time.time():.6f}", flush=True)  # as simdesk logs it: one turn after the paint
    app.quit()

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            window.removeEventFilter(self)
            QTimer.singleShot(0, painted)
        return False

watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()
sys.exit(app.exec())
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("SIM_API_KEY", None)  # the app must open on the demo, not a profile from the environment
    return env


def _time(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``cmd`` to its exit; fails on a non-zero exit."""
    return _timed_run(cmd, env)[1]


def _timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall-clock time at the spawn, seconds to exit, and the program's stdout."""
    spawned = time.time()  # the wall clock, as the child's timestamps are
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, timeout=TIMEOUT_S, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} exited {result.returncode}: {result.stderr.decode(errors='replace')[-2000:]}")
    return spawned, elapsed, result.stdout.decode(errors="replace")


PAINTED_LINE = "window shown and painted"


def _logged_at(line: str) -> float:
    """The wall-clock time of a simdesk log line (``2026-01-31 12:00:00,123 INFO …``, local time)."""
    stamp, millis = line[:23].split(",")
    return time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000


def _time_app(cmd: list[str], env: dict[str, str], data_dir: Path) -> tuple[float, float]:
    """simdesk: seconds from spawn to the first painted frame (its log's milestone) and to exit."""
    spawned, exit_s, _ = _timed_run(cmd, env)
    log = (data_dir / "logs" / "simdesk.log").read_text(errors="replace")
    line = next((ln for ln in log.splitlines() if PAINTED_LINE in ln), None)
    if line is None:
        raise RuntimeError(f"simdesk did not log {PAINTED_LINE!r}")
    return _logged_at(line) - spawned, exit_s


def _time_bare(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The bare window: seconds from spawn to the first painted frame (it prints the moment) and to exit."""
    spawned, exit_s, out = _timed_run(cmd, env)
    return float(out.split("painted at ", 1)[1].split()[0]) - spawned, exit_s


CONNECTED_LINE = "connection check Demo: ok=True"


def _time_until_connected(data_dir: Path, env: dict[str, str]) -> float:
    """Launch ``simdesk --demo``; seconds until its log says the Demo check passed; then quit it."""
    log_file = data_dir / "logs" / "simdesk.log"
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "simdesk", "--demo", "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while CONNECTED_LINE not in (log_file.read_text(errors="replace") if log_file.exists() else ""):
            if process.poll() is not None:
                raise RuntimeError(f"simdesk --demo exited with {process.returncode} before connecting")
            if time.perf_counter() - start > TIMEOUT_S:
                raise RuntimeError("simdesk --demo did not connect to its sandbox in time")
            time.sleep(0.005)  # polling a log file from outside the app: no event to wait on
        return time.perf_counter() - start
    finally:
        process.terminate()  # SIGTERM: the app quits cleanly, as with Ctrl+Q
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run(runs: int = RUNS) -> dict[str, float]:
    """Median times of each program over ``runs`` alternating runs, and their ratios."""
    env = _env()
    simdesk: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="simdesk-startup-") as tmp:
        script = Path(tmp) / "bare_qt.py"
        script.write_text(BARE_QT, encoding="utf-8")
        # One untimed run of each warms the OS file cache and Python's bytecode caches. It writes
        # them even under PYTHONDONTWRITEBYTECODE (into the usual, git-ignored __pycache__ dirs),
        # as an installed app has them: otherwise every timed run compiles simdesk's stale or
        # missing .pyc files again (tens of ms), which the one-file bare script never pays.
        warm_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm_cmd = [sys.executable, "-m", "simdesk", "--demo", "--exit-after-startup", "--data-dir", f"{tmp}/warm"]
        _time(warm_cmd, warm_env)
        _time([sys.executable, str(script)], warm_env)
        for index in range(runs):
            data_dir = Path(tmp) / f"run-{index}"  # a fresh data dir: a first start, every time
            app_cmd = [sys.executable, "-m", "simdesk", "--demo", "--exit-after-startup", "--data-dir", str(data_dir)]
            bare_cmd = [sys.executable, str(script)]
            if index % 2 == 0:
                simdesk.append(_time_app(app_cmd, env, data_dir))
                bare.append(_time_bare(bare_cmd, env))
            else:
                bare.append(_time_bare(bare_cmd, env))
                simdesk.append(_time_app(app_cmd, env, data_dir))
        connected = [_time_until_connected(Path(tmp) / f"live-{i}", env) for i in range(max(1, runs // 2))]
    paint_s, exit_s = (statistics.median(t[i] for t in simdesk) for i in (0, 1))
    bare_paint_s, bare_exit_s = (statistics.median(t[i] for t in bare) for i in (0, 1))
    return {
        "first_paint_s": round(paint_s, 4),
        "bare_qt_first_paint_s": round(bare_paint_s, 4),
        "first_paint_ratio": round(paint_s / bare_paint_s, 3),
        "exit_s": round(exit_s, 4),
        "bare_qt_exit_s": round(bare_exit_s, 4),
        "exit_ratio": round(exit_s / bare_exit_s, 3),
        "demo_connected_s": round(statistics.median(connected), 4),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
