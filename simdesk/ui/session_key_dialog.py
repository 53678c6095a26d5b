"""Asked when the keyring is unavailable: use the key for this session only, or cancel.

The message names the fix (install/unlock gnome-keyring or KWallet…). Accepting keeps the key in
memory until simdesk quits; nothing is written to disk.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.secrets import SESSION_HINT
from simdesk.ui.icons import icon


class SessionKeyDialog(QDialog):
    """Explains the problem and offers the session-only key.

    With ``ask_key`` the dialog also has a key field (e.g. when the key could not be *read* at
    start-up); otherwise the caller already holds the key the user typed.
    """

    def __init__(self, message: str, *, ask_key: bool = False, subject: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sessionKeyDialog")
        self.setWindowTitle("System keyring unavailable")
        self.setAccessibleName("System keyring unavailable")
        self.setModal(True)
        picture = QLabel(self)
        picture.setPixmap(icon("key").pixmap(QSize(36, 36)))
        picture.setAlignment(Qt.AlignmentFlag.AlignTop)
        # The offer below says it in full; the keyring's message ends with a short version of it.
        self.message = QLabel(message.replace(SESSION_HINT, "").strip(), self)
        self.message.setObjectName("sessionKeyMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        what = f" for {subject}" if subject else ""
        note = QLabel(
            f"Use the key{what} for this session only? It stays in memory until simdesk quits; "
            "nothing is written to disk, and you will be asked again next time.",
            self,
        )
        note.setWordWrap(True)
        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("sessionKeyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("sk-sim-…")
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setToolTip("Paste the API key; it is kept in memory only")
        self.key_edit.setVisible(ask_key)
        self.buttons = QDialogButtonBox(self)
        self.use_button = self.buttons.addButton("Use for this session only", QDialogButtonBox.ButtonRole.AcceptRole)
        self.use_button.setObjectName("useSessionKey")
        self.use_button.setAccessibleName("Use the key for this session only")
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if ask_key:
            self.use_button.setEnabled(False)
            self.key_edit.textChanged.connect(lambda text: self.use_button.setEnabled(bool(text.strip())))
        text_column = QVBoxLayout()
        text_column.addWidget(self.message)
        text_column.addWidget(note)
        text_column.addWidget(self.key_edit)
        row = QHBoxLayout()
        row.addWidget(picture)
        row.addSpacing(8)
        row.addLayout(text_column, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def key(self) -> str:
        """The key typed here (only with ``ask_key``)."""
        return self.key_edit.text().strip()
