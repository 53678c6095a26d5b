"""Start a child process, read its lines until one says when, then ``kill -9`` it (the crash tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_then_kill(module: str, *args: str, until: Callable[[str], bool]) -> list[str]:
    """Run ``python -m module args…`` from the repo; SIGKILL it once ``until(line)`` (no cleanup, no flush).

    Returns the lines read, stripped. Fails the test if the child did not die of the SIGKILL.
    """
    command = [sys.executable, "-m", module, *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line.strip())
            if until(lines[-1]):
                break
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return lines
