"""Profiles: one Sim deployment each (sim.ai, a self-hosted server, the demo sandbox).

A :class:`Profile` is a name, a base URL, an optional default workspace and a colour tag. It has
no key field on purpose: keys live in the keyring (:mod:`simdesk.core.secrets`), so a profile can
be written to disk, logged or shown without care. :class:`ProfileStore` keeps the saved ones in a
JSON file under the config directory. ``SIM_API_KEY`` / ``SIM_BASE_URL`` in the environment make
a temporary profile (:func:`profile_from_env`) that is never saved.

Plain ``http://`` to a host other than this machine would send the key unencrypted, so such a
profile carries the user's explicit consent (``allow_insecure_http``, the "Allow unencrypted HTTP"
box); :meth:`Profile.check_transport` explains what is missing. Loading, importing and the
environment do not check it: an old file must still load (a refusal would set the whole file
aside), and the client refuses the URL until the user ticks the box.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from simdesk.core.aside import back_up, set_aside
from simdesk.core.atomic import write_atomic
from simdesk.core.base_url import DEFAULT_BASE_URL, BaseUrlError
from simdesk.core.base_url import normalize_base_url as clean_base_url
from simdesk.core.hosts import insecure_http_host, is_loopback

log = logging.getLogger("simdesk.core.profiles")

DEMO_PROFILE = "Demo"
ENV_PROFILE = "Environment"
FILE_VERSION = 1
MAX_NAME = 64

# Distinct on light and dark backgrounds, and told apart by more than hue alone.
COLORS: tuple[str, ...] = ("#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#64748b")
DEMO_COLOR = "#7c3aed"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class ProfileError(ValueError):
    """A profile field is invalid; the message says which and why, for the user."""


def normalize_base_url(url: str) -> str:
    """A base URL as the client wants it (``https://`` assumed when no scheme is typed)."""
    try:
        return clean_base_url(url, default_scheme="https")
    except BaseUrlError as exc:
        raise ProfileError(str(exc)) from exc


def insecure_http_reason(host: str) -> str:
    """Why plain http to ``host`` needs consent, for the user."""
    return (
        f"{host} is reached over plain http, which sends your API key unencrypted; use https, "
        "or tick 'Allow unencrypted HTTP' if you trust this network."
    )


def _consent(given: bool, url: str) -> bool:
    """Consent to plain http counts only for a URL that needs it (http to another host)."""
    return given and insecure_http_host(url) is not None


def validate_name(name: str) -> str:
    """A profile name, trimmed; :class:`ProfileError` when empty, too long or unprintable."""
    text = name.strip()
    if not text:
        raise ProfileError("The profile name is empty.")
    if len(text) > MAX_NAME:
        raise ProfileError(f"The profile name is longer than {MAX_NAME} characters.")
    if any(not ch.isprintable() for ch in text):
        raise ProfileError("The profile name contains a control character.")
    return text


@dataclass(frozen=True, slots=True)
class Profile:
    """One Sim deployment. Build through :meth:`create` to get validated, normalised fields.

    Attributes:
        name: unique, shown in the switcher and used as the keyring account.
        base_url: e.g. ``https://www.sim.ai`` or ``http://localhost:3000``.
        default_workspace_id: the workspace panels open on, if the user picked one.
        color: ``#rrggbb`` tag shown next to the name (tell production from staging at a glance).
        temporary: from the environment, the demo, or a session-only key: never saved.
        allow_insecure_http: the user accepted that the key travels unencrypted to this
            ``http://`` server on their network. Only ever True for such a URL.
    """

    name: str
    base_url: str = DEFAULT_BASE_URL
    default_workspace_id: str | None = None
    color: str = COLORS[0]
    temporary: bool = False
    allow_insecure_http: bool = False

    @classmethod
    def create(
        cls,
        name: str,
        base_url: str = DEFAULT_BASE_URL,
        default_workspace_id: str | None = None,
        color: str | None = None,
        *,
        temporary: bool = False,
        allow_insecure_http: bool = False,
    ) -> Profile:
        """A validated profile; raises :class:`ProfileError` with a user-facing message.

        ``allow_insecure_http`` is kept only for a URL that needs it (plain http to another
        host), so consent given for one server does not carry over to an https or local one.
        Whether a URL that needs it has it is :meth:`check_transport`'s question, not this one's.
        """
        color = (color or COLORS[0]).strip()
        if not _HEX.match(color):
            raise ProfileError(f"The colour {color!r} is not of the form #rrggbb.")
        workspace = (default_workspace_id or "").strip() or None
        url = normalize_base_url(base_url)
        return cls(validate_name(name), url, workspace, color.lower(), temporary, _consent(allow_insecure_http, url))

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("temporary")
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Profile:
        workspace = data.get("default_workspace_id")
        return cls.create(
            str(data.get("name", "")),
            str(data.get("base_url", DEFAULT_BASE_URL)),
            str(workspace) if workspace else None,
            str(data.get("color") or COLORS[0]),
            # Files written before the flag existed have no such key: no consent. Only a real
            # JSON true counts, so a hand-edited "false" string does not open http.
            allow_insecure_http=data.get("allow_insecure_http") is True,
        )

    @property
    def is_local(self) -> bool:
        """True for a loopback server (the sandbox, a self-hosted dev install)."""
        return is_loopback(urlsplit(self.base_url).hostname or "")

    @property
    def unencrypted(self) -> bool:
        """True when the key travels unencrypted with the user's consent (shown as a reminder)."""
        return _consent(self.allow_insecure_http, self.base_url)

    @property
    def transport_problem(self) -> str | None:
        """Why the client would refuse this profile's URL (remote http without consent), or None."""
        host = insecure_http_host(self.base_url)
        if host is None or self.allow_insecure_http:
            return None
        return insecure_http_reason(host)

    def check_transport(self) -> Profile:
        """This profile, or :class:`ProfileError` when it is plain http to another host without consent."""
        problem = self.transport_problem
        if problem is not None:
            raise ProfileError(problem)
        return self


class ProfileStore:
    """The saved profiles, in ``profiles.json`` (atomic writes; damage is set aside, never wiped).

    Loading takes what it can: a byte-order mark is fine; bytes that are not UTF-8 are read as
    replacement characters; an entry that is not a valid profile is skipped. Whenever something
    was skipped or the file could not be read, a copy of it is kept beside it
    (``profiles.json.damaged-<time>``, or the original renamed when it is a directory) and
    :attr:`problem` says so for the window. A file that cannot be read at all (permissions) is
    never overwritten: saving refuses until it can be.

    Not thread-safe: owned by the GUI thread. Temporary profiles are refused, so nothing from the
    environment or a session key ever reaches the file.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.problem: str | None = None
        self._unreadable: str | None = None  # why saving would overwrite what could not be read
        self._profiles: list[Profile] = self._load()

    def _load(self) -> list[Profile]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except IsADirectoryError:
            return self._unusable("is a folder, not a file", move=True)
        except OSError as exc:
            self._unreadable = f"{self.path} could not be read ({exc.strerror or exc})"
            self._tell(f"{self._unreadable}; no saved profiles were loaded, and it will not be overwritten.")
            return []
        try:
            text, undecodable = raw.decode("utf-8-sig"), False
        except UnicodeDecodeError:
            text, undecodable = raw.decode("utf-8-sig", errors="replace"), True
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            return self._unusable("is not readable JSON")
        entries = data.get("profiles") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            return self._unusable("has no list of profiles")
        profiles: list[Profile] = []
        skipped = 0
        for entry in entries:
            try:
                profile = Profile.from_json(entry)
            except (ValueError, TypeError, AttributeError):  # not an object, or a field that is not valid
                skipped += 1
                continue
            if all(p.name != profile.name for p in profiles):
                profiles.append(profile)
        if skipped or undecodable:
            what = f"{skipped} profile(s) in it could not be read" if skipped else "it had bytes that are not text"
            self._damaged(f"{what}; the others were loaded")
        return profiles

    def _unusable(self, why: str, *, move: bool = False) -> list[Profile]:
        self._damaged(f"it {why}; no saved profiles were loaded", move=move)
        return []

    def _damaged(self, what: str, *, move: bool = False) -> None:
        try:
            aside = set_aside(self.path, "damaged") if move else back_up(self.path, "damaged")
        except OSError as exc:
            self._unreadable = f"{self.path} is damaged and could not be copied aside ({exc.strerror or exc})"
            self._tell(f"{self._unreadable}: {what}. It will not be overwritten.")
            return
        self._tell(f"The profile file {self.path} was damaged: {what}. A copy of it is in {aside}.")

    def _tell(self, message: str) -> None:
        log.error("%s", message)
        self.problem = message

    def _save(self, profiles: list[Profile]) -> None:
        """Write ``profiles``; they become the store's only once the file has them."""
        if self._unreadable is not None:
            raise ProfileError(f"The profiles cannot be saved: {self._unreadable}.")
        payload = {"version": FILE_VERSION, "profiles": [p.to_json() for p in profiles]}
        try:
            write_atomic(self.path, json.dumps(payload, indent=2) + "\n")
        except OSError as exc:
            raise ProfileError(
                f"The profiles could not be saved to {self.path}: {exc.strerror or exc} "
                "(is the file or its folder read-only, or the disk full?)."
            ) from exc
        self._profiles = profiles

    def profiles(self) -> list[Profile]:
        """The saved profiles, in the user's order."""
        return list(self._profiles)

    def names(self) -> list[str]:
        return [p.name for p in self._profiles]

    def get(self, name: str) -> Profile | None:
        return next((p for p in self._profiles if p.name == name), None)

    def put(self, profile: Profile, *, replacing: str | None = None) -> None:
        """Add ``profile``, or replace the one named ``replacing`` (or of the same name)."""
        if profile.temporary:
            raise ProfileError("A temporary profile is never saved.")
        old = replacing or profile.name
        if profile.name != old and self.get(profile.name) is not None:
            raise ProfileError(f"A profile named {profile.name!r} already exists.")
        profiles = list(self._profiles)
        for index, existing in enumerate(profiles):
            if existing.name == old:
                profiles[index] = profile
                break
        else:
            if self.get(profile.name) is not None:
                raise ProfileError(f"A profile named {profile.name!r} already exists.")
            profiles.append(profile)
        self._save(profiles)

    def remove(self, name: str) -> bool:
        """Forget the profile named ``name``; False when there was none."""
        profiles = [p for p in self._profiles if p.name != name]
        if len(profiles) == len(self._profiles):
            return False
        self._save(profiles)
        return True


def unique_name(wanted: str, taken: Iterable[str]) -> str:
    """``wanted``, or ``wanted (2)``, ``wanted (3)``… whichever is free."""
    names = set(taken)
    if wanted not in names:
        return wanted
    n = 2
    while f"{wanted} ({n})" in names:
        n += 1
    return f"{wanted} ({n})"


def next_color(used: Iterable[str]) -> str:
    """The first palette colour no profile uses yet (cycling when all are taken)."""
    taken = [c.lower() for c in used]
    for color in COLORS:
        if color not in taken:
            return color
    return COLORS[len(taken) % len(COLORS)]


def profile_from_env(environ: Mapping[str, str]) -> tuple[Profile, str] | None:
    """The temporary profile ``SIM_API_KEY`` (+ ``SIM_BASE_URL``, ``SIM_WORKSPACE``) describe.

    ``SIM_ENDPOINT`` (the official CLI's name) is accepted when ``SIM_BASE_URL`` is not set.
    Returns ``(profile, key)``, or ``None`` when no key is set.
    """
    key = environ.get("SIM_API_KEY", "").strip()
    if not key:
        return None
    url = environ.get("SIM_BASE_URL") or environ.get("SIM_ENDPOINT") or DEFAULT_BASE_URL
    profile = Profile.create(ENV_PROFILE, url, environ.get("SIM_WORKSPACE"), "#64748b", temporary=True)
    return profile, key


def with_base_url(profile: Profile, base_url: str) -> Profile:
    """``profile`` pointing at another server (the demo sandbox moves port every run).

    Consent to plain http is for one kind of URL: it is dropped when the new one does not need it.
    """
    url = normalize_base_url(base_url)
    return replace(profile, base_url=url, allow_insecure_http=_consent(profile.allow_insecure_http, url))
