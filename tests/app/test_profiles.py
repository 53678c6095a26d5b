"""Profiles end to end: add/test/remove with the key in a real Secret Service; no keyring at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest

from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.core.secrets import SERVICE
from simdesk.ui.profile_dialog import ProfileDialog
from tests.support.app import files_containing

MakeApp = Callable[..., AppContext]


def _fill(dialog: ProfileDialog, name: str, url: str, key: str) -> None:
    dialog.new_profile()
    dialog.name_edit.setText(name)
    dialog.url_edit.setText(url)
    dialog.key_edit.setText(key)


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.keyring
def test_add_test_remove_round_trip_with_the_real_secret_service(
    make_app: MakeApp, app_paths: AppPaths, sandbox: Any, secret_service_keyring: Any, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    name = "Staging (round trip)"
    _fill(dialog, name, sandbox.base_url, sandbox.api_key)

    # Test connection on the unsaved draft, with the typed key.
    with qtbot.waitSignal(ctx.connection.tested, timeout=10_000) as tested:
        dialog.test_button.click()
    check = tested.args[1]
    assert check.reachable and check.key_valid and check.surface == "v2", check.message
    assert "API key accepted" in dialog.test_result.text()
    assert "v2 API on" in dialog.test_result.text()

    # Save: the key goes to the Secret Service, the profile to profiles.json without it.
    with qtbot.waitSignal(ctx.profiles.saved, timeout=10_000):
        dialog.save_button.click()
    try:
        assert secret_service_keyring.get_password(SERVICE, name) == sandbox.api_key
        assert keyring.get_keyring() is secret_service_keyring
        stored = app_paths.profiles_file.read_text()
        assert name in stored and sandbox.api_key not in stored
        assert dialog.key_edit.text() == ""  # never shown again
        assert "system keyring" in dialog.status.text()

        # The saved profile connects with the stored key (read back from the keyring).
        ctx.profiles.set_active(name)
        qtbot.waitUntil(lambda: ctx.window.status.connection_state() == "ok", timeout=10_000)
        assert ctx.window.switcher.currentData() == name

        # Remove: gone from the list, the file and the keyring.
        with qtbot.waitSignal(ctx.profiles.removed, timeout=10_000):
            dialog.remove_current(confirm=False)
        assert ctx.profiles.get(name) is None
        assert name not in app_paths.profiles_file.read_text()
        assert secret_service_keyring.get_password(SERVICE, name) is None
    finally:
        if secret_service_keyring.get_password(SERVICE, name) is not None:
            secret_service_keyring.delete_password(SERVICE, name)


def test_no_keyring_offers_a_session_key_and_writes_nothing(
    make_app: MakeApp, app_paths: AppPaths, sandbox: Any, failing_keyring: Any, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    root = app_paths.data.parent
    before = _snapshot(root)
    _fill(dialog, "Headless", sandbox.base_url, sandbox.api_key)

    with qtbot.waitSignal(ctx.profiles.key_store_unavailable, timeout=10_000) as refused:
        dialog.save_button.click()
    message = refused.args[1]
    assert "gnome-keyring" in message and "KWallet" in message  # names the fix
    qtbot.waitUntil(lambda: dialog.session_dialog is not None and dialog.session_dialog.isVisible())
    session = dialog.session_dialog
    assert session is not None and "gnome-keyring" in session.message.text()
    assert not session.key_edit.isVisible()  # the key typed in the profile dialog is used

    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000) as saved:
        session.use_button.click()
    assert saved.args == ["Headless", True]
    profile = ctx.profiles.get("Headless")
    assert profile is not None and profile.temporary
    assert ctx.secrets.is_session_only("Headless")
    assert "session only" in dialog.status.text()

    # It works for this session...
    with qtbot.waitSignal(ctx.connection.status_changed, timeout=10_000) as status:
        ctx.profiles.set_active("Headless")
    assert status.args[1].ok
    # ...and nothing of it reached the disk: no profile file, no preference, no key anywhere.
    after = _snapshot(root)
    changed = {p for p in after.keys() | before.keys() if after.get(p) != before.get(p)}
    assert not app_paths.profiles_file.exists()
    assert [p for p in changed if app_paths.config in p.parents] == []
    assert [p for p in changed if b"Headless" in after.get(p, b"")] == []
    assert files_containing(root, sandbox.api_key) == []


def test_no_keyring_cancel_keeps_nothing(
    make_app: MakeApp, app_paths: AppPaths, failing_keyring: Any, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    _fill(dialog, "Declined", "https://sim.example.com", "sk-sim-declined-key-0123456789")
    with qtbot.waitSignal(ctx.profiles.key_store_unavailable, timeout=10_000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.session_dialog is not None)
    assert dialog.session_dialog is not None
    dialog.session_dialog.reject()
    qtbot.waitUntil(lambda: "Not saved" in dialog.status.text())
    assert ctx.profiles.get("Declined") is None
    assert dialog.save_button.isEnabled()


def test_renaming_moves_the_key_and_keeps_the_active_profile(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any
) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    _fill(dialog, "Old name", "https://sim.example.com", "sk-sim-rename-key-0123456789abcdef")
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        dialog.save_button.click()
    ctx.profiles.set_active("Old name")
    dialog.name_edit.setText("New name")
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        dialog.save_button.click()
    assert memory_keyring.store == {(SERVICE, "New name"): "sk-sim-rename-key-0123456789abcdef"}
    assert ctx.profiles.names() == ["New name"]
    assert ctx.profiles.active_name() == "New name"


def test_invalid_fields_are_explained_inline(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    _fill(dialog, "Bad", "ftp://example.com", "")
    dialog.save_button.click()
    assert "https://" in dialog.status.text()
    assert ctx.profiles.get("Bad") is None
    _fill(dialog, "  ", "https://example.com", "")
    dialog.save_button.click()
    assert "name is empty" in dialog.status.text()


def test_duplicate_names_are_refused(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any) -> None:
    ctx = make_app(app_paths)
    ctx.start(environ={})
    dialog = ctx.window.open_profiles()
    _fill(dialog, "Twice", "https://a.example.com", "")
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        dialog.save_button.click()
    _fill(dialog, "Twice", "https://b.example.com", "")
    with qtbot.waitSignal(ctx.profiles.failed, timeout=5_000):
        dialog.save_button.click()
    assert "already exists" in dialog.status.text()
    twice = ctx.profiles.get("Twice")
    assert twice is not None and twice.base_url == "https://a.example.com"
