"""Import profiles from the official ``sim`` CLI (``packages/sim-cli``), keys into the keyring.

The CLI keeps AWS-style INI files (``packages/sim-cli/src/config/profile.ts``, ``ini.ts``):

* ``~/.sim/config``: ``[default]`` and ``[profile NAME]`` sections with ``endpoint``,
  ``workspace`` and ``output`` (non-secret).
* ``~/.sim/credentials``: ``[default]`` and bare ``[NAME]`` sections with ``api_key``, in plain
  text (mode 0600).

``SIM_CONFIG_DIR`` moves both files; ``SIM_CONFIG_FILE`` / ``SIM_CREDENTIALS_FILE`` move each.
Repeated sections merge, first value wins (as the CLI reads them). The CLI's default endpoint is
``https://sim.ai``, whose ``/api`` answers with a 301 to ``www`` (CONTRACT §1): imported
profiles point at ``https://www.sim.ai`` instead.

Importing never edits the CLI's files: the report tells the user that the plaintext file still
holds the keys.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from simdesk.core.base_url import DEFAULT_BASE_URL
from simdesk.core.profiles import (
    Profile,
    ProfileError,
    ProfileStore,
    next_color,
    unique_name,
)
from simdesk.core.secrets import Secrets

log = logging.getLogger("simdesk.core.sim_cli_import")

CLI_DEFAULT_PROFILE = "default"
_APEX = re.compile(r"^https?://sim\.ai/?$", re.IGNORECASE)
_SECTION = re.compile(r"^\s*\[([^\]]*)\]\s*$")
_KEY_VALUE = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class CliProfile:
    """One profile as the CLI's files describe it. ``api_key`` is hidden from ``repr``."""

    name: str
    endpoint: str
    workspace: str | None
    api_key: str | None = field(default=None, repr=False)


@dataclass(slots=True)
class ImportReport:
    """What an import did, for a message to the user."""

    imported: list[str] = field(default_factory=list)  # simdesk profile names created
    profiles: list[Profile] = field(default_factory=list)  # the profiles created (temporary if session_only)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (CLI profile, why)
    without_key: list[str] = field(default_factory=list)  # imported, but the CLI had no key
    plaintext_file: Path | None = None  # the credentials file that still holds the keys
    session_only: bool = False

    def message(self) -> str:
        """A short summary that ends with the plaintext warning when keys were moved."""
        parts: list[str] = []
        if self.imported:
            where = "kept for this session only" if self.session_only else "now in the system keyring"
            parts.append(f"Imported {len(self.imported)} profile(s) from the sim CLI: {', '.join(self.imported)}.")
            keyed = [n for n in self.imported if n not in self.without_key]
            if keyed:
                parts.append(f"Their keys are {where}.")
        else:
            parts.append("No profiles were imported from the sim CLI.")
        if self.without_key:
            parts.append(f"No key was found for: {', '.join(self.without_key)}.")
        for name, why in self.skipped:
            parts.append(f"Skipped {name!r}: {why}.")
        if self.plaintext_file is not None and len(self.imported) > len(self.without_key):
            parts.append(
                f"{self.plaintext_file} still holds these keys in plain text; delete it (or run "
                "`sim logout`) if you no longer use the CLI."
            )
        return " ".join(parts)


def cli_files(environ: Mapping[str, str], home: Path | None = None) -> tuple[Path, Path]:
    """``(config, credentials)`` paths, honouring the CLI's environment overrides."""
    base = Path(environ["SIM_CONFIG_DIR"]) if environ.get("SIM_CONFIG_DIR") else (home or Path.home()) / ".sim"
    config = Path(environ["SIM_CONFIG_FILE"]) if environ.get("SIM_CONFIG_FILE") else base / "config"
    credentials = Path(environ["SIM_CREDENTIALS_FILE"]) if environ.get("SIM_CREDENTIALS_FILE") else base / "credentials"
    return config, credentials


def parse_ini(text: str) -> dict[str, dict[str, str]]:
    """Sections → keys → values, as the CLI reads them (comments skipped, first value wins)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if line.lstrip().startswith(("#", ";")):
            continue
        header = _SECTION.match(line)
        if header:
            current = sections.setdefault(header.group(1).strip(), {})
            continue
        pair = _KEY_VALUE.match(line)
        if pair and current is not None:
            current.setdefault(pair.group(1), pair.group(2))
    return sections


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        return parse_ini(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def read_cli_profiles(config_path: Path, credentials_path: Path) -> list[CliProfile]:
    """Every profile either file names, sorted by name (``default`` first)."""
    config = _read(config_path)
    credentials = _read(credentials_path)
    settings: dict[str, dict[str, str]] = {}
    for section, values in config.items():
        if section == CLI_DEFAULT_PROFILE:
            settings[CLI_DEFAULT_PROFILE] = values
        elif section.startswith("profile "):
            settings[section[len("profile ") :].strip()] = values
    names = sorted(set(settings) | set(credentials), key=lambda n: (n != CLI_DEFAULT_PROFILE, n))
    profiles = []
    for name in names:
        values = settings.get(name, {})
        # auth_profile: this profile signs in with another profile's key.
        key_section = values.get("auth_profile") or name
        key = credentials.get(key_section, {}).get("api_key") or None
        endpoint = values.get("endpoint") or "https://sim.ai"
        profiles.append(CliProfile(name, endpoint, values.get("workspace") or None, key))
    return profiles


def plan_import(
    cli_profiles: list[CliProfile],
    taken: Iterable[str],
    colors: Iterable[str],
    *,
    credentials_path: Path | None = None,
    session_only: bool = False,
) -> tuple[list[tuple[Profile, str | None]], ImportReport]:
    """The simdesk profiles (with their keys) an import would create, and its report.

    Pure: nothing is stored. Names are made unique against ``taken``; colours continue from
    ``colors``; the CLI's ``default`` profile is called "sim CLI".
    """
    report = ImportReport(plaintext_file=credentials_path, session_only=session_only)
    names = list(taken)
    used_colors = list(colors)
    planned: list[tuple[Profile, str | None]] = []
    for cli in cli_profiles:
        name = unique_name(cli.name if cli.name != CLI_DEFAULT_PROFILE else "sim CLI", names)
        endpoint = DEFAULT_BASE_URL if _APEX.match(cli.endpoint.strip()) else cli.endpoint
        try:
            profile = Profile.create(name, endpoint, cli.workspace, next_color(used_colors), temporary=session_only)
        except ProfileError as exc:
            report.skipped.append((cli.name, str(exc).rstrip(".")))
            continue
        if not cli.api_key:
            report.without_key.append(profile.name)
        planned.append((profile, cli.api_key))
        names.append(profile.name)
        used_colors.append(profile.color)
        report.imported.append(profile.name)
        report.profiles.append(profile)
    return planned, report


def store_keys(planned: list[tuple[Profile, str | None]], secrets: Secrets, *, session_only: bool = False) -> None:
    """Put every planned key in the keyring (or session memory). May block: run off the GUI thread.

    Raises :class:`~simdesk.core.secrets.SecretStoreUnavailable` at the first keyring failure.
    """
    for profile, key in planned:
        if not key:
            continue
        if session_only:
            secrets.set_for_session(profile.name, key)
        else:
            secrets.set(profile.name, key)


def import_cli_profiles(
    cli_profiles: list[CliProfile],
    store: ProfileStore,
    secrets: Secrets,
    *,
    credentials_path: Path | None = None,
    session_only: bool = False,
) -> ImportReport:
    """Create one simdesk profile per CLI profile, its key in the keyring (or session memory).

    Every key is stored before any profile is saved, so a keyring failure
    (:class:`~simdesk.core.secrets.SecretStoreUnavailable`) leaves the profile file untouched.
    With ``session_only`` nothing reaches the disk (the caller keeps the temporary profiles).
    """
    planned, report = plan_import(
        cli_profiles,
        store.names(),
        [p.color for p in store.profiles()],
        credentials_path=credentials_path,
        session_only=session_only,
    )
    store_keys(planned, secrets, session_only=session_only)
    if not session_only:
        for profile, _key in planned:
            store.put(profile)
    for profile, _key in planned:
        log.info("imported sim CLI profile %s (%s)", profile.name, profile.base_url)
    return report
