"""The gate in front of Bolt for HTTP mode: a hostile or broken request is answered with a 4xx
before any of it is parsed, and never reaches a listener.

Order matters. The size comes first (from Content-Length, before a byte is read,
and the read itself is capped), then the signature over the raw bytes (so an
unsigned request is never decoded, let alone parsed), and only then the shape
of a signed body: UTF-8, a well-formed form or JSON, a ``payload=`` that is a
JSON object. Bolt does its own checks again after this; they can no longer
raise on input we let through.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (a big modal's state) stay far below this
SIGNATURE_WINDOW_SECONDS = 300  # Slack's documented replay window
_TIMESTAMP_DIGITS = 12


@dataclass(frozen=True)
class Rejection:
    status: str  # e.g. "413 Payload Too Large"
    reason: str  # short, safe to send back: no input echoed, no traceback


class RequestRejected(Exception):
    def __init__(self, rejection: Rejection):
        super().__init__(rejection.reason)
        self.rejection = rejection


def _reject(status: str, reason: str) -> RequestRejected:
    return RequestRejected(Rejection(status, reason))


def body_length(content_length: str | None, *, limit: int = MAX_BODY_BYTES) -> int:
    """The declared size, checked before reading: missing -> 411, not a number -> 400, too big -> 413."""
    if content_length is None or content_length == "":
        raise _reject("411 Length Required", "send a Content-Length")
    if not (content_length.isascii() and content_length.isdigit()) or len(content_length) > 12:
        raise _reject("400 Bad Request", "Content-Length is not a number")
    length = int(content_length)
    if length > limit:
        raise _reject("413 Payload Too Large", f"the body is over {limit} bytes")
    return length


def read_body(stream, length: int) -> bytes:  # noqa: ANN001 - a WSGI input stream
    """Exactly ``length`` bytes (already capped); a client that sends fewer gets a 400."""
    chunks, remaining = [], length
    while remaining > 0:
        chunk = stream.read(min(remaining, 65536))
        if not chunk:
            raise _reject("400 Bad Request", "the body is shorter than its Content-Length")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def check_signature(*, secret: str, body: bytes, timestamp: str | None, signature: str | None,
                    now: Callable[[], float] = time.time) -> None:
    """Slack's v0 signature over the raw bytes, inside the replay window; anything else -> 401."""
    if not timestamp or not signature:
        raise _reject("401 Unauthorized", "missing Slack signature headers")
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _TIMESTAMP_DIGITS:
        raise _reject("401 Unauthorized", "the request timestamp is not a number")
    if abs(now() - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
        raise _reject("401 Unauthorized", "the request timestamp is outside the allowed window")
    if not signature.isascii():
        raise _reject("401 Unauthorized", "invalid signature")
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise _reject("401 Unauthorized", "invalid signature")


def check_shape(body: bytes, content_type: str | None) -> None:
    """A signed body that Bolt could choke on: not UTF-8, bad JSON, a ``payload=`` that is no JSON object."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _reject("400 Bad Request", "the body is not UTF-8") from None
    if (content_type or "").split(";")[0].strip().lower() == "application/json":
        _json_object(text, "the body")
        return
    try:
        form = parse_qs(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict", max_num_fields=200)
    except (ValueError, UnicodeDecodeError):
        raise _reject("400 Bad Request", "the body is not a well-formed form") from None
    if "payload" in form:
        if len(form["payload"]) != 1:
            raise _reject("400 Bad Request", "more than one payload field")
        _json_object(form["payload"][0], "payload")
    elif "command" not in form and "ssl_check" not in form:
        raise _reject("400 Bad Request", "neither a slash command nor an interactive payload")


def _json_object(text: str, what: str) -> None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _reject("400 Bad Request", f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise _reject("400 Bad Request", f"{what} is not a JSON object")
