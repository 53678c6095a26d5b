"""The JSON stores replace their files whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from simdesk.core.atomic import write_atomic


def test_a_write_replaces_the_file_and_leaves_no_temporary_behind(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "profiles.json"
    write_atomic(target, '{"old": true}')
    write_atomic(target, '{"new": "ünïcode"}')
    assert target.read_text(encoding="utf-8") == '{"new": "ünïcode"}'
    assert [p.name for p in target.parent.iterdir()] == ["profiles.json"]


def test_a_write_that_fails_halfway_keeps_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "presets.json"
    write_atomic(target, "kept")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "half \ud800 written")  # a lone surrogate cannot be UTF-8
    assert target.read_text(encoding="utf-8") == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["presets.json"]


def test_a_write_to_a_link_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    outside = tmp_path / "outside" / "precious.json"
    outside.parent.mkdir()
    outside.write_text("untouched", encoding="utf-8")
    link = tmp_path / "data" / "favourites.json"
    link.parent.mkdir()
    link.symlink_to(outside)
    write_atomic(link, "[]")
    assert not link.is_symlink() and link.read_text(encoding="utf-8") == "[]"
    assert outside.read_text(encoding="utf-8") == "untouched"
