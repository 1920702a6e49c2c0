"""Short garbage-collector pauses for the long-running processes (``serve``, ``worker``).

CPython's cyclic collector stops every thread while it walks a generation. Its oldest generation holds
everything start-up made: modules, Bolt's app, SQLAlchemy's and SQLModel's metadata and statement caches,
about 110,000 objects in an idle ``serve``. Each full collection walked all of them again and paused every
request in flight for about 30 ms: under ten concurrent ``/asked`` that was the p99 (bench/ack.py).

Once start-up is done, ``freeze_start_up_objects`` moves those objects to the permanent generation, which
the collector never walks (``gc.freeze``; CPython documents it for exactly this). They live as long as the
process anyway. Objects made later, per request, are collected as before, and a cycle among frozen objects is
never reclaimed, which is the same as what a long-lived module global already costs.
"""
from __future__ import annotations

import gc


def freeze_start_up_objects() -> int:
    """Collect what start-up left as garbage, then freeze the rest; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
