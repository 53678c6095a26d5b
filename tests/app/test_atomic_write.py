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
