"""Paths and helpers shared by the packaging tests.

The repository's ``packaging/`` folder is deliberately not a Python package: the name would shadow
PyPI's ``packaging`` library that pip, pytest and setuptools import. Its scripts are loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGING = REPO_ROOT / "packaging"
APP_ID = "io.github.simdesk.SimDesk"
DESKTOP = REPO_ROOT / "resources" / f"{APP_ID}.desktop"  # the app shell's; packaging reuses it
METAINFO = PACKAGING / "linux" / f"{APP_ID}.metainfo.xml"
INSTALL_SH = PACKAGING / "linux" / "install.sh"
BUILD_SH = PACKAGING / "build.sh"
ICON_SVG = REPO_ROOT / "simdesk" / "resources" / "icons" / f"{APP_ID}.svg"


def load_packaging_module(name: str) -> ModuleType:
    """Import ``packaging/<name>.py`` under the name ``simdesk_packaging_<name>``."""
    qualified = f"simdesk_packaging_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module
