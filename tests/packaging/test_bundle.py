"""Smoke check of the frozen desktop bundle: build it, start it offscreen, find the keyring in it.

Building takes a minute or two, so the bundle is built once per session by ``packaging/build.sh``
into a temporary folder. To reuse one you built already (``packaging/build.sh`` writes ``dist/``)::

    SIMDESK_BUNDLE_DIST=dist ./dev test tests/packaging -m slow

``./dev test`` runs this inside a D-Bus session with an unlocked gnome-keyring and sets
``SIMDESK_REQUIRE_KEYRING=1``; then the bundle must resolve the Secret Service backend and
complete a real store/read/delete round trip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import simdesk
from tests.keyring_support import REQUIRE_ENV
from tests.packaging.support import APP_ID, BUILD_SH, PACKAGING, REPO_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bundle smoke check runs on Linux"),
]

BUILD_TIMEOUT = 900
RUN_TIMEOUT = 90
REUSE_ENV = "SIMDESK_BUNDLE_DIST"


@pytest.fixture(scope="session")
def bundle_dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder holding ``simdesk/simdesk`` and the tarball: reused from $SIMDESK_BUNDLE_DIST or built."""
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        dist = (REPO_ROOT / reuse).resolve()
        assert (dist / "simdesk" / "simdesk").is_file(), f"{REUSE_ENV}={reuse} has no simdesk/simdesk"
        yield dist
        return
    out = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "PYTHON": sys.executable}
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(BUILD_SH), "--out", str(out)], capture_output=True, text=True, env=env, timeout=BUILD_TIMEOUT
    )
    assert result.returncode == 0, f"packaging/build.sh failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    sys.stderr.write(f"\nbundle built in {time.monotonic() - started:.0f} s into {out}\n")
    yield out
    shutil.rmtree(out / "build", ignore_errors=True)  # PyInstaller's work files: the largest part


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    """The test's environment (D-Bus session, keyring) with every XDG folder moved into tmp_path."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=RUN_TIMEOUT)


@pytest.mark.timeout(BUILD_TIMEOUT + RUN_TIMEOUT)
def test_bundle_starts_the_demo_offscreen(bundle_dist: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = _run(
        [str(bundle_dist / "simdesk" / "simdesk"), "--demo", "--exit-after-startup", "--data-dir", str(data)],
        _isolated_env(tmp_path),
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.timeout(BUILD_TIMEOUT + RUN_TIMEOUT)
def test_bundle_starts_on_a_real_x_display(bundle_dist: Path, tmp_path: Path) -> None:
    """The xcb platform plugin and the X libraries it needs made it into the bundle."""
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        pytest.skip("xvfb-run is not installed (./dev installs it on Debian)")
    env = {**_isolated_env(tmp_path), "QT_QPA_PLATFORM": "xcb", "QT_DEBUG_PLUGINS": "0"}
    cmd = [xvfb_run, "-a", "-s", "-screen 0 1280x800x24", str(bundle_dist / "simdesk" / "simdesk")]
    result = _run([*cmd, "--exit-after-startup", "--data-dir", str(tmp_path / "data")], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "could not load the Qt platform plugin" not in result.stderr, result.stderr


@pytest.mark.timeout(BUILD_TIMEOUT + RUN_TIMEOUT)
def test_bundle_reports_its_version(bundle_dist: Path, tmp_path: Path) -> None:
    result = _run([str(bundle_dist / "simdesk" / "simdesk"), "--version"], _isolated_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert simdesk.__version__ in result.stdout


@pytest.mark.timeout(BUILD_TIMEOUT + RUN_TIMEOUT)
def test_keyring_backend_resolves_inside_the_bundle(bundle_dist: Path, tmp_path: Path) -> None:
    env = _isolated_env(tmp_path)
    frozen = _run([str(bundle_dist / "simdesk" / "simdesk"), "--print-keyring-backend", "--round-trip"], env, tmp_path)
    source = _run([sys.executable, str(PACKAGING / "entry.py"), "--print-keyring-backend"], env, tmp_path)
    assert source.returncode == 0, source.stderr
    assert frozen.returncode in (0, 1), frozen.stderr
    got, want = json.loads(frozen.stdout), json.loads(source.stdout)

    assert got["frozen"] is True and want["frozen"] is False
    # the bundle finds exactly the backends the source install finds (entry points + hidden imports)
    assert (got["backend"], got["viable"]) == (want["backend"], want["viable"]), (got, want)
    if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
        assert got["backend"] == "keyring.backends.SecretService.Keyring", got
        assert got["round_trip"] == "ok", got
    elif got["backend"] != "keyring.backends.fail.Keyring":
        assert got["round_trip"] == "ok", got


@pytest.mark.timeout(BUILD_TIMEOUT + RUN_TIMEOUT)
def test_bundle_leaves_out_unused_qt(bundle_dist: Path) -> None:
    internal = bundle_dist / "simdesk" / "_internal"
    names = {p.name for p in internal.rglob("*")}
    for unused in ("QtWebEngineCore", "QtPdf", "QtQml", "QtQuick", "Qt3DCore", "QtMultimedia"):
        assert not [n for n in names if unused in n], f"{unused} is in the bundle"
    for needed in ("libQt6Widgets.so.6", "libQt6Svg.so.6", "libqoffscreen.so", "libqxcb.so", "libqsvg.so"):
        assert needed in names, f"{needed} is missing from the bundle"


@pytest.mark.timeout(BUILD_TIMEOUT + RUN_TIMEOUT)
def test_tarball_installs_into_a_home(bundle_dist: Path, tmp_path: Path) -> None:
    (tarball,) = bundle_dist.glob(f"simdesk-{simdesk.__version__}-linux-*.tar.gz")
    with tarfile.open(tarball) as tar:
        top = {member.name.split("/")[0] for member in tar.getmembers()}
        assert top == {tarball.name.removesuffix(".tar.gz")}
        tar.extractall(tmp_path / "unpacked", filter="tar")
    tree = tmp_path / "unpacked" / top.pop()
    share = tree / "share"
    for size in (16, 32, 48, 64, 128, 256):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    assert (share / "applications" / f"{APP_ID}.desktop").is_file()
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()

    home = tmp_path / "home"
    env = {**_isolated_env(tmp_path), "HOME": str(home)}
    installed = subprocess.run(["bash", str(tree / "install.sh")], capture_output=True, text=True, env=env)
    assert installed.returncode == 0, installed.stderr
    binary = home / ".local" / "bin" / "simdesk"
    assert binary.is_symlink()
    # started through the symlink, the bundle still finds its _internal folder
    version = _run([str(binary), "--version"], env, tmp_path)
    assert version.returncode == 0 and simdesk.__version__ in version.stdout, version.stderr
    desktop = home / ".local" / "share" / "applications" / f"{APP_ID}.desktop"
    assert f"\nExec={binary}" in desktop.read_text() and f"\nTryExec={binary}\n" in desktop.read_text()
