"""Bounded quoting of values an event brings, for the messages that quote them (the report, the log
line, the digest): an event can make a value or its keys arbitrarily long and many."""

from collections.abc import Iterable
from typing import Any

KEY_CHARS = 40  # a key quoted in a message
MOST_KEYS = 10  # keys quoted in one message; the rest are counted


def show(value: Any, limit: int = 80) -> str:
    """repr, cut to `limit`: recognisable, bounded, and on one line (repr escapes line breaks,
    control characters and the Unicode line separators)."""
    try:
        text = repr(value)
    except RecursionError:  # a deeply nested JSON value: its type says enough
        text = f"<deeply nested {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show_keys(keys: Iterable[Any], limit: int = KEY_CHARS, most: int = MOST_KEYS) -> str:
    """Keys for a message, each cut to `limit`, the first `most` in order and the rest counted."""
    shown = sorted(show(k, limit) for k in keys)
    text = ", ".join(shown[:most])
    return f"{text} and {len(shown) - most} more" if len(shown) > most else text
