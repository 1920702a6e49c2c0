"""Logging that can never print a secret, quiet by default, as text or JSON (LOG_FORMAT=json).

slack-sdk already redacts the Authorization header, but tokens can still reach
a log line through an exception message or a payload; this filter masks
anything token-shaped, plus the configured secrets themselves, in every record.
Each line carries the Slack request or the scheduled job it belongs to, when there is one.
"""
from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# Set by the Bolt middleware (bot.metrics) for a request, and by the scheduler for a job run.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("job_id", default=None)
LOG_FORMATS = ("text", "json")

_TOKEN = re.compile(r"\b(xox[abeposr]|xapp)-[A-Za-z0-9-]+")
# The lookbehind starts a match only where a scheme can start, and the password stops at a "/" (a URL
# must percent-encode one there), so no stretch of text is scanned from more than one start: linear.
_URL_PASSWORD = re.compile(r"(?<![a-z0-9+.-])(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s/]+@")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 6]

    def redact(self, text: str) -> str:
        text = _TOKEN.sub(lambda m: f"{m.group(1)}-(redacted)", text)
        text = _URL_PASSWORD.sub(r"\g<scheme>(redacted)@", text)
        for secret in self._secrets:
            text = text.replace(secret, "(redacted)")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if record.exc_info:
            # Render the traceback now, so that its text goes through the same mask.
            formatter = logging.Formatter()
            redacted += "\n" + self.redact(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        return True


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Log lines inside carry this job id; it is gone afterwards, so the thread's next work starts clean."""
    job, request = JOB_ID.set(job_id), REQUEST_ID.set(None)  # a job run is no Slack request
    try:
        yield
    finally:
        JOB_ID.reset(job)
        REQUEST_ID.reset(request)


class ContextIds(logging.Filter):
    """Adds ``request_id`` and ``job_id`` to every record, and ``ids``, their text form for the plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id, record.job_id = REQUEST_ID.get(), JOB_ID.get()
        parts = [f"request={record.request_id}" if record.request_id else "", f"job={record.job_id}" if record.job_id else ""]
        record.ids = f" [{' '.join(p for p in parts if p)}]" if any(parts) else ""
        return True


# Bolt reads SLACK_BOT_TOKEN from the environment itself, then warns that the client the factory hands it
# (or, with OAuth, the installation store) wins over that token: which is the intended set-up, every start.
_BOLT_START_NOISE = ("As you gave `client` as well, `token` will be unused.",
                     "As `installation_store` or `authorize` has been used,")


class DropBoltStartNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("slack_bolt") and str(record.msg).startswith(_BOLT_START_NOISE))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted, unless given another stream
    (``setStream``): a process never swaps stderr, but tests capture it per test, and a handler holding an
    earlier test's closed stream turned later log lines into "Logging error" tracebacks."""

    _chosen = None  # a stream set with setStream; None follows sys.stderr

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return self._chosen if self._chosen is not None else sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # noqa: ANN001
        self._chosen = None if value is sys.stderr else value


def configure_logging(level: str, secrets: Iterable[str | None], log_format: str = "text") -> None:
    """One handler on the root logger. Quiet by default: APScheduler's two INFO lines a tick (about 2,900 a
    day) are dropped; the scheduler logs one line for a tick that sent or failed something, none otherwise.
    Waitress's "Task queue depth is N" warnings are dropped too: it writes one for every request that finds
    no idle request thread, and with one thread per web process on SQLite (bot/config.py) that is every
    request of a burst (in bench/ack.py, one warning line per ack). A wait for a thread shows in the ack
    latency histogram (``/metrics``) instead."""
    handler = _StderrHandler()
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s",
                                           rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s%(ids)s"))
    for log_filter in (DropBoltStartNoise(), RedactSecrets(secrets), ContextIds()):
        handler.addFilter(log_filter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
