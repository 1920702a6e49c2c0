"""SQLAlchemy event listeners held for a block of a test, and removed after it however the block ends."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def listening(*listeners: tuple[Any, str, Callable[..., Any]]) -> Iterator[None]:
    """``(target, event name, function)`` each: listened to on entry, removed on exit."""
    from sqlalchemy import event

    for target, name, function in listeners:
        event.listen(target, name, function)
    try:
        yield
    finally:
        for target, name, function in listeners:
            event.remove(target, name, function)
