"""Help → About: version, versions of what it runs on, and where its files are."""

from __future__ import annotations

import platform
import sys
from html import escape

import PySide6
from PySide6.QtCore import QSize, Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from simdesk.core.paths import AppPaths
from simdesk.ui.icons import app_icon


class AboutDialog(QDialog):
    """Non-modal; closes with Esc or the button."""

    def __init__(self, version: str, paths: AppPaths, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About simdesk")
        self.setAccessibleName("About simdesk")
        picture = QLabel(self)
        picture.setPixmap(app_icon().pixmap(QSize(72, 72)))
        picture.setAlignment(Qt.AlignmentFlag.AlignTop)
        text = QLabel(self)
        text.setObjectName("aboutText")
        text.setTextFormat(Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        text.setOpenExternalLinks(True)
        text.setText(
            f"<h2>simdesk {escape(version)}</h2>"
            "<p>A desktop app for people who build workflows on Sim:<br>"
            "browse, run, stream, track and meter.</p>"
            f"<p>Python {escape(platform.python_version())} · Qt {escape(qVersion())} · "
            f"PySide6 {escape(PySide6.__version__)} · {escape(sys.platform)}</p>"
            f"<p>Data: <code>{escape(str(paths.data))}</code><br>"
            f"Settings: <code>{escape(str(paths.config))}</code><br>"
            f"Logs: <code>{escape(str(paths.logs))}</code></p>"
            "<p>API keys are kept in the system keyring only.</p>"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        row = QHBoxLayout()
        row.addWidget(picture)
        row.addSpacing(12)
        row.addWidget(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(buttons)
