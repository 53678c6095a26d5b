"""Profiles as plain data: validation, the JSON store, the environment profile, paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from simdesk.core.base_url import DEFAULT_BASE_URL
from simdesk.core.paths import AppPaths
from simdesk.core.profiles import (
    COLORS,
    Profile,
    ProfileError,
    ProfileStore,
    next_color,
    normalize_base_url,
    profile_from_env,
    unique_name,
)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("https://www.sim.ai/", "https://www.sim.ai"),
        ("  http://localhost:3000//  ", "http://localhost:3000"),
        ("sim.example.com", "https://sim.example.com"),
        ("https://proxy.example.com/sim/", "https://proxy.example.com/sim"),
    ],
)
def test_base_urls_are_normalised(raw: str, normal: str) -> None:
    assert normalize_base_url(raw) == normal


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("ftp://example.com", "https://"),
        ("https://user:sk-sim-secret@example.com", "user name or password"),
        ("https://example.com/?key=1", "query"),
        ("https://example.com:99999", "port"),
    ],
)
def test_bad_base_urls_are_refused_with_a_reason(raw: str, why: str) -> None:
    with pytest.raises(ProfileError, match=why):
        normalize_base_url(raw)


def test_profile_fields_are_validated() -> None:
    profile = Profile.create(" Prod ", "https://www.sim.ai", " ws-1 ", "#DC2626")
    assert (profile.name, profile.default_workspace_id, profile.color) == ("Prod", "ws-1", "#dc2626")
    with pytest.raises(ProfileError, match="colour"):
        Profile.create("x", color="red")
    with pytest.raises(ProfileError, match="longer"):
        Profile.create("x" * 65)
    assert Profile.create("Local", "http://127.0.0.1:3000").is_local


def test_store_round_trip_never_holds_temporary_profiles(tmp_path: Path) -> None:
    path = tmp_path / "config" / "profiles.json"
    store = ProfileStore(path)
    store.put(Profile.create("A", "https://a.example.com"))
    store.put(Profile.create("B", "https://b.example.com", color=COLORS[2]))
    store.put(Profile.create("A2", "https://a2.example.com"), replacing="A")
    with pytest.raises(ProfileError, match="temporary"):
        store.put(Profile.create("T", temporary=True))
    with pytest.raises(ProfileError, match="already exists"):
        store.put(Profile.create("B", "https://other.example.com"), replacing="A2")
    again = ProfileStore(path)
    assert again.names() == ["A2", "B"]
    assert again.get("B") == Profile.create("B", "https://b.example.com", color=COLORS[2])
    assert again.remove("A2") and not again.remove("A2")
    assert '"version": 1' in path.read_text()


def test_environment_profile() -> None:
    assert profile_from_env({}) is None
    profile, key = profile_from_env({"SIM_API_KEY": " sk-sim-env ", "SIM_ENDPOINT": "http://localhost:3000"}) or (
        None,
        None,
    )
    assert profile is not None and profile.temporary and profile.base_url == "http://localhost:3000"
    assert key == "sk-sim-env"
    only_key = profile_from_env({"SIM_API_KEY": "k", "SIM_BASE_URL": ""})
    assert only_key is not None and only_key[0].base_url == DEFAULT_BASE_URL


def test_names_and_colours() -> None:
    assert unique_name("New", ["New", "New (2)"]) == "New (3)"
    assert next_color([COLORS[0], COLORS[1]]) == COLORS[2]


def test_data_dir_holds_everything(tmp_path: Path) -> None:
    paths = AppPaths.under(tmp_path / "d").ensure()
    for directory in paths.all_dirs():
        assert directory.is_dir() and directory.parent == (tmp_path / "d").resolve()
    assert paths.profiles_file.parent == paths.config and paths.log_file.parent == paths.logs
