"""What every event parser shares: the result type, the error, and bounded quoting of event values."""

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..buckets import BucketRef

if TYPE_CHECKING:  # lib.org.shard loads only for a coordinator's worker invocation (cold start)
    from ..org.shard import Shard

TIMER, EVENT, MANUAL = "timer", "event", "manual"


class InvalidEvent(ValueError):
    """An event that cannot be acted on; the message is the reason, fit for the report."""


@dataclass(frozen=True)
class Trigger:
    """What to evaluate. ``dry_run`` is True only when a manual event asks for it: an event may make
    a run drier, never wetter. ``ignored`` holds one dict per CloudEvent skipped, with keys
    ``event_id``, ``reason`` (``failed_call``, ``unrelated_source``, ``unrelated_event``,
    ``not_a_bucket``) and ``event_name``. ``unlocated`` names buckets whose record gave no region
    (the caller finds it; the envelope's region is the bus's, not the bucket's). ``unreadable`` holds
    one dict per record of a batch that could not be read (``index``, ``event_id``, ``reason``): the
    others are still evaluated, and the run is not ``ok``."""

    kind: str
    buckets: tuple[BucketRef, ...]
    dry_run: Optional[bool] = None
    event_ids: tuple[str, ...] = ()
    ignored: tuple[dict, ...] = ()
    unlocated: tuple[str, ...] = ()
    unreadable: tuple[dict, ...] = ()
    shard: Optional["Shard"] = None  # a coordinator's worker invocation (lib/org/shard.py)


def show(value: Any, limit: int = 80) -> str:
    # Event values end up in a user-facing report: written as the JSON the user wrote (null, not
    # None; {"bucket": ...}, not {'bucket': ...}), one line, bounded.
    try:
        text = json.dumps(value, ensure_ascii=False)
    except RecursionError:  # a deeply nested JSON value: its type says enough
        text = f"(a deeply nested {_JSON_TYPES.get(type(value), 'value')})"
    except (TypeError, ValueError):  # not JSON at all (the handler was called from Python)
        text = f"(a {type(value).__name__}, not JSON)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_JSON_TYPES = {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


def json_type(value: Any) -> str:
    """What a JSON value is, in JSON's words."""
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def why(exc: Exception, limit: int = 200) -> str:
    # Validation messages quote the offending value, which an event can make arbitrarily long.
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def nonempty_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value.strip() else None


def json_object(value: Any) -> Optional[dict]:
    """A dict, or a JSON-encoded dict; anything else reads as absent."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def is_error_code(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip() not in ("", "0")
    return True


class DictWrapper:
    """Read-only typed access to one raw event dict."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict):
        self.raw = raw

    def _str(self, key: str) -> Optional[str]:
        return nonempty_str(self.raw.get(key))

