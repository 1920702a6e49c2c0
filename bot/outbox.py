"""The outbox: every Slack call a listener causes runs here, off the request thread.

How a request is answered (see also handlers/ and the README): the Bolt app runs with
``process_before_response=True``, so a listener runs on the request thread and its
acknowledgement goes back when it returns. A listener parses, does its database work
and puts the answer in the ack itself. It never calls Slack: whatever needs the Web API
(the Home tab refresh, DMs, the response_url reply to a button, users.info, uploads) is
handed to this outbox and runs on a few worker threads after the ack is on its way.
So Slack's latency, or a response_url that never answers, cannot delay an ack.

Why a thread pool and not an AsyncApp or lazy listeners: the services and storage are
synchronous SQLModel code; an AsyncApp would run them in an executor anyway, and lazy
listeners (FaaS-style) re-dispatch the whole request. A bounded pool is the smallest
change that takes Slack off the request path, and it is drainable for tests and SIGTERM.

- Bounded: at most ``capacity`` jobs wait. A full queue makes ``submit`` wait a moment
  (backpressure); if it is still full the job is dropped and logged. Dropped jobs are
  only ever refreshes and notices; everything stored was stored before the ack.
- Collapsing: jobs submitted with the same ``key`` while one is still waiting run once,
  with the newest job (a person's Home tab is refreshed once however many things they log).
  A keyed job waits ``collapse_window`` seconds (or its own ``delay``) before it queues, so a
  burst from one person becomes one refresh instead of one per command (each refresh is 20 to
  50 ms of CPU that would otherwise be taken from the acks). A job submitted with a shorter
  delay brings a waiting one of the same key forward (the person opened their Home tab).
- Priority lane: ``urgent`` jobs (``views.open``: its trigger_id expires in 3 s) have their
  own threads, so they never wait behind the queue.
"""
from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)

Job = Callable[[], object]
DEFAULT_WORKERS = 4
DEFAULT_URGENT_WORKERS = 2
DEFAULT_CAPACITY = 2000
# How long a keyed job (a Home refresh) waits for later ones to collapse into it.
DEFAULT_COLLAPSE_WINDOW = 1.0
# How long a submit may wait for room in a full queue before the job is dropped.
SUBMIT_WAIT_SECONDS = 0.05


class _Lane:
    """One queue and its worker threads; jobs with the same key collapse while they wait."""

    def __init__(self, name: str, *, workers: int, capacity: int, collapse_window: float = 0.0):
        self._name = name
        self._collapse_window = collapse_window
        self._queue: queue.Queue[Hashable | None] = queue.Queue(maxsize=capacity)
        self._waiting: dict[Hashable, Job] = {}
        self._timers: dict[Hashable, tuple[threading.Timer, float]] = {}  # with when each fires (monotonic)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True) for n in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job, key: Hashable, *, collapsible: bool = False, delay: float | None = None) -> bool:
        """``delay``: how long a collapsible job waits for later ones (the lane's window when None). A job
        with a shorter delay than the one already waiting for its key brings that key forward."""
        wait = (self._collapse_window if delay is None else delay) if collapsible else 0.0
        due = time.monotonic() + wait
        with self._lock:
            if key in self._waiting:
                self._waiting[key] = job  # the newest wins; the one queued entry runs it
                scheduled = self._timers.get(key)
                if scheduled is None or due >= scheduled[1]:
                    return True
                scheduled[0].cancel()  # wanted sooner than the waiting one: reschedule below
                del self._timers[key]
            self._waiting[key] = job
            if wait > 0:
                timer = threading.Timer(wait, self._fire, args=(key, due))
                timer.daemon = True
                self._timers[key] = (timer, due)
                timer.start()
                return True
        return self._enqueue(key)

    def flush(self) -> None:
        """Queue the jobs still inside their collapse window now (a drain does not wait them out)."""
        with self._lock:
            timers, self._timers = self._timers, {}
        for key, (timer, _due) in timers.items():
            timer.cancel()
            self._enqueue(key)

    def _fire(self, key: Hashable, due: float) -> None:
        with self._lock:
            scheduled = self._timers.get(key)
            if scheduled is None or scheduled[1] != due:
                return  # rescheduled or flushed since: the newer schedule queues it
            del self._timers[key]
        self._enqueue(key)

    def _enqueue(self, key: Hashable) -> bool:
        try:
            self._queue.put(key, timeout=SUBMIT_WAIT_SECONDS)
        except queue.Full:
            with self._lock:
                self._waiting.pop(key, None)
                self._idle.notify_all()
            log.warning("%s is full (%d waiting); dropped a job", self._name, self._queue.qsize())
            return False
        return True

    def _work(self) -> None:
        while True:
            key = self._queue.get()
            if key is None:
                return
            with self._lock:
                job = self._waiting.pop(key, None)
                self._busy += 1
            try:
                if job is not None:
                    job()
            except Exception:  # noqa: BLE001 - one failed follow-up must not stop the worker
                log.exception("%s job failed", self._name)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._idle.notify_all()

    def drain(self, deadline: float) -> bool:
        with self._lock:
            while self._waiting or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def stop(self, deadline: float) -> None:
        for _ in self._threads:
            try:
                self._queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
            except queue.Full:
                break
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._waiting) + self._busy


class Outbox:
    def __init__(self, *, workers: int = DEFAULT_WORKERS, urgent_workers: int = DEFAULT_URGENT_WORKERS,
                 capacity: int = DEFAULT_CAPACITY, collapse_window: float = DEFAULT_COLLAPSE_WINDOW):
        self._lane = _Lane("outbox", workers=workers, capacity=capacity, collapse_window=collapse_window)
        self._urgent = _Lane("outbox-urgent", workers=urgent_workers, capacity=capacity)
        self._unique = itertools.count()
        self._closed = False

    def submit(self, job: Job, *, key: Hashable | None = None, urgent: bool = False, delay: float | None = None) -> bool:
        """Run ``job`` soon, off the request thread. False when it was dropped (full queue or shut down).

        A keyed job waits ``delay`` seconds (the collapse window when None) for later jobs of the same key."""
        if self._closed:
            log.warning("outbox is shut down; dropped a job")
            return False
        if urgent:
            return self._urgent.submit(job, ("job", next(self._unique)) if key is None else key)
        return self._lane.submit(job, ("job", next(self._unique)) if key is None else key, collapsible=key is not None,
                                 delay=delay)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every submitted job (and any job those submit) has run. False on timeout."""
        deadline = time.monotonic() + timeout
        # Urgent jobs may submit ordinary ones, and the other way round: settle until both are idle.
        while True:
            self._lane.flush()
            if not (self._urgent.drain(deadline) and self._lane.drain(deadline)):
                return False
            if not self._urgent.pending and not self._lane.pending:
                return True

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Take no new jobs, finish the queued ones within ``timeout``, stop the threads."""
        deadline = time.monotonic() + timeout
        drained = self.drain(timeout)
        self._closed = True
        self._urgent.stop(deadline)
        self._lane.stop(deadline)
        return drained

    @property
    def pending(self) -> int:
        return self._urgent.pending + self._lane.pending
