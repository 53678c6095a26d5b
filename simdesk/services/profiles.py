"""The profiles the app knows of, which one is active, and saving them with their keys.

Saved profiles come from :class:`simdesk.core.profiles.ProfileStore`; temporary ones (the
environment's ``SIM_API_KEY``, the demo sandbox, profiles whose key is for this session only)
live here in memory. Keyring writes run in a worker thread; their outcome comes back as signals,
so dialogs never wait on D-Bus or an unlock prompt.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import replace

from PySide6.QtCore import QObject, Signal, Slot

from simdesk.core.profiles import (
    DEMO_COLOR,
    DEMO_PROFILE,
    Profile,
    ProfileError,
    ProfileStore,
    with_base_url,
)
from simdesk.core.secrets import Secrets, SecretStoreUnavailable
from simdesk.services.clients import ClientPool
from simdesk.services.executors import run_blocking
from simdesk.services.messages import MessageBus
from simdesk.services.settings import ACTIVE_PROFILE, Settings
from simdesk.services.tasks import TaskSet

log = logging.getLogger("simdesk.services.profiles")


class ProfileService(QObject):
    """Profiles, the active one, and their keys.

    Signals:
        profiles_changed(): the list (or a profile in it) changed.
        active_changed(str name): the active profile changed ("" when there is none).
        saved(str name, bool session_only): a profile and its key were stored.
        renamed(str old, str new): a saved profile was renamed (before it is re-activated under
            its new name), so what is kept per name can follow it.
        removed(str name): a profile and its key are gone.
        default_workspace_changed(str name): a save gave the profile another default workspace:
            a fresh, explicit choice that outranks the workspace last picked in the browser
            (sent before the profile is re-activated).
        key_store_unavailable(object profile, str message): the keyring refused a key; ``profile``
            is the :class:`Profile` being saved (``None`` for a CLI import). Offer a session key.
        failed(str message): a save, removal or import failed; the message is for the user.
        imported(str message): a CLI import finished; the message says what it did.
    """

    profiles_changed = Signal()
    active_changed = Signal(str)
    saved = Signal(str, bool)
    renamed = Signal(str, str)
    removed = Signal(str)
    default_workspace_changed = Signal(str)
    key_store_unavailable = Signal(object, str)
    failed = Signal(str)
    imported = Signal(str)

    def __init__(
        self,
        store: ProfileStore,
        secrets: Secrets,
        settings: Settings,
        pool: ClientPool,
        messages: MessageBus,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._secrets = secrets
        self._settings = settings
        self._pool = pool
        self._messages = messages
        self._temporary: list[Profile] = []
        self._tasks = TaskSet()
        self._active = ""

    # --- reading ------------------------------------------------------------------------------

    def profiles(self) -> list[Profile]:
        """Saved profiles, then temporary ones."""
        return [*self._store.profiles(), *self._temporary]

    def names(self) -> list[str]:
        return [p.name for p in self.profiles()]

    def get(self, name: str) -> Profile | None:
        return next((p for p in self.profiles() if p.name == name), None)

    def active(self) -> Profile | None:
        return self.get(self._active) if self._active else None

    def active_name(self) -> str:
        return self._active

    def is_session_only(self, name: str) -> bool:
        """True when ``name``'s key is kept in memory only."""
        return self._secrets.is_session_only(name)

    # --- the active profile -------------------------------------------------------------------

    @Slot(str)
    def set_active(self, name: str, *, persist: bool = True) -> None:
        """Make ``name`` active (remembered for the next start when it is a saved profile)."""
        profile = self.get(name)
        if profile is None or name == self._active:
            return
        self._active = name
        if persist and not profile.temporary:
            self._settings.set(ACTIVE_PROFILE, name)
        log.info("active profile: %s", name)
        self.active_changed.emit(name)

    def restore_active(self) -> None:
        """Open on the remembered profile, else the first one (if any)."""
        wanted = self._settings.get(ACTIVE_PROFILE)
        names = self.names()
        if wanted in names:
            self.set_active(wanted, persist=False)
        elif names:
            self.set_active(names[0], persist=False)

    def _after_change(self, removed: str | None = None) -> None:
        if removed is not None and removed == self._active:
            self._active = ""
            names = self.names()
            if names:
                self.set_active(names[0])
            else:
                self.active_changed.emit("")
        self.profiles_changed.emit()

    # --- temporary profiles -------------------------------------------------------------------

    def add_temporary(self, profile: Profile, key: str | None) -> Profile:
        """Add (or replace) a profile that is never saved; its key stays in memory."""
        profile = replace(profile, temporary=True)
        self._temporary = [p for p in self._temporary if p.name != profile.name] + [profile]
        if key:
            self._secrets.set_for_session(profile.name, key)
        self.profiles_changed.emit()
        return profile

    def use_demo(self, base_url: str, key: str, *, activate: bool = True) -> Profile:
        """Create or reuse the "Demo" profile, pointing at the running sandbox, and activate it.

        The demo key is public and only valid for the sandbox, so it is kept in session memory,
        never in the keyring. The active choice is not remembered: the sandbox is gone next time.
        """
        existing = self._store.get(DEMO_PROFILE)
        if existing is None:
            profile = Profile.create(DEMO_PROFILE, base_url, color=DEMO_COLOR)
        else:
            profile = with_base_url(existing, base_url)
        try:
            self._store.put(profile, replacing=DEMO_PROFILE if existing else None)
        except OSError as exc:  # a read-only data dir must not stop the demo
            log.warning("could not save the Demo profile: %s", exc)
            profile = self.add_temporary(profile, None)
        self._secrets.set_for_session(DEMO_PROFILE, key)
        self.profiles_changed.emit()
        if activate:
            self.set_active(DEMO_PROFILE, persist=False)
        return profile

    # --- saving and removing --------------------------------------------------------------------

    def _check_name_free(self, profile: Profile, replacing: str | None) -> None:
        if profile.name != (replacing or profile.name) or replacing is None:
            clash = self.get(profile.name)
            if clash is not None and profile.name != replacing:
                raise ProfileError(f"A profile named {profile.name!r} already exists.")

    def save(self, profile: Profile, key: str | None, replacing: str | None = None) -> asyncio.Future[None]:
        """Store ``profile`` (replacing the one named ``replacing``) and its new ``key``, if any,
        in the background (``saved``, or ``failed`` / ``key_store_unavailable``).

        ``key=None`` keeps the current key (moved along if the profile was renamed).
        """
        return self._tasks.spawn(self._save(profile, key, replacing))

    async def _save(self, profile: Profile, key: str | None, replacing: str | None) -> None:
        try:
            # Plain http to another host is saved only with the user's consent (the dialog's box).
            profile.check_transport()
            self._check_name_free(profile, replacing)
            before = self._store.get(replacing or profile.name)
            if key:
                await run_blocking(self._secrets.set, profile.name, key)
            elif replacing and replacing != profile.name:
                await run_blocking(self._secrets.rename, replacing, profile.name)
            self._temporary = [p for p in self._temporary if p.name not in (profile.name, replacing)]
            self._store.put(replace(profile, temporary=False), replacing=replacing)
            if replacing and replacing != profile.name and self._store.get(replacing) is not None:
                self._store.remove(replacing)
        except SecretStoreUnavailable as exc:
            log.warning("keyring unavailable while saving profile %s: %s", profile.name, exc.detail)
            self.key_store_unavailable.emit(profile, str(exc))
            return
        except (ProfileError, ValueError, OSError) as exc:
            self.failed.emit(str(exc))
            return
        await self._pool.discard(profile.name)
        if replacing:
            await self._pool.discard(replacing)
            if replacing != profile.name:
                self.renamed.emit(replacing, profile.name)
        if before is not None and before.default_workspace_id != profile.default_workspace_id:
            self.default_workspace_changed.emit(profile.name)
        was_active = replacing is not None and replacing == self._active
        if was_active and replacing != profile.name:
            self._active = ""
            self.set_active(profile.name)
        self.profiles_changed.emit()
        self.saved.emit(profile.name, False)
        if was_active and replacing == profile.name:
            self.active_changed.emit(profile.name)  # same name, new URL or key: re-check

    def use_session_key(self, profile: Profile, key: str, replacing: str | None = None) -> None:
        """The keyring is unavailable and the user accepted a key for this session only.

        Nothing is written: a new profile becomes temporary; an existing saved profile keeps its
        saved fields and gets the in-memory key.
        """
        try:
            self._check_name_free(profile, replacing)
            saved = self._store.get(profile.name)
            if saved is None or (replacing and replacing != profile.name):
                self._temporary = [p for p in self._temporary if p.name not in (profile.name, replacing)]
                self._temporary.append(replace(profile, temporary=True))
            self._secrets.set_for_session(profile.name, key)
        except (ProfileError, ValueError) as exc:
            self.failed.emit(str(exc))
            return
        self._tasks.spawn(self._pool.discard(profile.name))
        self.profiles_changed.emit()
        self.saved.emit(profile.name, True)
        if profile.name == self._active:
            self.active_changed.emit(profile.name)

    def remove(self, name: str) -> asyncio.Future[None]:
        """Forget profile ``name`` and delete its key from the keyring (in the background; ``removed``)."""
        return self._tasks.spawn(self._remove(name))

    async def _remove(self, name: str) -> None:
        if self.get(name) is None:
            return
        try:
            await run_blocking(self._secrets.delete, name)
        except SecretStoreUnavailable as exc:
            # The profile goes anyway; say that a key may remain in the keyring.
            self._messages.send_error(f"The key of {name!r} could not be removed from the keyring. {exc}")
        self._temporary = [p for p in self._temporary if p.name != name]
        try:
            self._store.remove(name)
        except OSError as exc:
            self.failed.emit(f"Could not update the profile file: {exc}")
            return
        await self._pool.discard(name)
        self.removed.emit(name)
        self._after_change(removed=name)

    # --- the official CLI -----------------------------------------------------------------------

    def import_from_cli(self, session_only: bool = False) -> asyncio.Future[None]:
        """Import the sim CLI's profiles, keys into the keyring (or memory if ``session_only``), in
        the background (``imported``)."""
        return self._tasks.spawn(self._import_from_cli(session_only))

    async def _import_from_cli(self, session_only: bool) -> None:
        from simdesk.core import sim_cli_import  # on first use: start-up is benchmarked

        config, credentials = sim_cli_import.cli_files(os.environ)
        try:
            found = await run_blocking(sim_cli_import.read_cli_profiles, config, credentials)
            if not found:
                self.imported.emit(f"No sim CLI profiles found in {config} or {credentials}.")
                return
            planned, report = sim_cli_import.plan_import(
                found,
                self.names(),
                [p.color for p in self.profiles()],
                credentials_path=credentials if credentials.exists() else None,
                session_only=session_only,
            )
            await run_blocking(sim_cli_import.store_keys, planned, self._secrets, session_only=session_only)
            if not session_only:
                for profile, _key in planned:
                    self._store.put(profile)
        except SecretStoreUnavailable as exc:
            self.key_store_unavailable.emit(None, str(exc))
            return
        except (OSError, ValueError) as exc:
            self.failed.emit(f"Could not import the sim CLI profiles: {exc}")
            return
        if session_only:
            self._temporary.extend(report.profiles)
        self.profiles_changed.emit()
        if not self._active and report.profiles:
            self.set_active(report.profiles[0].name)
        self.imported.emit(report.message())
