"""Moved to :mod:`tests.support.conformance`; its names stay importable here for branches that
still import them from the old place."""

from tests.support.conformance import *  # noqa: F403
