"""The workspace last chosen in the workflows browser, remembered per profile.

It is window state, not a preference, so it lives in the state file of
:class:`~simdesk.services.settings.Settings` (resetting the layout may forget it; a shared
preferences file never carries it). All profiles share one key holding a JSON object of profile
name → workspace id: profile names may contain any character, and a ``/`` in a QSettings key
would open a group. Only names and workspace ids are stored, never a key.

Without a :class:`Settings` (tests, a workbench built alone) the choices last as long as the
object.
"""

from __future__ import annotations

import json
import logging

from simdesk.services.settings import Opt, Settings

log = logging.getLogger("simdesk.services.workspace_memory")

LAST_WORKSPACES = Opt(
    "workflows/last_workspaces", "", str, "state", doc="the workspace last chosen per profile (JSON: name → id)"
)


class WorkspaceMemory:
    """Which workspace each profile last showed by the user's choice."""

    def __init__(self, settings: Settings | None = None, opt: Opt[str] = LAST_WORKSPACES) -> None:
        """``opt`` names another profile → text map kept the same way (e.g. the email each
        profile's person picked in the workspace panel)."""
        self._settings = settings
        self._opt = opt
        self._chosen = _parse(settings.get(opt), opt.key) if settings is not None else {}

    def get(self, profile: str) -> str | None:
        """The workspace ``profile`` was last left on, if one was chosen."""
        return self._chosen.get(profile)

    def remember(self, profile: str, workspace_id: str) -> None:
        """The user chose ``workspace_id`` while on ``profile``."""
        if self._chosen.get(profile) != workspace_id:
            self._chosen[profile] = workspace_id
            self._save()

    def forget(self, profile: str) -> None:
        """Drop ``profile``'s choice (the profile is gone, or the workspace is)."""
        if self._chosen.pop(profile, None) is not None:
            self._save()

    def rename(self, old: str, new: str) -> None:
        """Follow a profile to its new name; the old name keeps nothing a later profile could inherit."""
        chosen = self._chosen.pop(old, None)
        # Whatever ``new`` held came from an earlier profile of that name, not from this one.
        earlier = self._chosen.pop(new, None)
        if chosen is not None:
            self._chosen[new] = chosen
        if chosen is not None or earlier is not None:
            self._save()

    def _save(self) -> None:
        if self._settings is None:
            return
        if self._chosen:
            self._settings.set(self._opt, json.dumps(self._chosen, ensure_ascii=False, sort_keys=True))
        else:
            self._settings.reset(self._opt)


def _parse(text: str, key: str) -> dict[str, str]:
    """The stored object; entries that are not name → id strings (a hand-edited file) are dropped."""
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("ignoring unreadable %s", key)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and v}
