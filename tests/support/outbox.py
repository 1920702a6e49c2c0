"""An outbox for tests that runs nothing until told: what the request path did is all there is."""
from __future__ import annotations

from collections.abc import Callable, Hashable


class HeldOutbox:
    """An outbox that runs nothing until ``release``: what the request path did is all there is."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], object], Hashable | None, bool]] = []

    def submit(self, job: Callable[[], object], *, key: Hashable | None = None, urgent: bool = False,
               delay: float | None = None) -> bool:
        # Like the real outbox: a job waiting under the same key is replaced by the newest.
        self.jobs = [j for j in self.jobs if key is None or j[1] != key] + [(job, key, urgent)]
        return True

    def drain(self, timeout: float = 0) -> bool:
        return True

    def shutdown(self, timeout: float = 0) -> bool:
        return True

    def release(self) -> None:
        while self.jobs:
            job, _key, _urgent = self.jobs.pop(0)
            job()
