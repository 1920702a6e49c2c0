"""Graceful stop for ``serve``, in both modes: SIGTERM (or Ctrl-C) stops taking new work, lets the work in
flight finish within a bounded drain, and returns so that the process exits 0.

The drain is a list of named steps run in order against one deadline (``SHUTDOWN_DRAIN_SECONDS``):
stop intake (HTTP: new requests get 503; Socket Mode: the socket is closed), finish the listeners Bolt
is still running after their ack, let the scheduler finish its tick, flush whatever queue the app has
(``drain_hooks``: an outbox's ``shutdown(timeout)``, a delivery drain), then close the HTTP server. A step
that overruns is abandoned and logged; the process still exits on time.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

log = logging.getLogger(__name__)

DrainStep = tuple[str, Callable[[float], Any]]  # (name, step(seconds_left))


class StopSignal:
    """Set by SIGTERM or SIGINT; ``serve`` waits on it in the main thread."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        """Put back the handlers that were there before (``serve`` called in-process, e.g. by tests)."""
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.trigger(signal.Signals(signum).name)

    def trigger(self, reason: str) -> None:
        """Stop as on a signal, for another ``reason`` (a web process whose first process is gone)."""
        self.signal_name = reason
        self.event.set()

    def wait(self) -> None:
        # A timed wait in a loop keeps the main thread responsive to signals on every platform.
        while not self.event.wait(0.5):
            pass


def drain(steps: list[DrainStep], *, budget: float) -> list[str]:
    """Run the steps in order within ``budget`` seconds in all; returns the names of those that overran."""
    deadline = time.monotonic() + budget
    overran = []
    for name, step in steps:
        left = max(0.0, deadline - time.monotonic())
        errors: list[BaseException] = []

        def run(step: Callable[[float], Any] = step, left: float = left, errors: list = errors) -> None:
            try:
                step(left)
            except BaseException as error:  # noqa: BLE001 - one failing step must not stop the others
                errors.append(error)

        worker = threading.Thread(target=run, name=f"drain-{name}", daemon=True)
        worker.start()
        worker.join(left)
        if worker.is_alive():
            overran.append(name)
            log.warning("stopping: %s did not finish within the drain; abandoned", name)
        elif errors:
            log.warning("stopping: %s failed: %s", name, type(errors[0]).__name__)
    return overran


def executor_step(executor: Executor | None) -> Callable[[float], None]:
    """Let the running tasks of an executor finish; tasks not started yet are cancelled."""
    def step(_left: float) -> None:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    return step


def scheduler_step(scheduler: Any) -> Callable[[float], None]:
    """APScheduler: no new ticks, and the tick in progress finishes (its ledger rows stay consistent)."""
    def step(_left: float) -> None:
        if scheduler is not None and getattr(scheduler, "running", False):
            scheduler.shutdown(wait=True)

    return step


def drain_hooks(ctx: Any) -> list[DrainStep]:
    """Queues other parts of the app own: anything on the context with ``shutdown(timeout)`` or
    ``drain(timeout)`` (the outbox, the delivery fan-out) is given the time left."""
    steps: list[DrainStep] = []
    for name in ("outbox", "delivery", "fanout"):
        target = getattr(ctx, name, None)
        for method in ("shutdown", "drain"):
            call = getattr(target, method, None)
            if callable(call):
                steps.append((f"{name}.{method}", lambda left, call=call: call(timeout=left)))
                break
    return steps


def bolt_listener_executor(app: Any) -> Executor | None:
    """The pool Bolt runs listeners on after the ack (private in Bolt; None if that ever changes)."""
    runner = getattr(app, "_listener_runner", None)
    return getattr(runner, "listener_executor", None)
