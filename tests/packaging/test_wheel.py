"""The wheel carries everything simdesk needs at run time, and a fresh venv runs it.

The wheel is built from a copy of the sources (so the repository gets no build/ folder) without
build isolation, and installed without dependencies into a new venv that borrows this venv's
packages (PySide6 and the rest) through a ``.pth`` line: only the wheel's own content is under
test, with no download. ``pipx install .`` installs the same wheel plus its dependencies.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import simdesk
from tests.packaging.support import APP_ID, REPO_ROOT

pytestmark = pytest.mark.slow

SOURCE_FILES = ("pyproject.toml", "README.md")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in SOURCE_FILES:
        shutil.copy(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "simdesk", src / "simdesk", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check", "--outdir", str(out)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (path,) = out.glob(f"simdesk-{simdesk.__version__}-py3-none-any.whl")
    return path


def test_wheel_contains_the_package_and_its_resources(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(f"simdesk-{simdesk.__version__}.dist-info/entry_points.txt").decode())
    source = REPO_ROOT / "simdesk"
    wanted = {
        p.relative_to(REPO_ROOT).as_posix()
        for p in source.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert wanted - names == set(), "files under simdesk/ missing from the wheel"
    assert f"simdesk/resources/icons/{APP_ID}.svg" in names
    assert not [n for n in names if n.startswith(("tests/", "packaging/", "benchmarks/"))]
    assert entry_points["console_scripts"]["simdesk"] == "simdesk.__main__:main"


def test_wheel_installs_and_runs_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # dependencies come from this venv; a plain path line does not run its editable-install hooks
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    where = subprocess.run(
        [py, "-c", "import simdesk.ui.icons as i, simdesk; print(simdesk.__file__); print(i.svg_source(i.APP_ID)[:4])"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.splitlines() == [str(site / "simdesk" / "__init__.py"), "b'<svg'"]

    exe = venv / "bin" / "simdesk"
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert version.returncode == 0 and simdesk.__version__ in version.stdout, version.stderr
    demo = subprocess.run(
        [exe, "--demo", "--exit-after-startup", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=90,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
