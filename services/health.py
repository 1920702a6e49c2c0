"""Whether a failure is the database being unavailable: a bad day to tell the rep about plainly, not a bug."""
from __future__ import annotations

from storage.health import is_database_failure


def database_down(error: BaseException) -> str | None:
    """Why the database refused (deleted, read-only, unreachable, locked…), or None for any other failure."""
    return is_database_failure(error)
