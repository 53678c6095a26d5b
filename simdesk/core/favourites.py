"""Favourite workflows per profile, pinned at the top of the browser (a small JSON file)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from simdesk.core.atomic import write_atomic

log = logging.getLogger("simdesk.favourites")


class FavouriteStore:
    """Workflow ids marked as favourites, per profile, in the order they were added."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._data: dict[str, list[str]] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(raw, dict):
                self._data = {k: [i for i in v if isinstance(i, str)] for k, v in raw.items() if isinstance(v, list)}
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable favourites file %s: %s", self.path, exc)

    def ids(self, profile: str) -> list[str]:
        """The profile's favourites, oldest first."""
        return list(self._data.get(profile, ()))

    def is_favourite(self, profile: str, workflow_id: str) -> bool:
        """True if ``workflow_id`` is pinned."""
        return workflow_id in self._data.get(profile, ())

    def toggle(self, profile: str, workflow_id: str) -> bool:
        """Pin or unpin; returns the new state."""
        ids = self._data.setdefault(profile, [])
        if workflow_id in ids:
            ids.remove(workflow_id)
            state = False
        else:
            ids.append(workflow_id)
            state = True
        self._write()
        return state

    def _write(self) -> None:
        write_atomic(self.path, json.dumps(self._data))
