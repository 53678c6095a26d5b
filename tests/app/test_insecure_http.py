"""Plain http to a self-hosted Sim on the LAN: the per-profile consent, end to end.

The address ``10.255.255.1:9`` is never contacted: clients built for it are only constructed and
closed, and the dialog tests give the app a client factory whose transport answers in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from simdesk.api import SimClient
from simdesk.api.errors import ConfigurationError
from simdesk.app import AppContext
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import Profile, ProfileError, ProfileStore, profile_from_env, with_base_url
from simdesk.core.secrets import SERVICE
from simdesk.services.clients import ClientPool, default_factory
from simdesk.services.usage_budget import budgeted_factory
from simdesk.ui.profile_dialog import ProfileDialog
from tests.support.app import files_containing

MakeApp = Callable[..., AppContext]
LAN = "http://10.255.255.1:9"
KEY = "sk-sim-lan-key-0123456789abcdef"


# --- core ---------------------------------------------------------------------------------------


def test_the_flag_round_trips_and_old_files_load_without_it(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    store = ProfileStore(path)
    store.put(Profile.create("LAN", LAN, allow_insecure_http=True))
    store.put(Profile.create("Hosted", "https://www.sim.ai"))
    saved = json.loads(path.read_text())
    assert saved["version"] == 1
    assert [p["allow_insecure_http"] for p in saved["profiles"]] == [True, False]
    again = ProfileStore(path)
    assert again.get("LAN") == Profile.create("LAN", LAN, allow_insecure_http=True)
    assert again.get("LAN").unencrypted and not again.get("Hosted").unencrypted  # type: ignore[union-attr]

    # A file from before the flag (and one hand-edited to the string "false") loads, without consent.
    old = {
        "version": 1,
        "profiles": [
            {"name": "Old LAN", "base_url": LAN, "default_workspace_id": None, "color": "#2563eb"},
            {"name": "Edited", "base_url": LAN, "color": "#2563eb", "allow_insecure_http": "false"},
        ],
    }
    path.write_text(json.dumps(old))
    loaded = ProfileStore(path)
    assert loaded.names() == ["Old LAN", "Edited"]  # not set aside as damaged
    assert [p.allow_insecure_http for p in loaded.profiles()] == [False, False]
    assert list(tmp_path.glob("*.damaged-*")) == [] and loaded.problem is None


def test_remote_http_needs_consent_with_a_clear_reason() -> None:
    profile = Profile.create("LAN", "http://192.168.1.20:3000/")
    assert profile.base_url == "http://192.168.1.20:3000"
    with pytest.raises(ProfileError, match="unencrypted; use https, or tick 'Allow unencrypted HTTP'"):
        profile.check_transport()
    assert "192.168.1.20" in (profile.transport_problem or "")
    allowed = Profile.create("LAN", "http://192.168.1.20:3000", allow_insecure_http=True)
    assert allowed.check_transport() is allowed and allowed.transport_problem is None
    # Loopback and https never need it, so consent is not kept for them.
    for url in ("https://sim.example.com", "http://127.0.0.1:3000", "http://localhost:3000", "http://[::1]:3000"):
        safe = Profile.create("Safe", url, allow_insecure_http=True)
        assert not safe.allow_insecure_http and safe.transport_problem is None and not safe.unencrypted
    # Moving a consenting profile to https drops the consent.
    assert not with_base_url(allowed, "https://sim.example.com").allow_insecure_http
    assert with_base_url(allowed, "http://192.168.1.21:3000").allow_insecure_http


def test_environment_profiles_stay_strict() -> None:
    made = profile_from_env({"SIM_API_KEY": KEY, "SIM_BASE_URL": LAN})
    assert made is not None
    profile, _key = made
    assert profile.temporary and not profile.allow_insecure_http
    assert profile.transport_problem is not None
    with pytest.raises(ConfigurationError, match="unencrypted"):
        budgeted_factory(profile, KEY)


# --- client factories --------------------------------------------------------------------------------


@pytest.mark.parametrize("factory", [default_factory, budgeted_factory], ids=["default", "budgeted"])
def test_factories_pass_the_consent_to_the_client(factory: Callable[..., SimClient], arun: Any) -> None:
    with pytest.raises(ConfigurationError, match="unencrypted"):
        factory(Profile.create("LAN", LAN), KEY)
    client = factory(Profile.create("LAN", LAN, allow_insecure_http=True), KEY)
    try:
        assert client.base_url == LAN
    finally:
        arun(client.__aexit__(None, None, None))


class _Recorder:
    """A client factory that records the profiles it was given; its clients answer in memory."""

    def __init__(self) -> None:
        self.profiles: list[Profile] = []

    def __call__(self, profile: Profile, key: str | None) -> SimClient:
        self.profiles.append(profile)
        transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"error": "not here"}))
        return SimClient(profile.base_url, key, allow_insecure_http=profile.allow_insecure_http, transport=transport)


def test_the_pool_remakes_a_client_when_the_consent_changes(
    app_paths: AppPaths, memory_keyring: Any, arun: Any
) -> None:
    from simdesk.core.secrets import Secrets

    recorder = _Recorder()
    pool = ClientPool(Secrets(), recorder)
    allowed = Profile.create("LAN", LAN, allow_insecure_http=True)
    try:
        first = arun(pool.client(allowed))
        assert arun(pool.client(allowed)) is first  # unchanged: the same client
        revoked = Profile.create("LAN", "http://10.255.255.1:9")
        with pytest.raises(ConfigurationError):
            arun(pool.client(revoked))  # the client allowed to send the key in clear is not reused
        assert pool.cached("LAN") is None
        assert [p.allow_insecure_http for p in recorder.profiles] == [True, False]
    finally:
        arun(pool.aclose())


# --- the profile dialog ----------------------------------------------------------------------------


def _open(make_app: MakeApp, app_paths: AppPaths, recorder: _Recorder) -> tuple[AppContext, ProfileDialog]:
    ctx = make_app(app_paths, client_factory=recorder)
    ctx.start(environ={}, check=False)
    return ctx, ctx.window.open_profiles()


def _box_offered(dialog: ProfileDialog) -> bool:
    return dialog.insecure_check.isEnabled() and dialog.insecure_check.isVisibleTo(dialog)


def test_the_box_is_offered_only_for_remote_http(make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any) -> None:
    _ctx, dialog = _open(make_app, app_paths, _Recorder())
    assert dialog.insecure_check.accessibleName() == "Allow unencrypted HTTP"
    assert "unencrypted" in dialog.insecure_check.toolTip()
    dialog.new_profile()
    for url in ("https://sim.example.com", "http://127.0.0.1:3000", "http://localhost:3000", "sim.example.com"):
        dialog.url_edit.setText(url)
        assert not dialog.insecure_check.isEnabled() and not dialog.insecure_check.isVisibleTo(dialog), url
        assert dialog.status.text() == "", url
    dialog.url_edit.setText("http://10.1.2.3:3000")
    assert _box_offered(dialog)
    # Unticked: the reason is shown inline at once, and goes when the box is ticked.
    assert "sends your API key unencrypted" in dialog.status.text()
    dialog.insecure_check.setChecked(True)
    assert dialog.status.text() == ""
    dialog.insecure_check.setChecked(False)
    assert "10.1.2.3" in dialog.status.text()
    dialog.url_edit.setText("https://10.1.2.3")
    assert dialog.status.text() == "" and not _box_offered(dialog)


def test_saving_needs_the_box_and_the_saved_profile_carries_it(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any
) -> None:
    ctx, dialog = _open(make_app, app_paths, _Recorder())
    dialog.new_profile()
    dialog.name_edit.setText("LAN")
    dialog.url_edit.setText(LAN)
    dialog.key_edit.setText(KEY)
    dialog.save_button.click()  # refused in the dialog, before the service or the keyring
    assert ctx.profiles.get("LAN") is None and memory_keyring.store == {}
    assert "tick 'Allow unencrypted HTTP'" in dialog.status.text()

    dialog.insecure_check.setChecked(True)
    with qtbot.waitSignal(ctx.profiles.saved, timeout=5_000):
        dialog.save_button.click()
    saved = ctx.profiles.get("LAN")
    assert saved is not None and saved.allow_insecure_http and saved.unencrypted
    assert json.loads(app_paths.profiles_file.read_text())["profiles"][0]["allow_insecure_http"] is True
    assert memory_keyring.store == {(SERVICE, "LAN"): KEY}
    assert files_containing(app_paths.data.parent, KEY) == []  # the key went to the keyring only

    # Reopened, the form shows the consent; the list and the status bar remind of it.
    dialog.select("LAN")
    assert dialog.insecure_check.isChecked() and _box_offered(dialog)
    assert "(unencrypted HTTP)" in dialog.list.currentItem().toolTip()
    ctx.window.status.set_profile(saved)
    assert ctx.window.status.profile.toolTip().endswith(f"({LAN}) (unencrypted HTTP)")
    ctx.window.status.set_profile(Profile.create("Hosted", "https://www.sim.ai"))
    assert "unencrypted" not in ctx.window.status.profile.toolTip()


def test_test_connection_uses_the_unsaved_box(
    make_app: MakeApp, app_paths: AppPaths, memory_keyring: Any, qtbot: Any
) -> None:
    recorder = _Recorder()
    ctx, dialog = _open(make_app, app_paths, recorder)
    dialog.new_profile()
    dialog.name_edit.setText("Draft LAN")
    dialog.url_edit.setText(LAN)
    dialog.test_button.click()
    assert recorder.profiles == [] and dialog.test_button.isEnabled()
    assert "unencrypted" in dialog.status.text()

    dialog.insecure_check.setChecked(True)
    with qtbot.waitSignal(ctx.connection.tested, timeout=5_000) as tested:
        dialog.test_button.click()
    assert tested.args[0] == "Draft LAN"
    assert [(p.base_url, p.allow_insecure_http) for p in recorder.profiles] == [(LAN, True)]
    assert ctx.profiles.get("Draft LAN") is None  # tested, not saved
