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
