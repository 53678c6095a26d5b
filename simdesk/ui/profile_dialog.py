"""File → Profiles… (Ctrl+,): add, edit, test and remove profiles; keys go to the keyring.

The dialog never touches the keyring or the network itself: it calls :class:`ProfileService`
and :class:`ConnectionService` slots and shows what their signals report. A typed key is sent
once, with "Save" or "Test connection", and the field is cleared after a save; the dialog never
shows a stored key.

A base URL of plain ``http://`` to another host (a self-hosted Sim on the LAN) would send the key
unencrypted: the "Allow unencrypted HTTP" box appears for such a URL only, and until it is ticked
the reason is shown under the form and Save / Test connection refuse the draft.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.base_url import DEFAULT_BASE_URL
from simdesk.core.hosts import insecure_http_host
from simdesk.core.profiles import (
    COLORS,
    Profile,
    ProfileError,
    insecure_http_reason,
    next_color,
    normalize_base_url,
    unique_name,
)
from simdesk.services.connection import ConnectionService
from simdesk.services.profiles import ProfileService
from simdesk.ui import format as fmt
from simdesk.ui.icons import color_dot, icon
from simdesk.ui.session_key_dialog import SessionKeyDialog
from simdesk.ui.theme import LIGHT, Colors

if TYPE_CHECKING:  # type-only: the result types load with the client, after start-up
    from simdesk.core.usage import ConnectionCheck

COLOR_NAMES = ("Blue", "Green", "Amber", "Red", "Violet", "Cyan", "Pink", "Slate")


class ProfileDialog(QDialog):
    """The profile editor. ``colors`` gives the status colours of the current theme."""

    def __init__(
        self,
        profiles: ProfileService,
        connection: ConnectionService,
        colors: Colors = LIGHT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("profileDialog")
        self.setWindowTitle("Profiles")
        self.setAccessibleName("Profiles")
        self._profiles = profiles
        self._connection = connection
        self._colors = colors
        self._editing: str | None = None  # name of the saved profile in the form; None = new
        self._pending: tuple[Profile, str | None, str | None] | None = None  # a save in flight
        self._testing: str | None = None  # draft name of a test in flight
        self._tested_key: str | None = None  # the key typed for that test (None: the stored one)
        self._steps: list[str] = []  # the steps of the running test, as they began
        self._rejected: tuple[str, str | None] | None = None  # (name, key) of the last key Sim refused
        self._transport_hint: str | None = None  # the plain-http reason, while the status shows it
        self.session_dialog: SessionKeyDialog | None = None

        self._build()
        profiles.profiles_changed.connect(self._reload)
        profiles.saved.connect(self._on_saved)
        profiles.key_store_unavailable.connect(self._on_key_store_unavailable)
        profiles.failed.connect(self._on_failed)
        profiles.removed.connect(self._on_removed)
        profiles.imported.connect(self._show_status)
        connection.tested.connect(self._on_tested)
        connection.test_failed.connect(self._on_test_failed)
        connection.test_step.connect(self._on_test_step)
        self._reload()
        current = profiles.active_name() or (profiles.names()[0] if profiles.names() else "")
        if current:
            self.select(current)
        else:
            self.new_profile()

    # --- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.list = QListWidget(self)
        self.list.setObjectName("profileList")
        self.list.setAccessibleName("Profiles")
        self.list.setToolTip("Your profiles; select one to edit it")
        self.list.setIconSize(QSize(12, 12))
        self.list.currentItemChanged.connect(self._on_current_changed)

        self.add_button = self._button("Add", "add", "Add a new profile (Ctrl+N)", "addProfile")
        self.add_button.setShortcut(QKeySequence.StandardKey.New)
        self.add_button.clicked.connect(self.new_profile)
        self.remove_button = self._button(
            "Remove", "remove", "Remove the selected profile and its key", "removeProfile"
        )
        self.remove_button.clicked.connect(lambda: self.remove_current())
        self.import_button = self._button(
            "Import from sim CLI", "import", "Import profiles from ~/.sim/config and ~/.sim/credentials", "importCli"
        )
        self.import_button.clicked.connect(lambda: self._profiles.import_from_cli(False))

        self.name_edit = self._line("profileName", "Profile name", "A name you recognise, e.g. Production")
        self.url_edit = self._line("baseUrl", "Base URL", "https://www.sim.ai, or your self-hosted server's address")
        self.url_edit.setPlaceholderText(DEFAULT_BASE_URL)
        self.url_edit.textChanged.connect(self._update_transport)
        self.insecure_check = QCheckBox("Allow unencrypted &HTTP (this network only)", self)
        self.insecure_check.setObjectName("allowInsecureHttp")
        self.insecure_check.setAccessibleName("Allow unencrypted HTTP")
        insecure_tip = (
            "This server is reached over plain http: your API key and every input and result travel "
            "unencrypted, so anyone on the network between you and the server can read them and use "
            "the key. Tick only for a server on a network you trust, such as your own LAN; prefer https."
        )
        self.insecure_check.setToolTip(insecure_tip)
        self.insecure_check.setAccessibleDescription(insecure_tip)
        self.insecure_check.toggled.connect(self._update_transport)
        self.workspace_edit = self._line("defaultWorkspace", "Default workspace", "Optional workspace id to open on")
        self.workspace_edit.setPlaceholderText("optional")
        self.color_combo = QComboBox(self)
        self.color_combo.setObjectName("profileColor")
        self.color_combo.setAccessibleName("Colour tag")
        self.color_combo.setToolTip("A colour to tell this profile apart in the toolbar and status bar")
        for color, label in zip(COLORS, COLOR_NAMES, strict=True):
            self.color_combo.addItem(color_dot(color), label, color)
        self.key_edit = self._line("apiKey", "API key", "Paste the key from Sim → Settings → API keys")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_state = QLabel(self)
        self.key_state.setObjectName("keyState")
        self.key_state.setProperty("muted", True)
        self.key_state.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("Base &URL:", self.url_edit)
        form.addRow("", self.insecure_check)
        form.addRow("&Workspace:", self.workspace_edit)
        form.addRow("&Colour:", self.color_combo)
        form.addRow("API &key:", self.key_edit)
        form.addRow("", self.key_state)
        self._form = form

        self.test_button = self._button(
            "Test connection", "connect", "Check the server, the key and the API (Ctrl+T)", "testConnection"
        )
        self.test_button.setShortcut(QKeySequence("Ctrl+T"))
        self.test_button.clicked.connect(self._test_clicked)
        self.save_button = self._button(
            "Save", "", "Save the profile; the key goes to the system keyring (Ctrl+S)", "saveProfile"
        )
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        actions = QHBoxLayout()
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        actions.addWidget(self.save_button)

        self.test_result = QLabel(self)
        self.test_result.setObjectName("testResult")
        self.test_result.setTextFormat(Qt.TextFormat.RichText)
        self.test_result.setWordWrap(True)
        self.test_result.setAccessibleName("Connection test result")
        self.test_result.hide()
        self.status = QLabel(self)
        self.status.setObjectName("dialogStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Status")

        editor = QVBoxLayout()
        editor.addLayout(form)
        editor.addLayout(actions)
        editor.addWidget(self.test_result)
        editor.addStretch(1)
        editor.addWidget(self.status)

        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)
        left.addWidget(self.import_button)

        columns = QHBoxLayout()
        columns.addLayout(left, 2)
        columns.addSpacing(12)
        columns.addLayout(editor, 3)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(close)
        self.resize(760, 440)

    def _button(self, text: str, icon_name: str, tip: str, name: str) -> QPushButton:
        button = QPushButton(text, self)
        if icon_name:
            button.setIcon(icon(icon_name))
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setAccessibleName(text)
        button.setAutoDefault(False)
        return button

    def _line(self, name: str, accessible: str, tip: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setToolTip(tip)
        return edit

    # --- list ------------------------------------------------------------------------------------

    def _reload(self) -> None:
        keep = self._editing
        self.list.blockSignals(True)
        self.list.clear()
        for profile in self._profiles.profiles():
            suffix = " (this session)" if profile.temporary else ""
            item = QListWidgetItem(color_dot(profile.color), profile.name + suffix)
            item.setData(Qt.ItemDataRole.UserRole, profile.name)
            item.setToolTip(profile.base_url + (" (unencrypted HTTP)" if profile.unencrypted else ""))
            self.list.addItem(item)
        self.list.blockSignals(False)
        if keep and self._profiles.get(keep):
            self._select_item(keep)

    def _select_item(self, name: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.list.blockSignals(True)
                self.list.setCurrentItem(item)
                self.list.blockSignals(False)
                return

    def select(self, name: str) -> None:
        """Show profile ``name`` in the form."""
        profile = self._profiles.get(name)
        if profile is None:
            return
        self._select_item(name)
        self._load(profile)

    def _on_current_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.select(current.data(Qt.ItemDataRole.UserRole))

    def _load(self, profile: Profile) -> None:
        self._editing = profile.name
        self.name_edit.setText(profile.name)
        self.url_edit.setText(profile.base_url)
        self.insecure_check.setChecked(profile.allow_insecure_http)
        self.workspace_edit.setText(profile.default_workspace_id or "")
        index = self.color_combo.findData(profile.color)
        self.color_combo.setCurrentIndex(max(index, 0))
        self.key_edit.clear()
        self.key_edit.setPlaceholderText("Leave empty to keep the current key")
        if self._profiles.is_session_only(profile.name):
            self.key_state.setText("The key is kept for this session only.")
        elif profile.temporary:
            self.key_state.setText("This profile lasts for this session only.")
        else:
            self.key_state.setText("Keys are stored in the system keyring, never on disk.")
        self.remove_button.setEnabled(True)
        self.test_result.hide()
        self.status.clear()
        self._update_transport()

    def new_profile(self) -> None:
        """Clear the form for a new profile."""
        self._editing = None
        self.list.clearSelection()
        self.list.setCurrentRow(-1)
        self.name_edit.setText(unique_name("New profile", self._profiles.names()))
        self.url_edit.setText(DEFAULT_BASE_URL)
        self.insecure_check.setChecked(False)  # consent is given per profile, never by default
        self.workspace_edit.clear()
        index = self.color_combo.findData(next_color(p.color for p in self._profiles.profiles()))
        self.color_combo.setCurrentIndex(max(index, 0))
        self.key_edit.clear()
        self.key_edit.setPlaceholderText("sk-sim-…")
        self.key_state.setText("The key will be stored in the system keyring, never on disk.")
        self.remove_button.setEnabled(False)
        self.test_result.hide()
        self.status.clear()
        self._update_transport()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    # --- the form → a profile ------------------------------------------------------------------------

    def draft(self) -> Profile:
        """The profile the form describes; raises ProfileError with a user-facing message.

        A remote plain-http URL needs the box ticked; the box's state is used even when hidden,
        but ``Profile.create`` keeps the consent only for a URL that needs it.
        """
        return Profile.create(
            self.name_edit.text(),
            self.url_edit.text() or DEFAULT_BASE_URL,
            self.workspace_edit.text(),
            self.color_combo.currentData(),
            allow_insecure_http=self.insecure_check.isChecked(),
        ).check_transport()

    def insecure_host(self) -> str | None:
        """The host when the typed URL is plain http to another machine (the box applies), else None."""
        try:
            url = normalize_base_url(self.url_edit.text() or DEFAULT_BASE_URL)
        except ProfileError:
            return None  # a malformed URL is explained on Save / Test connection
        return insecure_http_host(url)

    def _update_transport(self) -> None:
        """Offer the box only where it means something, and say why while it is needed but unticked."""
        host = self.insecure_host()
        needed = host is not None
        self.insecure_check.setEnabled(needed)
        self._form.setRowVisible(self.insecure_check, needed)
        if host is not None and not self.insecure_check.isChecked():
            reason = insecure_http_reason(host)
            if self.status.text() != reason:
                self._show_status(reason, error=True)
            self._transport_hint = reason
        elif self._transport_hint is not None:
            if self.status.text() == self._transport_hint:  # leave any newer message alone
                self.status.clear()
            self._transport_hint = None

    def _valid_draft(self) -> Profile | None:
        """The form's profile, or ``None`` after showing why the form is not valid."""
        try:
            return self.draft()
        except ProfileError as exc:
            self._show_status(str(exc), error=True)
            return None

    def _typed_key(self) -> str | None:
        return self.key_edit.text().strip() or None

    def _show_status(self, text: str, error: bool = False) -> None:
        color = self._colors.error if error else self._colors.text
        self.status.setStyleSheet(f"color: {color};")
        self.status.setText(text)

    # --- save ------------------------------------------------------------------------------------------

    def save(self) -> None:
        """Save the form (the key, if typed, to the keyring)."""
        profile = self._valid_draft()
        if profile is None:
            return
        key = self._typed_key()
        self._pending = (profile, key, self._editing)
        self.save_button.setEnabled(False)
        self._show_status("Saving…")
        self._profiles.save(profile, key, self._editing)

    def _on_saved(self, name: str, session_only: bool) -> None:
        if self._pending is None or self._pending[0].name != name:
            return
        had_key = self._pending[1] is not None
        rejected = self._rejected == (name, self._pending[1])
        self._pending = None
        self.save_button.setEnabled(True)
        self.key_edit.clear()
        self._editing = name
        self._reload()
        self.select(name)
        if rejected:  # saving does not make a refused key good: say so, and where to fix it
            self._show_status(
                f"Saved {name!r}, but Sim refused its key in the last test. Paste a valid key above and save again.",
                error=True,
            )
        elif session_only:
            self._show_status(f"Saved {name!r} for this session only; its key was not written anywhere.")
        elif had_key:
            self._show_status(f"Saved {name!r}; its key is in the system keyring.")
        else:
            self._show_status(f"Saved {name!r}.")

    def _on_key_store_unavailable(self, profile: object, message: str) -> None:
        if self._pending is None or not isinstance(profile, Profile) or profile.name != self._pending[0].name:
            return
        draft, key, replacing = self._pending
        dialog = SessionKeyDialog(message, ask_key=key is None, subject=repr(draft.name), parent=self)
        self.session_dialog = dialog

        def finished(result: int) -> None:
            self.session_dialog = None
            dialog.deleteLater()
            if result == QDialog.DialogCode.Accepted and (key or dialog.key()):
                self._profiles.use_session_key(draft, key or dialog.key(), replacing)
            else:
                self._pending = None
                self.save_button.setEnabled(True)
                self._show_status("Not saved: the system keyring is unavailable.", error=True)

        dialog.finished.connect(finished)
        dialog.open()

    def _on_failed(self, message: str) -> None:
        if self._pending is not None:
            self._pending = None
            self.save_button.setEnabled(True)
        self._show_status(message, error=True)

    # --- remove ----------------------------------------------------------------------------------------

    def remove_current(self, confirm: bool = True) -> None:
        """Remove the profile in the form (after asking) and its key."""
        name = self._editing
        if not name:
            return
        if confirm:
            answer = QMessageBox.question(
                self,
                "Remove profile",
                f"Remove the profile {name!r} and delete its key from the system keyring?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._show_status(f"Removing {name!r}…")
        self._profiles.remove(name)

    def _on_removed(self, name: str) -> None:
        if name == self._editing:
            self._editing = None
            names = self._profiles.names()
            if names:
                self.select(names[0])
            else:
                self.new_profile()
        self._show_status(f"Removed {name!r} and its key.")

    # --- test ------------------------------------------------------------------------------------------

    def test_connection(self) -> None:
        """Check the draft profile with the typed key (or its stored key)."""
        profile = self._valid_draft()
        if profile is None:
            return
        key = self._typed_key()
        if key is None and self._editing and self._editing != profile.name:
            profile_for_key = self._profiles.get(self._editing)
            if profile_for_key is not None:  # renamed in the form: use the stored key of the old name
                profile = replace(profile, name=self._editing)
        if key is None and self._editing is None:
            key = ""  # a new profile without a key: check reachability only, read nothing
        self._testing = profile.name
        self._tested_key = key or None
        self._steps = []
        self._set_testing(True)
        self.test_result.setText("Testing the connection…")  # the old result goes at once
        self.test_result.show()
        self._connection.test(profile, key)

    def _set_testing(self, testing: bool) -> None:
        """While a test runs its button cancels it (a silent server may take many seconds)."""
        self.test_button.setText("Cancel test" if testing else "Test connection")
        self.test_button.setToolTip("Stop the test" if testing else "Check the server, the key and the API (Ctrl+T)")

    def _test_clicked(self) -> None:
        if self._testing is not None:
            self._connection.cancel_test()
        else:
            self.test_connection()

    def _on_test_step(self, name: str, text: str) -> None:
        """Each step as it begins: the ones before it are done."""
        if name != self._testing:
            return
        self._steps.append(text)
        done = [
            f"<span style='color:{self._colors.muted}'>✓</span>&nbsp;{escape(s.rstrip('…'))}" for s in self._steps[:-1]
        ]
        self.test_result.setText("<br>".join([*done, f"•&nbsp;{escape(text)}"]))

    def _on_tested(self, name: str, check: object) -> None:
        if name != self._testing or check is None:
            return
        check = cast("ConnectionCheck", check)
        self._testing = None
        # the key Sim refused (None: the stored one), so that saving it does not pass for success
        self._rejected = (name, self._tested_key) if check.key_valid is False else None
        self._set_testing(False)
        self.test_result.setText(self.render_check(check))
        self.test_result.setAccessibleDescription(check.message)

    def _on_test_failed(self, name: str, message: str) -> None:
        if name != self._testing:
            return
        self._testing = None
        self._set_testing(False)
        self.test_result.setText(f"<span style='color:{self._colors.error}'>✗</span> {escape(message)}")

    def render_check(self, check: ConnectionCheck) -> str:
        """The check as rich text: one ✓/✗/• line per step, then the client's sentence."""
        marks = {True: ("✓", self._colors.ok), False: ("✗", self._colors.error), None: ("•", self._colors.muted)}
        rows = []
        for passed, text in fmt.check_lines(check):
            mark, color = marks[passed]
            rows.append(f"<span style='color:{color}; font-weight:600'>{mark}</span>&nbsp;{escape(text)}")
        rows.append(f"<span style='color:{self._colors.muted}'>{escape(check.message)}</span>")
        return "<br>".join(rows)

    def set_colors(self, colors: Colors) -> None:
        self._colors = colors
