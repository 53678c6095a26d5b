"""The Jobs panel's banner for runs whose profile no longer exists (a session-only profile after
a restart, a removed one): they cannot be checked, so the banner says so plainly, keeps their
stored results, and offers to attach them to another profile or to delete them (after a yes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from simdesk.core.jobs.format import missing_profile
from simdesk.core.jobs.model import Job
from simdesk.services.jobs.service import JobService
from simdesk.ui.icons import icon

Confirm = Callable[[QWidget, str, str], bool]


def orphans(jobs: Sequence[Job], profiles: Sequence[str]) -> dict[str, list[Job]]:
    """Jobs by profile, for the profiles not in ``profiles`` (none when no profile is known at all)."""
    known = set(profiles)
    found: dict[str, list[Job]] = {}
    if known:
        for job in jobs:
            if job.profile not in known:
                found.setdefault(job.profile, []).append(job)
    return found


class OrphanBanner(QFrame):
    """Shown above the jobs table while some jobs belong to a profile that no longer exists."""

    def __init__(self, service: JobService, confirm: Confirm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobsOrphanBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.service = service
        self._confirm = confirm
        self._orphans: dict[str, list[Job]] = {}
        self.text = QLabel(self)
        self.text.setObjectName("jobsOrphans")
        self.text.setWordWrap(True)
        self.target = QComboBox(self)
        self.target.setObjectName("jobsOrphanTarget")
        self.target.setAccessibleName("Profile to attach these runs to")
        self.attach_button = QPushButton("Attach", self)
        self.attach_button.setObjectName("jobsOrphanAttach")
        self.attach_button.setToolTip("Check these runs with the chosen profile (same server, another key)")
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("jobsOrphanDelete")
        self.delete_button.setToolTip("Forget these runs and their stored results")
        sign = QLabel(self)
        sign.setPixmap(icon("info").pixmap(QSize(18, 18)))
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addWidget(QLabel("Attach them to", self))
        actions.addWidget(self.target, 1)
        actions.addWidget(self.attach_button)
        actions.addWidget(self.delete_button)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.text)
        column.addLayout(actions)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(sign, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        self.attach_button.clicked.connect(self.attach)
        self.delete_button.clicked.connect(self.delete)
        self.setVisible(False)

    def show_jobs(self, jobs: Sequence[Job], profiles: Sequence[str]) -> None:
        """Say which jobs lost their profile (hidden when none did)."""
        self._orphans = orphans(jobs, profiles)
        lines = []
        for profile, lost in sorted(self._orphans.items()):
            runs = f"{len(lost)} run{'s' if len(lost) != 1 else ''}"
            lines.append(f"{missing_profile(profile)}: its {runs} cannot be checked; stored results are kept.")
        self.text.setText("\n".join(lines))
        current = self.target.currentText()
        self.target.clear()
        self.target.addItems(list(profiles))
        if current in profiles:
            self.target.setCurrentText(current)
        self.setVisible(bool(lines))

    def missing(self) -> list[str]:
        """The profiles that no longer exist, as last shown."""
        return sorted(self._orphans)

    def _ids(self) -> list[str]:
        return [job.id for lost in self._orphans.values() for job in lost]

    def attach(self) -> bool:
        """Move every orphaned job to the chosen profile; True when done."""
        profile = self.target.currentText()
        ids = self._ids()
        if not profile or not ids:
            return False
        self.service.reassign(ids, profile)
        return True

    def delete(self) -> bool:
        """Forget every orphaned job, after a yes; True when deleted."""
        ids = self._ids()
        if not ids:
            return False
        names = ", ".join(f"“{p}”" for p in sorted(self._orphans))
        text = (
            f"Forget the {len(ids)} run{'s' if len(ids) != 1 else ''} of {names} and their stored results? "
            "Runs still going on Sim keep going there."
        )
        if not self._confirm(self, "Delete jobs", text):
            return False
        self.service.delete(ids)
        return True
