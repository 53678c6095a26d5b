"""Linux desktop integration files validate, the icons render, and install.sh lays them out."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.packaging.support import APP_ID, DESKTOP, ICON_SVG, INSTALL_SH, METAINFO, load_packaging_module

render_icons = load_packaging_module("render_icons")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (./dev installs it on Debian)")
    return path


def test_desktop_file_validates() -> None:
    result = subprocess.run([_tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_validates() -> None:
    result = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", "--explain", str(METAINFO)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # errors and warnings fail; infos (e.g. an older appstream not knowing <developer>) may stay
    assert not [line for line in result.stdout.splitlines() if line.startswith(("E:", "W:"))], result.stdout


def test_ids_agree_with_the_app() -> None:
    from simdesk.core import paths

    desktop = DESKTOP.read_text()
    metainfo = METAINFO.read_text()
    assert paths.APP_ID == APP_ID  # what the app passes to QGuiApplication.setDesktopFileName
    assert DESKTOP.name == f"{APP_ID}.desktop"
    assert f"<name>{paths.APP_NAME}</name>" in metainfo and f"\nName={paths.APP_NAME}\n" in desktop
    assert f"<id>{APP_ID}</id>" in metainfo
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in metainfo
    assert f"\nIcon={APP_ID}\n" in desktop
    # X11 matches windows by WM_CLASS, which Qt sets to the application name ("simdesk", seen with
    # xprop); Wayland matches the app id, QGuiApplication.desktopFileName(), to the file name.
    assert f"\nStartupWMClass={paths.APP_NAME}\n" in desktop
    assert "\nExec=simdesk" in desktop


def test_icons_render_at_every_size(tmp_path: Path, qapp: object) -> None:
    from PySide6.QtGui import QImage

    written = render_icons.render_all(ICON_SVG, tmp_path)
    for size in render_icons.HICOLOR_SIZES:
        png = tmp_path / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png in written
        image = QImage(str(png))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
    assert (tmp_path / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == ICON_SVG.read_bytes()

    ico = (tmp_path / "simdesk.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    assert (reserved, kind, count) == (0, 1, len(render_icons.ICO_SIZES))
    for i, size in enumerate(render_icons.ICO_SIZES):
        width, _h, _c, _r, _p, _bpp, length, offset = struct.unpack_from("<BBBBHHII", ico, 6 + 16 * i)
        assert width == size % 256
        assert ico[offset : offset + 8] == b"\x89PNG\r\n\x1a\n" and offset + length <= len(ico)

    icns = (tmp_path / "simdesk.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack_from(">I", icns, 4)[0] == len(icns)
    pos, kinds = 8, []
    while pos < len(icns):
        kinds.append(icns[pos : pos + 4])
        assert icns[pos + 8 : pos + 16] == b"\x89PNG\r\n\x1a\n"
        pos += struct.unpack_from(">I", icns, pos + 4)[0]
    assert pos == len(icns) and kinds == [kind for kind, _ in render_icons.ICNS_TYPES]


def _fake_tarball_tree(root: Path) -> Path:
    """The layout build.sh puts in the tarball, with a shell script standing in for the bundle."""
    tree = root / "simdesk-0.0.0-linux-test"
    (tree / "simdesk").mkdir(parents=True)
    exe = tree / "simdesk" / "simdesk"
    exe.write_text('#!/bin/sh\necho fake simdesk "$@"\n')
    exe.chmod(0o755)
    (tree / "share" / "applications").mkdir(parents=True)
    (tree / "share" / "metainfo").mkdir(parents=True)
    shutil.copy(DESKTOP, tree / "share" / "applications")
    shutil.copy(METAINFO, tree / "share" / "metainfo")
    for size in (16, 256):
        icon = tree / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        icon.parent.mkdir(parents=True)
        icon.write_bytes(b"png")
    shutil.copy(INSTALL_SH, tree / "install.sh")
    return tree


@pytest.mark.parametrize("prefix_name", ["prefix", "pre fix"])
def test_install_sh_installs_and_uninstalls(tmp_path: Path, prefix_name: str) -> None:
    tree = _fake_tarball_tree(tmp_path / "unpacked")
    prefix = tmp_path / prefix_name
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        ["bash", str(tree / "install.sh"), "--prefix", str(prefix)], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stderr
    assert "not on your PATH" in run.stderr

    binary = prefix / "bin" / "simdesk"
    assert binary.is_symlink() and binary.resolve() == (prefix / "lib" / "simdesk" / "simdesk").resolve()
    assert subprocess.run([str(binary), "x"], capture_output=True, text=True).stdout == "fake simdesk x\n"
    desktop = prefix / "share" / "applications" / f"{APP_ID}.desktop"
    text = desktop.read_text()
    exec_value = f'"{binary}"' if " " in str(binary) else str(binary)
    source_execs = [line for line in DESKTOP.read_text().splitlines() if line.startswith("Exec=")]
    installed_execs = [line for line in text.splitlines() if line.startswith("Exec=")]
    assert installed_execs == [line.replace("Exec=simdesk", f"Exec={exec_value}", 1) for line in source_execs]
    assert f"\nTryExec={binary}\n" in text
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    assert (prefix / "share" / "metainfo" / f"{APP_ID}.metainfo.xml").read_bytes() == METAINFO.read_bytes()
    assert (prefix / "share" / "icons" / "hicolor" / "256x256" / "apps" / f"{APP_ID}.png").read_bytes() == b"png"

    # a second install replaces the first in place
    again = subprocess.run(["bash", str(tree / "install.sh"), f"--prefix={prefix}"], capture_output=True, env=env)
    assert again.returncode == 0

    gone = subprocess.run(
        ["bash", str(tree / "install.sh"), "--prefix", str(prefix), "--uninstall"], capture_output=True, env=env
    )
    assert gone.returncode == 0
    shared_caches = {"mimeinfo.cache", "icon-theme.cache"}  # update-desktop-database's, not ours
    leftovers = [p for p in prefix.rglob("*") if (p.is_file() or p.is_symlink()) and p.name not in shared_caches]
    assert leftovers == []


def test_install_sh_refuses_to_clobber_a_pip_install(tmp_path: Path) -> None:
    tree = _fake_tarball_tree(tmp_path / "unpacked")
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "simdesk").write_text("#!/bin/sh\n")
    run = subprocess.run(["bash", str(tree / "install.sh"), "--prefix", str(prefix)], capture_output=True, text=True)
    assert run.returncode != 0 and "not our symlink" in run.stderr
    assert not (prefix / "lib" / "simdesk").exists()
