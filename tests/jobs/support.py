"""Moved to :mod:`tests.support.jobs`; these names stay importable here for branches that still
import them from the old place."""

from tests.support.jobs import CountingTransport, drive_for, make_client

__all__ = ["CountingTransport", "drive_for", "make_client"]
