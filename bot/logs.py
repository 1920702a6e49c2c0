"""Logging that can never print a secret.

slack-sdk already redacts the Authorization header, but tokens can still reach
a log line through an exception message or a payload; this filter masks
anything token-shaped, plus the configured secrets themselves, in every record.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_TOKEN = re.compile(r"\b(xox[abposr]|xapp)-[A-Za-z0-9-]+")
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


def configure_logging(level: str, secrets: Iterable[str | None]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
