"""Plain text and the shared pieces of every grammar: the error type, limits, markup masks, tokens.

Slack sends command text *escaped* (the app's manifest sets ``should_escape``):
a mention arrives as ``<@U123|jane>``, a typed ``&`` as ``&amp;``, a typed ``<``
as ``&lt;``. So the structure of a command (``;``, ``for``, ``from``, quotes) is
found on a *mask* of the text in which every piece of Slack markup and every
entity is blanked out, and each field is then cut from the original text and
turned into plain text exactly once, by ``plain_text``. That way a ``;`` in
``&amp;`` never splits an entry, a ``for`` in a link label never splits a name,
and no field can ever carry live markup such as ``<!channel>`` into a reply.
"""
from __future__ import annotations

import re

# Limits. Slack caps command text near 4,000 characters; 3,000 leaves room for our replies to quote it.
MAX_TEXT = 3000
MAX_NAME = 150
MAX_FOR_WHOM = 200
MAX_REASON = 300
MAX_ASK_ENTRIES = 20


class CommandError(ValueError):
    """Text that doesn't parse: what was wrong, the right form, and maybe the verb they meant.

    ``message`` is one short sentence for the rep; ``usage`` is the form to copy
    (one line, or several joined by newlines); ``suggestion`` is a known verb
    when the rep mistyped one.
    """

    def __init__(self, message: str, *, usage: str, suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.usage = usage
        self.suggestion = suggestion


# --------------------------------------------------------------------------- plain text

# Control characters are deleted, except the ones that separate words, which become spaces
# ("Jane\nDoe" is "Jane Doe", not "JaneDoe"). Lone surrogates can't be stored as UTF-8, so
# they go too. Format characters (RTL marks, zero-width joiners in emoji) are kept.
_SEPARATING_CONTROLS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85"
_CONTROLS: dict[int, str | None] = {
    **{code: None for code in [*range(0x00, 0x20), *range(0x7F, 0xA0), *range(0xD800, 0xE000)]},
    **{ord(char): " " for char in _SEPARATING_CONTROLS},
}

# Slack markup: <@U…|label>, <#C…|label>, <!here>, <!subteam^S…|@label>, <scheme:…|label>.
# Anything else in angle brackets (say "<3 >" typed in a modal) is left alone as text.
_MARKUP = re.compile(r"<([@#!][^<>]*|[A-Za-z][A-Za-z0-9+.\-]*:[^<>]*)>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_BROADCASTS = frozenset({"channel", "here", "everyone"})
# A run of "<" right before what Slack would read as markup (!, @, #, or a URL scheme). The lookbehind makes
# the match start only at the run's first "<", so a long run of "<" is scanned once, not once per "<".
_LIVE_MARKUP_START = re.compile(r"(?<!<)<+(?=[!@#]|[A-Za-z][A-Za-z0-9+.\-]{0,31}:)")


def strip_controls(text: str) -> str:
    return text.translate(_CONTROLS)


def _markup_label(match: re.Match[str]) -> str:
    """What a piece of Slack markup reads as, as plain text."""
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if inner.startswith("@"):  # user mention
        return "@" + (label.lstrip("@") or target[1:])
    if inner.startswith("#"):  # channel
        return "#" + (label.lstrip("#") or target[1:])
    if inner.startswith("!"):  # special: broadcasts, user groups, dates
        kind, _, argument = target[1:].partition("^")
        if kind in _BROADCASTS:
            return "@" + kind
        if kind == "subteam":
            return "@" + (label.lstrip("@") or argument)
        return label or kind
    return label or target  # a link


def _unescape(text: str) -> str:
    # &amp; last, so that a typed "&lt;" (sent as "&amp;lt;") stays the text "&lt;".
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text(text: str) -> str:
    """``text`` as a person reads it, safe to store and to show anywhere.

    Slack markup becomes its visible label (``<@U1|jane>`` -> ``@jane``,
    ``<!channel>`` -> ``@channel``, ``<#C1|general>`` -> ``#general``,
    ``<http://x|label>`` -> ``label``, ``<http://x>`` -> ``http://x``); Slack's
    entities are unescaped; control characters are dropped; runs of whitespace
    become one space; emoji and right-to-left text are kept as they are.

    Markup is neutralised a second time after unescaping, because a rep who
    literally types ``<!channel>`` sends ``&lt;!channel&gt;``; any ``<`` left
    right before ``!``, ``@``, ``#`` or a URL scheme is dropped (nested input like
    ``&lt;&lt;!h&gt;ttps://evil|click&gt;`` would otherwise come out as a link). So
    the result never contains ``<!``, ``<@`` or ``<http``, and a renderer that
    forgets to escape a field still can't ping a channel or show a live link.

    Call it once per field: unescaping twice would turn a typed ``&lt;`` into ``<``.
    """
    cleaned = _MARKUP.sub(_markup_label, strip_controls(text))
    cleaned = _MARKUP.sub(_markup_label, _unescape(cleaned))
    cleaned = _LIVE_MARKUP_START.sub("", cleaned)
    return " ".join(cleaned.split())


def mask_markup(text: str) -> str:
    """``text`` with markup and entities blanked out (same length), for finding structure.

    NUL is the blank: _strip_controls removed every real NUL, and NUL is neither
    a word character nor whitespace, so ``<@U1|x>for`` still has ``for`` as a word.
    """
    def blank(match: re.Match[str]) -> str:
        return "\0" * len(match.group())

    return _ENTITY.sub(blank, _MARKUP.sub(blank, text))


def echo(text: str, limit: int = 40) -> str:
    """User input quoted inside an error message: plain, short, and unable to break out of `code`."""
    shown = plain_text(text).replace("`", "'")
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def check_length(text: str, usage: str) -> None:
    if len(text) > MAX_TEXT:
        raise CommandError(f"That's too long ({len(text):,} characters); keep it under {MAX_TEXT:,}.",
                           usage=usage)


def limit_length(value: str, limit: int, what: str, usage: str) -> str:
    if len(value) > limit:
        raise CommandError(f"{what} is too long ({len(value)} characters); keep it under {limit}.",
                           usage=usage)
    return value


def split_outside_markup(text: str, separator: str) -> list[str]:
    """Split on a one-character separator, except inside markup and entities (``&amp;`` has a ``;``)."""
    mask = mask_markup(text)
    parts, start = [], 0
    for index, char in enumerate(mask):
        if char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


QUOTES = {'"': '"', "“": "”", "”": "”", "„": "“"}


def unquote(text: str) -> str:
    """``"Bob Smith"`` -> ``Bob Smith``; anything not wrapped in one pair of quotes is returned stripped."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] in QUOTES and stripped[-1] == QUOTES[stripped[0]]:
        return stripped[1:-1].strip()
    return stripped


def first_token(text: str) -> tuple[str, str]:
    """(first token, rest): a double-quoted string is one token, and markup is never cut in two."""
    stripped = text.strip()
    if stripped[:1] in QUOTES:
        close = stripped.find(QUOTES[stripped[0]], 1)
        if close == -1:
            raise ValueError("unclosed quote")
        return stripped[: close + 1], stripped[close + 1:]
    mask = mask_markup(stripped)
    for index, char in enumerate(mask):
        if char.isspace():
            return stripped[:index], stripped[index:]
    return stripped, ""
