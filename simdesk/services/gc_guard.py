"""Full garbage collections wait while a stream floods the console.

A fast stream keeps a few thousand events alive between paints. Young collections then promote
them, and every so often Python runs a *full* collection, which walks the whole heap (every Qt
wrapper, module and cached object): 40–50 ms here, a visible freeze in the middle of a stream
(the console's goal is no stall over 33 ms). While any stream is being read, full collections
are deferred and young ones run after 10 000 allocations rather than 700 (each would walk the
thousands of events waiting for the next drain, and promote them); young collections still free
the cycles that die young (most do). When the last stream ends the old thresholds are back, and
the next full collection takes what waited.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_DEFERRED = 1_000_000  # young-generation collections before a full one: never, in practice
_YOUNG = 10_000  # allocations between young collections while streaming
_active = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """Defer full collections for the duration (nests, and overlaps with other streams)."""
    global _active, _saved
    if _active == 0:
        _saved = gc.get_threshold()
        gc.set_threshold(max(_saved[0], _YOUNG), _saved[1], _DEFERRED)
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if _active == 0 and _saved is not None:
            if gc.get_threshold()[2] == _DEFERRED:  # unless someone else changed it meanwhile
                gc.set_threshold(*_saved)
            _saved = None
