"""``./dev demo`` without a display says so first (before any setup) and how to use Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def _dev_demo(path: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in NO_DISPLAY}
    env["PATH"] = path
    return subprocess.run(
        ["bash", str(ROOT / "dev"), "demo"], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_without_a_display_it_says_so_and_how_to_use_xvfb(tmp_path: Path) -> None:
    tools = tmp_path / "bin"  # a PATH with only what the script's first lines need: no xvfb-run
    tools.mkdir()
    for tool in ("bash", "dirname"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    done = _dev_demo(str(tools))
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert lines[0].startswith("dev: no display")  # before anything else: no setup ran
    assert "xvfb-run -a ./dev demo" in done.stderr
    assert "apt-get install xvfb xauth" in done.stderr
    assert done.stdout == ""


def test_with_xvfb_run_installed_it_only_says_how_to_use_it(tmp_path: Path) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "dirname"):
        (tools / tool).symlink_to(shutil.which(tool) or tool)
    (tools / "xvfb-run").write_text("#!/bin/sh\n")
    (tools / "xvfb-run").chmod(0o755)
    done = _dev_demo(str(tools))
    assert done.returncode != 0 and "xvfb-run -a ./dev demo" in done.stderr
    assert "apt-get" not in done.stderr
