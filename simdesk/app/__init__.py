"""The application: the command line, the composition root, and the wiring of each part.

The only package above :mod:`simdesk.ui`: it builds stores, services, executors and widgets and
connects them; ui, models and services never import it. With :mod:`simdesk.__main__` it is the
only importer of :mod:`simdesk.sandbox` (for ``--demo``, in :mod:`simdesk.app.demo`).
"""

from simdesk.app.cli import has_display, main, parse_args
from simdesk.app.compose import AppContext, compose
from simdesk.app.errors import install_error_hooks

__all__ = ["AppContext", "compose", "has_display", "install_error_hooks", "main", "parse_args"]
