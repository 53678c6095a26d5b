"""Named input presets per workflow, the last input used, and the last run options.

Kept in one small JSON file in the data directory, keyed by profile and workflow id (the same
workflow id on two servers is two workflows). Values are JSON-ready (files as ``$file``
markers, see :func:`simdesk.core.input_form.to_jsonable`). Writes replace the file atomically,
so a crash mid-write leaves the previous version.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simdesk.core.atomic import write_atomic

log = logging.getLogger("simdesk.presets")

MAX_PRESETS = 100


class PresetStore:
    """Presets and last inputs, loaded once and written through."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._data: dict[str, dict[str, Any]] = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable presets file %s: %s", self.path, exc)
            return {}
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    @staticmethod
    def _key(profile: str, workflow_id: str) -> str:
        return f"{profile}\x1f{workflow_id}"

    def _entry(self, profile: str, workflow_id: str) -> dict[str, Any]:
        return self._data.setdefault(self._key(profile, workflow_id), {})

    # --- presets -------------------------------------------------------------------------

    def names(self, profile: str, workflow_id: str) -> list[str]:
        """Preset names, sorted case-insensitively."""
        presets = self._data.get(self._key(profile, workflow_id), {}).get("presets", {})
        return sorted(presets, key=str.casefold)

    def get(self, profile: str, workflow_id: str, name: str) -> dict[str, Any] | None:
        """A preset's input, or ``None``."""
        value = self._data.get(self._key(profile, workflow_id), {}).get("presets", {}).get(name)
        return dict(value) if isinstance(value, dict) else None

    def save(self, profile: str, workflow_id: str, name: str, values: Mapping[str, Any]) -> None:
        """Save (or overwrite) a named preset."""
        name = name.strip()
        if not name:
            raise ValueError("A preset needs a name")
        presets = self._entry(profile, workflow_id).setdefault("presets", {})
        if name not in presets and len(presets) >= MAX_PRESETS:
            raise ValueError(f"A workflow keeps at most {MAX_PRESETS} presets; delete one first")
        presets[name] = dict(values)
        self._write()

    def delete(self, profile: str, workflow_id: str, name: str) -> None:
        """Forget a preset (no error if it does not exist)."""
        presets = self._data.get(self._key(profile, workflow_id), {}).get("presets", {})
        if presets.pop(name, None) is not None:
            self._write()

    # --- last input and options ----------------------------------------------------------

    def last_input(self, profile: str, workflow_id: str) -> dict[str, Any] | None:
        """The input of the last run of this workflow."""
        value = self._data.get(self._key(profile, workflow_id), {}).get("last")
        return dict(value) if isinstance(value, dict) else None

    def set_last_input(self, profile: str, workflow_id: str, values: Mapping[str, Any]) -> None:
        """Remember the input just used."""
        self._entry(profile, workflow_id)["last"] = dict(values)
        self._write()

    def options(self, profile: str, workflow_id: str) -> dict[str, Any]:
        """Run options remembered for this workflow (mode, selected outputs, toggles)."""
        value = self._data.get(self._key(profile, workflow_id), {}).get("options")
        return dict(value) if isinstance(value, dict) else {}

    def set_options(self, profile: str, workflow_id: str, options: Mapping[str, Any]) -> None:
        """Remember the run options just used."""
        self._entry(profile, workflow_id)["options"] = dict(options)
        self._write()

    def _write(self) -> None:
        write_atomic(self.path, json.dumps(self._data, ensure_ascii=False, indent=1, default=str))
