"""Importing the official sim CLI's profiles: parsing its files, keys into the keyring."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import ProfileStore
from simdesk.core.secrets import SERVICE, Secrets
from simdesk.core.sim_cli_import import cli_files, import_cli_profiles, parse_ini, read_cli_profiles
from tests.support.app import files_containing

MakeApp = Callable[..., AppContext]

CONFIG = """\
# written by `sim configure`
[default]
endpoint = https://sim.ai
output = table

[profile selfhosted]
endpoint = http://localhost:3000/
workspace = ws-123

[profile shared]
auth_profile = selfhosted
endpoint = https://sim.example.com
"""

CREDENTIALS = """\
[default]
api_key = sk-sim-cli-default-0123456789abcdef

[selfhosted]
api_key = sk-sim-cli-selfhosted-0123456789ab
; a second block of the same name: the first value wins, as in the CLI
[selfhosted]
api_key = sk-sim-ignored
"""


@pytest.fixture
def cli_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "dot-sim"
    directory.mkdir()
    (directory / "config").write_text(CONFIG, encoding="utf-8")
    (directory / "credentials").write_text(CREDENTIALS, encoding="utf-8")
    monkeypatch.setenv("SIM_CONFIG_DIR", str(directory))
    monkeypatch.delenv("SIM_CONFIG_FILE", raising=False)
    monkeypatch.delenv("SIM_CREDENTIALS_FILE", raising=False)
    return directory


def test_parse_ini_keeps_the_first_value_and_skips_comments() -> None:
    parsed = parse_ini("[a]\nx = 1\n# x = 3\n[a]\nx = 2\ny=3\n")
    assert parsed == {"a": {"x": "1", "y": "3"}}


def test_read_cli_profiles(cli_dir: Path) -> None:
    config, credentials = cli_files({"SIM_CONFIG_DIR": str(cli_dir)})
    profiles = {p.name: p for p in read_cli_profiles(config, credentials)}
    assert list(profiles) == ["default", "selfhosted", "shared"]
    assert profiles["default"].api_key == "sk-sim-cli-default-0123456789abcdef"
    assert profiles["selfhosted"].workspace == "ws-123"
    assert profiles["selfhosted"].api_key == "sk-sim-cli-selfhosted-0123456789ab"
    assert profiles["shared"].api_key == profiles["selfhosted"].api_key  # via auth_profile
    assert "sk-sim" not in repr(profiles["default"])


def test_import_moves_keys_to_the_keyring(cli_dir: Path, tmp_path: Path, memory_keyring: Any) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    config, credentials = cli_files({"SIM_CONFIG_DIR": str(cli_dir)})
    report = import_cli_profiles(read_cli_profiles(config, credentials), store, Secrets(), credentials_path=credentials)
    assert report.imported == ["sim CLI", "selfhosted", "shared"]
    default = store.get("sim CLI")
    assert default is not None and default.base_url == "https://www.sim.ai"  # apex → www
    selfhosted = store.get("selfhosted")
    assert selfhosted is not None and selfhosted.base_url == "http://localhost:3000"
    assert selfhosted.default_workspace_id == "ws-123"
    assert memory_keyring.store[(SERVICE, "sim CLI")] == "sk-sim-cli-default-0123456789abcdef"
    assert "sk-sim" not in (tmp_path / "profiles.json").read_text()
    assert str(credentials) in report.message() and "plain text" in report.message()


def test_import_from_the_file_menu(
    make_app: MakeApp, app_paths: AppPaths, cli_dir: Path, memory_keyring: Any, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    with qtbot.waitSignal(ctx.profiles.imported, timeout=5_000) as done:
        ctx.window.import_action.trigger()
    assert "plain text" in done.args[0]
    assert ctx.profiles.names() == ["sim CLI", "selfhosted", "shared"]
    assert ctx.profiles.active_name() == "sim CLI"
    assert files_containing(app_paths.data.parent, "sk-sim-cli") == []


def test_import_without_a_keyring_offers_session_keys(
    make_app: MakeApp, app_paths: AppPaths, cli_dir: Path, failing_keyring: Any, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    with qtbot.waitSignal(ctx.profiles.key_store_unavailable, timeout=5_000):
        ctx.window.import_action.trigger()
    qtbot.waitUntil(lambda: ctx.window.session_dialog is not None)
    assert ctx.profiles.names() == []  # nothing imported yet
    assert ctx.window.session_dialog is not None
    with qtbot.waitSignal(ctx.profiles.imported, timeout=5_000) as done:
        ctx.window.session_dialog.use_button.click()
    assert "session only" in done.args[0]
    assert all(p.temporary for p in ctx.profiles.profiles()) and len(ctx.profiles.profiles()) == 3
    assert not app_paths.profiles_file.exists()
