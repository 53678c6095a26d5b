"""The real entry point, in a subprocess: --demo --exit-after-startup, --version, --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from simdesk import __version__
from simdesk.app import parse_args

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("SIM_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "simdesk", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_demo_exit_after_startup_exits_zero(tmp_path: Path) -> None:
    data = tmp_path / "data-dir"
    result = _run("--demo", "--exit-after-startup", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    log = (data / "logs" / "simdesk.log").read_text()
    assert "window shown and painted" in log and "simdesk stopped" in log
    assert "Traceback" not in log and "Traceback" not in result.stderr
    # Everything it wrote is under --data-dir.
    assert {p.name for p in data.iterdir()} <= {"data", "config", "cache", "logs"}
    assert (data / "data" / "state.ini").exists()


def test_version_and_help() -> None:
    version = _run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"simdesk {__version__}"
    help_text = _run("--help")
    assert help_text.returncode == 0
    for option in ("--demo", "--profile", "--data-dir", "--exit-after-startup", "--log-level"):
        assert option in help_text.stdout


def test_unknown_long_options_are_refused_and_qt_options_pass_through() -> None:
    bad = _run("--bogus")
    assert bad.returncode == 2 and "unrecognized arguments: --bogus" in bad.stderr
    args, qt_args = parse_args(["--demo", "-style", "Fusion"])
    assert args.demo and qt_args == ["-style", "Fusion"]


LEAVE = """
import atexit, sys, threading
from simdesk.app import leave
out = open(sys.argv[1], "w")
def work():
    out.write("thread finished\\n")
threading.Thread(target=work, name="not-a-daemon").start()
atexit.register(lambda: (out.write("atexit ran\\n"), out.close()))
print("buffered output", end="")
leave(3)
"""


def test_leaving_skips_teardown_but_not_threads_atexit_or_buffered_output(tmp_path: Path) -> None:
    marks = tmp_path / "marks.txt"
    result = subprocess.run(
        [sys.executable, "-c", LEAVE, str(marks)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == "buffered output"
    assert marks.read_text() == "thread finished\natexit ran\n"


FEATURE_SCAN = """
import sys
import PySide6.QtCore
from simdesk.app import skip_pyside_feature_scan
assert skip_pyside_feature_scan()
import inspect
read = []
inspect.getsource = lambda module: read.append(module.__name__) or ""
import simdesk.ui.format  # imported after the switch: its source must not be read
feature = sys.modules["shibokensupport.feature"]
print(read, feature.pyside_feature_dict.get("simdesk"))  # keyed by what __import__ returned
"""


def test_pyside_no_longer_reads_the_source_of_every_module_imported_after_it() -> None:
    # PySide6 internals: this fails if an upgrade changes them and the start-up saving is lost
    result = subprocess.run(
        [sys.executable, "-c", FEATURE_SCAN], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "-1"]
