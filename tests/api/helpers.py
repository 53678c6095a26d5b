"""Moved to :mod:`tests.support.api`; these names stay importable here for branches that still
import them from the old place."""

from tests.support.api import FakeClock, eventually, policy, run

__all__ = ["FakeClock", "eventually", "policy", "run"]
