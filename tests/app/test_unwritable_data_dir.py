"""A data folder simdesk cannot write (immutable, read-only mount, full disk): the real entry point,
in a subprocess, says so on stderr and exits non-zero, without a traceback.

These need root (chattr, mount); where that is not possible the test is skipped and says why.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simdesk.app import has_display
from simdesk.core.paths import AppPaths

ROOT = Path(__file__).resolve().parents[2]


def _run_app(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # no display: stderr only, no dialog to wait on
    env.pop("SIM_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "simdesk", "--data-dir", str(data_dir), "--exit-after-startup"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _assert_refused(result: subprocess.CompletedProcess[str], folder: Path, reason: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert f"simdesk cannot write to its folder {folder}: {reason}" in result.stderr
    assert "--data-dir" in result.stderr


def _root_only(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"{' '.join(command[:2])} is not possible here: {done.stderr.strip()}")


@pytest.fixture
def undo() -> Iterator[Callable[[list[str]], None]]:
    """Commands to run after the test (chattr -i, umount), last first."""
    later: list[list[str]] = []
    yield later.append
    for command in reversed(later):
        subprocess.run(command, check=False, capture_output=True)


def test_an_immutable_data_dir_stops_the_app_with_a_message(tmp_path: Path, undo: Callable[[list[str]], None]) -> None:
    root = tmp_path / "simdesk"
    root.mkdir()
    _root_only(["chattr", "+i", str(root)])
    undo(["chattr", "-i", str(root)])
    _assert_refused(_run_app(root), root / "data", "Operation not permitted")


def test_an_immutable_folder_inside_an_existing_data_dir_is_found(
    tmp_path: Path, undo: Callable[[list[str]], None]
) -> None:
    root = tmp_path / "simdesk"
    paths = AppPaths.under(root).ensure()
    _root_only(["chattr", "+i", str(paths.config)])
    undo(["chattr", "-i", str(paths.config)])
    _assert_refused(_run_app(root), paths.config, "Operation not permitted")


def test_a_read_only_mount_stops_the_app_with_a_message(tmp_path: Path, undo: Callable[[list[str]], None]) -> None:
    root = tmp_path / "simdesk"
    AppPaths.under(root).ensure()
    _root_only(["mount", "--bind", str(root), str(root)])
    undo(["umount", str(root)])
    _root_only(["mount", "-o", "remount,ro,bind", str(root)])
    _assert_refused(_run_app(root), root / "data", "Read-only file system")


def test_a_full_disk_stops_the_app_with_a_message(tmp_path: Path, undo: Callable[[list[str]], None]) -> None:
    root = tmp_path / "simdesk"
    root.mkdir()
    _root_only(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(root)])
    undo(["umount", str(root)])
    AppPaths.under(root).ensure()
    assert _fill(root / "filler") == errno.ENOSPC
    _assert_refused(_run_app(root), root / "data", "No space left on device")


def _fill(path: Path) -> int | None:
    """Write to ``path`` until the disk refuses; the error number it refused with."""
    with path.open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(bytes(65536))
        except OSError as exc:
            return exc.errno


def test_a_dialog_is_only_attempted_where_it_can_be_seen() -> None:
    assert not has_display({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})
    assert has_display({"DISPLAY": ":0"}) or not sys.platform.startswith("linux")
    assert not has_display({}) or not sys.platform.startswith("linux")
