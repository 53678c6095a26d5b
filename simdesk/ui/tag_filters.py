"""Tag filters built from a knowledge base's tag definitions: one row per filter, with the control
that fits the tag's type (a line for text, a number box, a date picker, true/false) and only the
operators Sim implements for that type; ``between`` shows a second value.

Signals:
    changed(): a filter was added, removed or edited.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from simdesk.core.knowledge import OPERATOR_LABELS, OPERATORS_BY_TYPE, TagDefinition, TagFilter, TagValue

DATE_FORMAT = "yyyy-MM-dd"


def value_editor(field_type: str, parent: QWidget) -> QWidget:
    """The control for one value of ``field_type``."""
    if field_type == "number":
        box = QDoubleSpinBox(parent)
        box.setRange(-1e12, 1e12)
        box.setDecimals(2)
        return box
    if field_type == "date":
        picker = QDateEdit(QDate.currentDate(), parent)
        picker.setDisplayFormat(DATE_FORMAT)
        picker.setCalendarPopup(True)
        return picker
    if field_type == "boolean":
        choice = QComboBox(parent)
        choice.addItems(["true", "false"])
        return choice
    line = QLineEdit(parent)
    line.setPlaceholderText("value")
    return line


def editor_value(editor: QWidget) -> TagValue:
    if isinstance(editor, QDoubleSpinBox):
        number = editor.value()
        return int(number) if number.is_integer() else number
    if isinstance(editor, QDateEdit):
        return editor.date().toString(DATE_FORMAT)
    if isinstance(editor, QComboBox):
        return editor.currentText() == "true"
    assert isinstance(editor, QLineEdit)
    return editor.text()


class FilterRow(QWidget):
    """One filter: tag, operator, value (and upper bound for ``between``), remove."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, definitions: Sequence[TagDefinition], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.definitions = list(definitions)
        self.tag = QComboBox(self)
        self.tag.setAccessibleName("Tag")
        for d in self.definitions:
            self.tag.addItem(f"{d.display_name} ({d.field_type})", d.display_name)
        self.operator = QComboBox(self)
        self.operator.setAccessibleName("Operator")
        self.remove = QPushButton("Remove", self)
        self.remove.setToolTip("Remove this filter")
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.tag, 2)
        self._layout.addWidget(self.operator, 1)
        self.value: QWidget = QLineEdit(self)
        self.value_to: QWidget = QLineEdit(self)
        self._layout.addWidget(self.value, 2)
        self._layout.addWidget(self.value_to, 2)
        self._layout.addWidget(self.remove)
        self.tag.currentIndexChanged.connect(self._retype)
        self.operator.currentIndexChanged.connect(self._on_operator)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        self._retype()

    @property
    def definition(self) -> TagDefinition:
        return self.definitions[max(self.tag.currentIndex(), 0)]

    def _retype(self) -> None:
        kind = self.definition.field_type
        self.operator.blockSignals(True)
        self.operator.clear()
        for op in OPERATORS_BY_TYPE[kind]:
            self.operator.addItem(OPERATOR_LABELS[op], op)
        self.operator.blockSignals(False)
        for old, name in ((self.value, "value"), (self.value_to, "value_to")):
            new = value_editor(kind, self)
            new.setAccessibleName("Value" if name == "value" else "Upper bound")
            self._layout.replaceWidget(old, new)
            old.deleteLater()
            setattr(self, name, new)
            for signal_name in ("textChanged", "valueChanged", "dateChanged", "currentIndexChanged"):
                signal = getattr(new, signal_name, None)
                if signal is not None:
                    signal.connect(self.changed)
        self._on_operator()

    def _on_operator(self) -> None:
        self.value_to.setVisible(self.operator.currentData() == "between")
        self.changed.emit()

    def set_filter(self, tag_name: str, operator: str, value: TagValue, value_to: TagValue | None = None) -> None:
        """Fill the row (tests and restoring a search)."""
        self.tag.setCurrentIndex(max(self.tag.findData(tag_name), 0))
        self.operator.setCurrentIndex(max(self.operator.findData(operator), 0))
        for editor, v in ((self.value, value), (self.value_to, value_to)):
            if v is None:
                continue
            if isinstance(editor, QDoubleSpinBox):
                editor.setValue(float(v))
            elif isinstance(editor, QDateEdit):
                editor.setDate(QDate.fromString(str(v), DATE_FORMAT))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText("true" if v is True or str(v).lower() == "true" else "false")
            elif isinstance(editor, QLineEdit):
                editor.setText(str(v))

    def tag_filter(self) -> TagFilter:
        op = str(self.operator.currentData())
        upper = editor_value(self.value_to) if op == "between" else None
        return TagFilter(self.definition.display_name, editor_value(self.value), op, upper)


class TagFilterEditor(QWidget):
    """Any number of :class:`FilterRow`, all ANDed (as Sim applies them)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.definitions: list[TagDefinition] = []
        self.rows: list[FilterRow] = []
        self._rows = QVBoxLayout()
        self._rows.setContentsMargins(0, 0, 0, 0)
        self.add = QPushButton("Add tag filter", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._rows)
        layout.addWidget(self.add)
        self.add.clicked.connect(lambda: self.add_row())
        self.set_definitions([])

    def set_definitions(self, definitions: Sequence[TagDefinition] | None) -> None:
        """The base's tags (``None``: the server cannot say, so no filters)."""
        for row in list(self.rows):
            self._drop(row)
        self.definitions = list(definitions or [])
        self.add.setEnabled(bool(self.definitions))
        if definitions is None:
            self.add.setToolTip("Tag definitions need Sim's v2 API, which is switched off on this server.")
        elif not self.definitions:
            self.add.setToolTip("This knowledge base defines no tags.")
        else:
            self.add.setToolTip("Filter by one of the base's tags (all filters must hold)")
        self.changed.emit()

    def add_row(self) -> FilterRow:
        row = FilterRow(self.definitions, self)
        row.changed.connect(self.changed)
        row.remove_requested.connect(self._drop)
        self.rows.append(row)
        self._rows.addWidget(row)
        self.changed.emit()
        return row

    def _drop(self, row: FilterRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed.emit()

    def filters(self) -> tuple[TagFilter, ...]:
        return tuple(row.tag_filter() for row in self.rows)
