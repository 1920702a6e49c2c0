"""``serve --processes N`` (or ``WEB_PROCESSES``): N web processes answering Slack on one port (HTTP mode).

Why: CPython runs one thread's Python at a time in a process. One ``/asked`` costs about 1.9 ms of CPU in
``serve`` (Bolt, SQLAlchemy, the reply), so ten reps typing at once queue behind one core, whatever the
machine has. More processes use more cores. On two cores, two web processes took ``/asked`` from 0.56–0.65
to 0.72–0.95 of a bare Bolt app's acks per second (README "Benchmarks").

How: the process you start does what ``serve`` always does: the checks, the migrations, the port, the
scheduler. It then starts N-1 more ``serve --no-scheduler`` processes that inherit its listening socket
(``--listen-fd``) and skip the migrations. Every process accepts from that one socket, so a connection goes
to whichever is free. They share the database: on SQLite they queue for writes on its writer lock
(storage/engine.py ``WriterLock``) instead of SQLite's sleeping busy handler, and a replayed request is
refused by whichever process sees it second (storage/replays.py). Each has its own outbox, so a person
whose commands land on two processes may have their Home tab refreshed twice.

A web process that exits on its own is started again, at most once per ``RESTART_BACKOFF_SECONDS``.
Each one holds the read end of a pipe from the first: if the first dies without a word (SIGKILL), the
pipe closes and the others stop too, rather than serve on without a scheduler. On SIGTERM, the first
passes SIGTERM on, drains its own work, and waits for the others within the same drain budget.

Socket Mode has one connection per app token, so ``--processes`` applies to HTTP mode only.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

RESTART_BACKOFF_SECONDS = 5.0


class WebProcesses:
    """The web processes beyond the first, sharing its listening socket (file descriptor ``listen_fd``)."""

    def __init__(self, count: int, *, listen_fd: int, host: str) -> None:
        self._count = count
        self._listen_fd = listen_fd
        self._host = host
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen | None] = [None] * count
        # Its write end stays open in this process only: it closes when this process ends, however it ends.
        self._alive_read, self._alive_write = os.pipe()
        os.set_inheritable(self._alive_read, True)

    def start(self) -> None:
        for slot in range(self._count):
            self._spawn(slot)
            threading.Thread(target=self._watch, args=(slot,), name=f"web-process-{slot + 2}", daemon=True).start()

    def _spawn(self, slot: int) -> None:
        command = [sys.executable, "-m", "bot.cli", "serve", "--http", "--no-scheduler", "--host", self._host,
                   "--listen-fd", str(self._listen_fd), "--parent-fd", str(self._alive_read)]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, pass_fds=(self._listen_fd, self._alive_read))
        with self._lock:
            self._processes[slot] = process
        log.info("web process %d started (pid %d)", slot + 2, process.pid)

    def _watch(self, slot: int) -> None:
        while True:
            with self._lock:
                process = self._processes[slot]
            code = process.wait() if process is not None else None
            if self._stopping.is_set():
                return
            log.warning("web process %d (pid %s) exited with %s; starting another in %g s", slot + 2,
                        process.pid if process else "?", code, RESTART_BACKOFF_SECONDS)
            if self._stopping.wait(RESTART_BACKOFF_SECONDS):
                return
            self._spawn(slot)

    def stop_taking_work(self) -> None:
        """SIGTERM to each: they stop taking requests and drain their own, as this process does."""
        self._stopping.set()
        with self._lock:
            processes = [process for process in self._processes if process is not None]
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    def wait(self, seconds_left: float) -> None:
        """Wait for them to exit within ``seconds_left``; any still running then is killed."""
        deadline = time.monotonic() + seconds_left
        with self._lock:
            processes = [process for process in self._processes if process is not None]
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("web process pid %d did not stop within the drain; killed", process.pid)
                process.kill()
                process.wait()
        os.close(self._alive_write)
        os.close(self._alive_read)


def stop_when_parent_goes(parent_fd: int, stop: Callable[[], None]) -> None:
    """In a web process started by ``WebProcesses``: call ``stop`` once the first process is gone (the pipe's
    write end, held only there, closes with it)."""
    def watch() -> None:
        while True:
            try:
                if not os.read(parent_fd, 1):
                    break
            except InterruptedError:
                continue
            except OSError:
                break
        log.warning("the first web process is gone; stopping")
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
