"""Test doubles that tests, benchmarks, the sandbox and the demo share: clocks moved by hand or
by a driver instead of by the wall.

The app's own layers (core, api, services, models, ui) never import this package (an
import-linter contract in pyproject.toml says so); they take a :class:`simdesk.core.clock.Clock`.
"""
