"""Colours come from the theme: the widgets write no colour of their own, and each named colour
has a light and a dark variant picked by the palette a widget paints with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from simdesk.core.jobs import JobStatus
from simdesk.models.workflow_tree import Badge
from simdesk.ui import theme
from simdesk.ui.theme import DARK, LIGHT, ROLES, Role, palette_for, role

UI = Path(theme.__file__).parent
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b")


def test_no_widget_module_writes_a_colour_of_its_own() -> None:
    found = {
        f"{path.name}:{number}": line.strip()
        for path in sorted(UI.rglob("*.py"))
        if path.name != "theme.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HEX.search(line) or 'QColor("' in line
    }
    assert not found, found


@pytest.mark.usefixtures("qapp")
def test_each_role_is_looked_up_by_the_palette() -> None:
    light, dark = palette_for(LIGHT), palette_for(DARK)
    assert set(ROLES) == set(Role)
    for name, shade in ROLES.items():
        assert role(name, light) == shade.light and role(name, dark) == shade.dark
    assert role(Role.RUN_ERROR_TEXT, light) != role(Role.RUN_ERROR_TEXT, dark)
    assert theme.is_dark(dark) and not theme.is_dark(light)
    assert QApplication.instance() is not None


def test_every_status_and_badge_has_its_colours() -> None:
    assert set(theme.JOB_STATUS) == {s.value for s in JobStatus}
    assert set(theme.WORKFLOW_BADGE) == {b.value for b in Badge}
