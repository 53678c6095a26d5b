"""Full collections wait while streams are read, and come back when the last one ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from simdesk.services.gc_guard import full_collections_deferred


@pytest.fixture
def threshold() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def test_overlapping_streams_keep_full_collections_deferred_until_the_last_ends(
    threshold: tuple[int, int, int],
) -> None:
    first, second = full_collections_deferred(), full_collections_deferred()
    first.__enter__()
    young, middle, full = gc.get_threshold()
    assert young >= 10_000 and middle == 10 and full > 10_000
    second.__enter__()
    first.__exit__(None, None, None)
    assert gc.get_threshold()[2] > 10_000  # the second stream still runs
    second.__exit__(None, None, None)
    assert gc.get_threshold() == threshold


def test_an_error_in_the_stream_still_restores_the_threshold(threshold: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), full_collections_deferred():
        raise RuntimeError("the stream broke")
    assert gc.get_threshold() == threshold


def test_a_threshold_someone_set_meanwhile_is_left_alone(threshold: tuple[int, int, int]) -> None:
    with full_collections_deferred():
        gc.set_threshold(500, 5, 5)
    assert gc.get_threshold() == (500, 5, 5)
