"""serve and worker freeze start-up's objects, so the collector's full passes no longer walk them (bot/gc_pauses.py)."""
from __future__ import annotations

import gc

from bot.gc_pauses import freeze_start_up_objects


def test_frozen_start_up_objects_leave_the_oldest_generation():
    import bot.app  # noqa: F401  (what serve has loaded by the time it freezes)

    gc.collect()
    walked_before = len(gc.get_objects(generation=2))
    try:
        frozen = freeze_start_up_objects()
        walked_after = len(gc.get_objects(generation=2))
        assert frozen > walked_before / 2  # the freeze count is what moved to the permanent generation
        assert walked_after < walked_before / 100, (walked_before, walked_after)
    finally:
        gc.unfreeze()  # the rest of the suite runs with the collector as it found it
    assert gc.get_freeze_count() == 0
