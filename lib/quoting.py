"""Bounded quoting of values an event brings, for the messages that quote them (the report, the log
line, the digest): an event can make a value or its keys arbitrarily long and many."""

import json
import re
from collections.abc import Iterable
from typing import Any

KEY_CHARS = 40  # a key quoted in a message
MOST_KEYS = 10  # keys quoted in one message; the rest are counted


# What JSON leaves raw that a reader may take for a line break: C1 controls and the Unicode separators.
_BREAKS = re.compile("[\u0080-\u009f\u2028\u2029]")
_JSON_TYPES = {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def show(value: Any, limit: int = 80) -> str:
    """The value as the JSON the user wrote (null, not None), cut to `limit`: recognisable, bounded,
    and on one line (line breaks, control characters and the Unicode line separators escaped)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except RecursionError:  # a deeply nested JSON value: its type says enough
        text = f"(a deeply nested {json_type(value)})"
    except (TypeError, ValueError):  # not JSON at all (the handler was called from Python)
        text = f"(a {type(value).__name__}, not JSON)"
    text = _BREAKS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def show_keys(keys: Iterable[Any], limit: int = KEY_CHARS, most: int = MOST_KEYS) -> str:
    """Keys for a message, each cut to `limit`, the first `most` in order and the rest counted."""
    shown = sorted(show(k, limit) for k in keys)
    text = ", ".join(shown[:most])
    return f"{text} and {len(shown) - most} more" if len(shown) > most else text
