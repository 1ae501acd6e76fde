"""A stage run collects cycles rarely and gives the process its own settings back."""

from __future__ import annotations

import gc

import pytest

from hub.batch_gc import OLDER_THRESHOLDS, YOUNG_THRESHOLD, batch_gc


def test_inside_a_run_young_collections_are_rare_and_old_objects_frozen() -> None:
    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
        assert gc.get_freeze_count() > 0  # this process's modules, at least
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_nested_runs_keep_the_outer_settings_until_the_outer_ends() -> None:
    before = gc.get_threshold()
    with batch_gc():
        with batch_gc():
            pass
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    assert gc.get_threshold() == before


def test_a_failing_run_restores_the_settings_too() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_gc():
        raise RuntimeError("the page failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_cycles_made_during_a_run_are_still_collected() -> None:
    class Node:
        pass

    with batch_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        ids = {id(a), id(b)}
        del a, b
        gc.collect()
        assert not ids & {id(o) for o in gc.get_objects() if isinstance(o, Node)}


def test_objects_the_host_froze_stay_frozen() -> None:
    """Checked on one object the host froze (a count of frozen objects would not do: a
    frozen object that dies leaves the permanent generation too)."""

    class Held:
        pass

    held = Held()
    gc.freeze()
    try:
        assert not any(o is held for o in gc.get_objects())  # frozen: out of collection
        with batch_gc():
            pass
        assert not any(o is held for o in gc.get_objects())  # still frozen after the run
    finally:
        gc.unfreeze()
    assert any(o is held for o in gc.get_objects())
