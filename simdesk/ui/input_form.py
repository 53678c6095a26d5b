"""The run input: a form built from the workflow's declared ``inputs``, or a raw JSON editor.

Each field gets an editor for its type (text, number, true/false, JSON with highlighting, a file
list with a picker and drag and drop). :meth:`InputForm.parsed` checks everything with
:mod:`simdesk.core.input_form` and marks each bad field with its reason, so nothing invalid is
ever handed to the run service. The JSON editor checks itself as you type and underlines the
first syntax error. Switching between the two keeps the values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.catalogue import WorkflowInput
from simdesk.core.input_form import (
    JSON_FIELD,
    LocalFile,
    ParsedInput,
    form_texts,
    json_text,
    kind_of,
    parse_form,
    parse_json_input,
)
from simdesk.ui.json_view import JsonHighlighter
from simdesk.ui.theme import set_tone


def _mono(widget: QWidget) -> None:
    widget.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))


def _toggle(text: str, *, checked: bool) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setCheckable(True)
    button.setChecked(checked)
    button.setAutoRaise(True)
    return button


class FileListField(QWidget):
    """A ``file[]`` field: chosen files, "Add files…", "Remove", and a drop target.

    Signals:
        changed(): the list changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMaximumHeight(84)
        self.list.setAcceptDrops(False)
        add = QPushButton("Add files…")
        add.clicked.connect(self._pick)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove)
        self.hint = QLabel("or drop files here")
        self.hint.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)

    def paths(self) -> list[str]:
        """The chosen files' paths."""
        return [str(self.list.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.list.count())]

    def set_files(self, files: Sequence[LocalFile | str]) -> None:
        """Replace the list."""
        self.list.clear()
        for item in files:
            self.add_path(item.path if isinstance(item, LocalFile) else str(item), notify=False)
        self.changed.emit()

    def add_path(self, path: str, *, notify: bool = True) -> None:
        """Add one file (duplicates are ignored)."""
        if path in self.paths():
            return
        p = Path(path)
        size = ""
        try:
            size = f"  ({p.stat().st_size / 1024:.1f} KB)"
        except OSError:
            size = "  (missing)"
        row = QListWidgetItem(p.name + size)
        row.setData(Qt.ItemDataRole.UserRole, path)
        row.setToolTip(path)
        self.list.addItem(row)
        if notify:
            self.changed.emit()

    def _pick(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Choose files to send")
        for path in paths:
            self.add_path(path)

    def _remove(self) -> None:
        for row in self.list.selectedItems():
            self.list.takeItem(self.list.row(row))
        self.changed.emit()

    @staticmethod
    def _local_files(mime: QMimeData) -> list[str]:
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and Path(u.toLocalFile()).is_file()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._local_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for path in self._local_files(event.mimeData()):
            self.add_path(path)
        event.acceptProposedAction()


class _Field:
    """One form row: the editor, and the label that shows its error."""

    def __init__(self, spec: WorkflowInput, editor: QWidget, error: QLabel) -> None:
        self.spec = spec
        self.editor = editor
        self.error = error

    def raw(self) -> object:
        editor = self.editor
        if isinstance(editor, FileListField):
            return editor.paths()
        if isinstance(editor, QComboBox):
            return {1: True, 2: False}.get(editor.currentIndex(), "")
        if isinstance(editor, QPlainTextEdit):
            return editor.toPlainText()
        if isinstance(editor, QLineEdit):
            return editor.text()
        return None

    def set_raw(self, value: object) -> None:
        editor = self.editor
        if isinstance(editor, FileListField):
            editor.set_files(value if isinstance(value, list) else [])
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(1 if value is True else 2 if value is False else 0)
        elif isinstance(editor, QPlainTextEdit):
            editor.setPlainText(str(value or ""))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value or ""))

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        set_tone(self.editor, "true" if message else "", "invalid")


class InputForm(QWidget):
    """Form and raw-JSON editing of a run's input.

    Signals:
        changed(): the user edited something.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inputForm")
        self._inputs: tuple[WorkflowInput, ...] = ()
        self._fields: dict[str, _Field] = {}
        self._extra: dict[str, Any] = {}  # fields the JSON had that the form does not declare
        self._free_form = False

        self.form_button = _toggle("Form", checked=True)
        self.json_button = _toggle("JSON", checked=False)
        self.form_button.setObjectName("formModeButton")
        self.json_button.setObjectName("jsonModeButton")
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.form_button)
        group.addButton(self.json_button)
        self.form_button.clicked.connect(lambda: self.set_raw_mode(False))
        self.json_button.clicked.connect(lambda: self.set_raw_mode(True))
        self.summary = QLabel()
        self.summary.setObjectName("inputSummary")
        self.summary.setWordWrap(True)
        set_tone(self.summary, "errorBar")
        self.summary.hide()

        self.form_page = QWidget()
        self.form_layout = QFormLayout(self.form_page)
        self.form_layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.empty_label = QLabel(self.form_page)  # one for the widget's life, in the form when it is empty
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_page)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("rawJsonEditor")
        _mono(self.editor)
        self.editor.setPlaceholderText('{\n  "field": "value"\n}')
        self.highlighter = JsonHighlighter(self.editor.document(), self.palette(), self.editor)
        self.json_error = QLabel()
        self.json_error.setObjectName("jsonError")
        self.json_error.setWordWrap(True)
        set_tone(self.json_error, "errorBar")
        self.json_error.hide()
        json_page = QWidget()
        json_layout = QVBoxLayout(json_page)
        json_layout.setContentsMargins(0, 0, 0, 0)
        json_layout.addWidget(self.editor, 1)
        json_layout.addWidget(self.json_error)
        self._check_timer = QTimer(self, singleShot=True, interval=250)
        self._check_timer.timeout.connect(self._check_json)
        self.editor.textChanged.connect(self._check_timer.start)
        self.editor.textChanged.connect(self.changed)

        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(json_page)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Input"))
        top.addStretch(1)
        top.addWidget(self.form_button)
        top.addWidget(self.json_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.summary)
        self.set_inputs((), free_form=True)

    # --- building ------------------------------------------------------------------------

    def set_inputs(self, inputs: Sequence[WorkflowInput], *, free_form: bool = False) -> None:
        """Rebuild the form for ``inputs``. ``free_form`` (no declared inputs known, e.g. a server
        without the v2 catalogue) shows the JSON editor only."""
        self._inputs = tuple(inputs)
        self._free_form = free_form
        self._fields.clear()
        self._extra.clear()
        self.form_layout.removeWidget(self.empty_label)  # kept, while removeRow deletes the rows' widgets
        while self.form_layout.rowCount():
            self.form_layout.removeRow(0)
        self.empty_label.setVisible(not inputs)
        if not inputs:
            self.empty_label.setText(
                "This server does not say which inputs the workflow takes: write the input as JSON."
                if free_form
                else "This workflow declares no inputs. Run it as it is, or add fields as JSON."
            )
            self.form_layout.addRow(self.empty_label)
        for spec in inputs:
            self._add_row(spec)
        self.editor.blockSignals(True)
        self.editor.setPlainText("{}" if free_form else "")
        self.editor.blockSignals(False)
        self.set_raw_mode(free_form)
        self.form_button.setEnabled(not free_form)
        self.show_errors(ParsedInput())

    def _add_row(self, spec: WorkflowInput) -> None:
        kind = kind_of(spec)
        editor: QWidget
        if kind == "boolean":
            box = QComboBox()
            box.addItems(["— not set —", "true", "false"])
            box.currentIndexChanged.connect(self.changed)
            editor = box
        elif kind == "file[]":
            files = FileListField()
            files.changed.connect(self.changed)
            editor = files
        elif kind in ("object", "array", "json"):
            text = QPlainTextEdit()
            _mono(text)
            text.setPlaceholderText("{ … }" if kind == "object" else "[ … ]" if kind == "array" else "any JSON value")
            text.setFixedHeight(72)
            text.setProperty("highlighter", JsonHighlighter(text.document(), self.palette(), text))
            text.textChanged.connect(self.changed)
            editor = text
        else:
            line = QLineEdit()
            line.setPlaceholderText(spec.description or ("a number" if kind == "number" else ""))
            line.textChanged.connect(self.changed)
            editor = line
        editor.setObjectName(f"field_{spec.name}")
        editor.setToolTip(spec.description or "")
        error = QLabel()
        error.setObjectName(f"error_{spec.name}")
        error.setWordWrap(True)
        set_tone(error, "error")
        error.hide()
        cell = QWidget()
        cell_layout = QVBoxLayout(cell)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.setSpacing(2)
        cell_layout.addWidget(editor)
        cell_layout.addWidget(error)
        label = QLabel(f"{spec.name} <span style='color: palette(placeholder-text)'>{spec.type}</span>")
        label.setToolTip(spec.description or "")
        self.form_layout.addRow(label, cell)
        self._fields[spec.name] = _Field(spec, editor, error)

    # --- modes ---------------------------------------------------------------------------

    @property
    def raw_mode(self) -> bool:
        """True when the JSON editor is shown."""
        return self.stack.currentIndex() == 1

    def set_raw_mode(self, raw: bool) -> bool:
        """Switch editors, carrying the values over; False (and errors shown) if they do not parse."""
        if raw == self.raw_mode:
            self._sync_buttons()
            return True
        if raw:
            parsed = self._parse_form()
            if not parsed.ok:
                self.show_errors(parsed)
                self._sync_buttons()
                return False
            self.editor.setPlainText(json_text({**self._extra, **parsed.values}))
        else:
            parsed = parse_json_input(self.editor.toPlainText(), self._inputs)
            if not parsed.ok:
                self.show_errors(parsed)
                self._sync_buttons()
                return False
            self._fill_form(parsed.values)
        self.stack.setCurrentIndex(1 if raw else 0)
        self._sync_buttons()
        self.show_errors(ParsedInput())
        return True

    def _sync_buttons(self) -> None:
        self.json_button.setChecked(self.raw_mode)
        self.form_button.setChecked(not self.raw_mode)

    # --- values --------------------------------------------------------------------------

    def _parse_form(self) -> ParsedInput:
        parsed = parse_form(self._inputs, {name: f.raw() for name, f in self._fields.items()})
        if self._extra:
            parsed.values.update({k: v for k, v in self._extra.items() if k not in parsed.values})
        return parsed

    def parsed(self) -> ParsedInput:
        """Check the input and mark every problem; ``values`` are ready for the run service."""
        parsed = parse_json_input(self.editor.toPlainText(), self._inputs) if self.raw_mode else self._parse_form()
        self.show_errors(parsed)
        return parsed

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill the editors (values as :mod:`simdesk.core.input_form` makes them)."""
        self.editor.setPlainText(json_text(values))
        self._fill_form(values)
        self.show_errors(ParsedInput())

    def _fill_form(self, values: Mapping[str, Any]) -> None:
        texts = form_texts(self._inputs, values)
        for name, field in self._fields.items():
            field.set_raw(texts.get(name, ""))
        self._extra = {k: v for k, v in values.items() if k not in self._fields}

    def show_errors(self, parsed: ParsedInput) -> None:
        """Mark fields with their reasons (and clear the others)."""
        for name, field in self._fields.items():
            field.show_error(parsed.errors.get(name))
        json_error = parsed.errors.get(JSON_FIELD)
        raw_errors = [f"{k}: {v}" for k, v in parsed.errors.items() if k != JSON_FIELD and self.raw_mode]
        message = "\n".join(([json_error] if json_error else []) + raw_errors)
        self.json_error.setText(message)
        self.json_error.setVisible(bool(message) and self.raw_mode)
        where = parsed.where.get(JSON_FIELD)
        self.highlighter.set_error(*(where if where else (None, None)))
        for name, field in self._fields.items():
            highlighter = field.editor.property("highlighter")
            if isinstance(highlighter, JsonHighlighter):
                spot = parsed.where.get(name)
                highlighter.set_error(*(spot if spot else (None, None)))
        self.summary.setText(parsed.summary())
        self.summary.setVisible(not parsed.ok and not self.raw_mode)

    def _check_json(self) -> None:
        if self.raw_mode:
            self.show_errors(parse_json_input(self.editor.toPlainText(), self._inputs))

    def field_editor(self, name: str) -> QWidget | None:
        """The editor of field ``name`` (for tests and focus)."""
        field = self._fields.get(name)
        return field.editor if field else None

    def field_error(self, name: str) -> str:
        """The error shown under field ``name`` ("" if none)."""
        field = self._fields.get(name)
        return field.error.text() if field and field.error.isVisibleTo(self) else ""
