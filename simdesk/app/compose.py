"""The composition root: settings, services and the window, and the parts built after the first paint.

``simdesk`` opens the window on the remembered profile; ``simdesk --demo`` first starts the
embedded sandbox (:mod:`simdesk.app.demo`) and opens on a "Demo" profile pointing at it.
:func:`compose` builds what the window needs to show; :meth:`AppContext.install_after_paint`
builds the job tracker, the workbench and the usage meter once it is painted (their modules take
longer to import than the whole window), each given what it uses from the others as arguments.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simdesk import __version__
from simdesk.app.demo import DemoSandbox
from simdesk.core.aside import move_escaping_link
from simdesk.core.profiles import ProfileError, profile_from_env
from simdesk.services.executors import Executors

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    from simdesk.app.batches import BatchesWiring
    from simdesk.app.jobs import JobsWiring
    from simdesk.app.knowledge import KnowledgeWiring
    from simdesk.app.logs import LogsWiring
    from simdesk.app.usage import UsageWiring
    from simdesk.app.workbench import Workbench
    from simdesk.core.logsetup import RedactionFilter
    from simdesk.core.paths import AppPaths
    from simdesk.core.secrets import Secrets
    from simdesk.sandbox.server import RunningSandbox
    from simdesk.services.clients import ClientFactory, ClientPool
    from simdesk.services.connection import ConnectionService
    from simdesk.services.jobs.service import JobService
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import Settings
    from simdesk.ui.main_window import MainWindow
    from simdesk.ui.theme import ThemeController

log = logging.getLogger("simdesk.app")


@dataclass
class AppContext:
    """Everything :func:`compose` built, for :func:`run_app` and for tests."""

    app: QApplication
    paths: AppPaths
    settings: Settings
    secrets: Secrets
    messages: MessageBus
    pool: ClientPool
    profiles: ProfileService
    connection: ConnectionService
    theme: ThemeController
    window: MainWindow
    quit_event: asyncio.Event = field(default_factory=asyncio.Event)
    background: set[asyncio.Future[Any]] = field(default_factory=set)  # kept so they are not collected
    demo: DemoSandbox | None = None
    # built after the first paint, by install_after_paint
    jobs: JobsWiring | None = None  # the job tracker: panel, service, notifications, tray
    workbench: Workbench | None = None  # the workflows browser and the run console
    usage: UsageWiring | None = None  # the usage meter: panel, status-bar summary, warnings
    knowledge: KnowledgeWiring | None = None  # the knowledge and workspace panels
    logs: LogsWiring | None = None  # every run of a workspace, its trace, compare
    batches: BatchesWiring | None = None  # batch runs: panel, service, status-bar progress
    executors: Executors = field(default_factory=Executors)  # the app's thread pools (the loop's too)

    def start(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        profile: str | None = None,
        demo: tuple[str, str] | None = None,
        restore: bool = True,
        check: bool = True,
    ) -> None:
        """Pick the active profile, show the window, and (with ``check``) test the connection.

        ``demo`` is ``(base_url, key)`` of a running sandbox (:meth:`start_demo` starts one
        after the first paint instead). Precedence: ``profile`` (``--profile``), the demo, the
        environment's ``SIM_API_KEY``, then (with ``restore``) the profile remembered from last
        time.
        """
        from simdesk.services.settings import CHECK_ON_SWITCH

        try:
            env = profile_from_env(os.environ if environ is None else environ)
        except ProfileError as exc:
            env = None
            self.messages.send_error(f"SIM_BASE_URL is not usable: {exc}")
        if env is not None:
            self.profiles.add_temporary(*env)
            self.profiles.set_active(env[0].name, persist=False)
        if demo is not None:
            self.profiles.use_demo(*demo)
        if profile:
            if self.profiles.get(profile) is not None:
                self.profiles.set_active(profile, persist=False)
            else:
                self.messages.send_error(f"There is no profile named {profile!r}; opening on another one.")
        if restore and not self.profiles.active_name():
            self.profiles.restore_active()

        def on_switch(name: str) -> None:
            if name and self.settings.get(CHECK_ON_SWITCH):
                self.connection.check(name)

        self.profiles.active_changed.connect(on_switch)
        self.window.refresh_requested.connect(lambda: None)  # panels connect here as they land
        self.window.quit_requested.connect(self.quit_event.set)
        self.window.restore_layout()
        self.window.show()
        if check:
            self.check_active()

    def check_active(self) -> None:
        """Test the active profile's connection (if there is one)."""
        if self.profiles.active_name():
            self.connection.check(self.profiles.active_name())

    def start_demo(self, *, activate: bool = True) -> DemoSandbox:
        """Start the embedded sandbox; the Demo profile points at it once it answers."""
        self.demo = DemoSandbox()
        if activate:
            self.window.status.set_no_connection("Starting the demo sandbox…")
        task = asyncio.ensure_future(self._use_demo(self.demo.future, activate))
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return self.demo

    async def _use_demo(self, sandbox: concurrent.futures.Future[RunningSandbox], activate: bool) -> None:
        try:
            running = await asyncio.wrap_future(sandbox)
        except Exception as exc:
            self.messages.send_error(f"The demo sandbox did not start: {exc}", exc=exc)
            return
        log.info("demo sandbox at %s", running.base_url)
        self.profiles.use_demo(running.base_url, running.api_key, activate=activate)

    def install_after_paint(self) -> None:
        """The job tracker, the workbench, the knowledge panels, the logs explorer, the batches and
        the usage meter, wired to each other, and started."""
        jobs = self.install_jobs()
        workbench = self.install_workbench(jobs=jobs.service)  # "Run in background" goes to the tracker
        self.install_knowledge(workbench)  # follows the workspace chosen in the workflows browser
        self.install_logs(workbench, jobs)  # every run of that workspace, whoever started it
        self.install_batches(workbench, jobs)  # batches left running come back paused
        jobs.begin()  # reattach to unfinished background runs, then poll
        self.install_usage(tray=jobs.tray.tray)  # the meter's warnings and tooltip use the tracker's tray

    def install_jobs(self) -> JobsWiring:
        """The job tracker: panel, service, notifications and tray (not polling until ``begin``)."""
        from simdesk.app.jobs import install_jobs

        self.jobs = install_jobs(
            paths=self.paths, settings=self.settings, profiles=self.profiles, pool=self.pool,
            messages=self.messages, window=self.window,
        )  # fmt: skip
        return self.jobs

    def install_workbench(self, jobs: JobService | None = None) -> Workbench:
        """The workflows browser and the run console; ``jobs`` takes "Run in background" runs."""
        from simdesk.app.workbench import install_workbench

        self.workbench = install_workbench(
            self.window, self.profiles, self.pool, self.connection, self.paths.data, self.settings,
            history_reads=self.executors.history_reads, jobs=jobs,
        )  # fmt: skip
        if self.workbench.history.problem is not None:
            self.messages.send_error(self.workbench.history.problem.message)
        return self.workbench

    def install_knowledge(self, workbench: Workbench) -> KnowledgeWiring:
        """The knowledge and workspace panels, following ``workbench``'s chosen workspace."""
        from simdesk.app.knowledge import install_knowledge

        self.knowledge = install_knowledge(self.window, self.profiles, self.pool, workbench.catalogue, self.settings)
        return self.knowledge

    def install_logs(self, workbench: Workbench, jobs: JobsWiring | None = None) -> LogsWiring:
        """The logs explorer, following ``workbench``'s workspace; runs still going can be handed to
        ``jobs`` to track."""
        from simdesk.app.logs import install_logs

        self.logs = install_logs(
            paths=self.paths, profiles=self.profiles, pool=self.pool, messages=self.messages,
            window=self.window, workbench=workbench, jobs=jobs,
        )  # fmt: skip
        return self.logs

    def install_batches(self, workbench: Workbench | None = None, jobs: JobsWiring | None = None) -> BatchesWiring:
        """Batch runs: panel, service, status-bar progress. A row opens in ``workbench``'s console;
        the end of a batch is told through ``jobs``' tray when the window is not in front."""
        from simdesk.app.batches import install_batches

        tray = jobs.tray if jobs is not None else None
        self.batches = install_batches(
            paths=self.paths, profiles=self.profiles, pool=self.pool, messages=self.messages, window=self.window,
            workbench=workbench,
            notify=(lambda title, text: tray.notify(title, text, "", "")) if tray is not None else None,
        )  # fmt: skip
        return self.batches

    def install_usage(self, tray: QSystemTrayIcon | None = None) -> UsageWiring:
        """The usage meter (panel, status-bar summary, warnings, history), following the active
        profile; its warnings and summary also go to ``tray`` when there is one."""
        from simdesk.app.usage import install_usage

        self.usage = install_usage(
            paths=self.paths, settings=self.settings, profiles=self.profiles, pool=self.pool,
            messages=self.messages, window=self.window, theme=self.theme, tray=tray,
        )  # fmt: skip
        self.usage.begin()
        return self.usage

    async def shutdown(self, *, cancel_tasks: bool = True) -> None:
        """Cancel pending work, close every HTTP client, save the layout, close the window."""
        from simdesk.services.eventloop import cancel_pending

        log.info("shutting down")
        self.window.request_quit()  # saves the layout (once)
        self.window.hide()  # gone at once; the rest happens behind the scenes
        if cancel_tasks:
            await cancel_pending()
        if self.jobs is not None:
            await self.jobs.aclose()  # stop polling and close the job store before the clients go
        if self.usage is not None:
            await self.usage.aclose()  # stop the meter's refresh and close its history
        if self.logs is not None:
            await self.logs.aclose()  # stop live mode, close the logs cache
        if self.batches is not None:
            await self.batches.aclose()  # stop the runners where they are; resumed at the next start
        if self.workbench is not None:
            await self.workbench.aclose()  # stop a run, commit the run history
        await self.pool.aclose()
        self.settings.sync()
        self.window.close()
        self.window.deleteLater()


def compose(
    app: QApplication,
    paths: AppPaths,
    *,
    secrets: Secrets | None = None,
    client_factory: ClientFactory | None = None,
    redaction: RedactionFilter | None = None,
) -> AppContext:
    """Build settings, services and the window, wired together (nothing shown or started yet)."""
    from simdesk.core.profiles import ProfileStore
    from simdesk.core.secrets import Secrets
    from simdesk.services.clients import ClientPool
    from simdesk.services.connection import ConnectionService
    from simdesk.services.messages import MessageBus
    from simdesk.services.profiles import ProfileService
    from simdesk.services.settings import THEME, Settings
    from simdesk.services.usage_budget import budgeted_factory
    from simdesk.ui.fonts import use_colour_emoji
    from simdesk.ui.main_window import MainWindow
    from simdesk.ui.theme import ThemeController
    from simdesk.ui.wheel_guard import install_wheel_guard

    # QSettings writes through a link to its target: a link out of its folder is set aside first
    moved = [move_escaping_link(f, "settings") for f in (paths.settings_file, paths.state_file)]
    settings = Settings.at(paths.settings_file, paths.state_file)
    theme = ThemeController(app)
    install_wheel_guard(app)  # scrolling a panel never changes a spin box or combo box
    theme.set_mode(settings.get(THEME))
    use_colour_emoji()
    secrets = secrets if secrets is not None else Secrets()
    if redaction is not None:
        redaction.known = secrets.known_keys
    messages = MessageBus()
    pool = ClientPool(secrets, client_factory or budgeted_factory)  # one request budget per profile
    for problem in moved:
        if problem is not None:
            messages.send_error(problem.message)
    profile_store = ProfileStore(paths.profiles_file)
    if profile_store.problem is not None:  # kept in messages.recent until the window shows it
        messages.send_error(profile_store.problem)
    profiles = ProfileService(profile_store, secrets, settings, pool, messages)
    connection = ConnectionService(profiles, pool)
    window = MainWindow(settings, profiles, connection, messages, theme, paths, __version__)
    # The services live as long as the window; parenting them keeps them alive with it.
    for service in (settings, messages, profiles, connection, theme):
        service.setParent(window)
    ctx = AppContext(app, paths, settings, secrets, messages, pool, profiles, connection, theme, window)
    return ctx
