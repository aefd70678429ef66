"""What an invocation asks for: an SCF event turned into the buckets to evaluate.

One small parser per event source (``timer``, ``manual``, ``cloudevent`` + ``audit`` for the
records EventBridge delivers, ``batch`` for ``EventList``) and one dispatch, ``parse``. Pure: no
I/O, no environment, no clock, so a handler can reject a bad event before it builds any client.

Every bucket that leaves this package is a ``BucketRef``: hosts are built only from validated
parts, so a crafted name or region makes the event (or, in a batch, that record) unreadable rather
than partly processed.
"""

from typing import Any

from ..quoting import show, show_keys
from .cloudevent import (
    COS_EVENT_NAMES,
    COS_SOURCE,
    FAILED_CALL,
    NOT_A_BUCKET,
    RELEVANT_EVENT_NAMES,
    TAG_EVENT_NAMES,
    TAG_SOURCE,
    UNRELATED_EVENT,
    UNRELATED_SOURCE,
    AuditLog,
    CloudEvent,
)
from .common import EVENT, MANUAL, TIMER, DictWrapper, InvalidEvent, Trigger
from .manual import parse_manual
from .timer import TimerEvent

__all__ = [
    "COS_EVENT_NAMES", "COS_SOURCE", "EVENT", "FAILED_CALL", "MANUAL", "NOT_A_BUCKET", "RELEVANT_EVENT_NAMES",
    "TAG_EVENT_NAMES", "TAG_SOURCE", "TIMER", "UNRELATED_EVENT", "UNRELATED_SOURCE", "AuditLog", "CloudEvent",
    "DictWrapper", "InvalidEvent", "TimerEvent", "Trigger", "parse",
]


def parse(event: Any) -> Trigger:
    """Classify an invocation event and name the buckets it concerns; raise InvalidEvent if unusable."""
    if not isinstance(event, dict) or not event:
        raise InvalidEvent(
            f"unrecognised event: expected a timer, EventBridge or manual event, not {show(event)}"
        )
    if "EventList" in event:
        from .batch import parse_cloud_events  # with the audit-log reader: events only (cold start)

        envelopes = event["EventList"]
        if not isinstance(envelopes, list) or not envelopes:
            raise InvalidEvent(f"EventList must be a non-empty list of events, not {show(envelopes)}")
        return parse_cloud_events(envelopes, batch=True)
    if TimerEvent.matches(event):
        return Trigger(kind=TIMER, buckets=())
    if CloudEvent.matches(event):
        from .batch import parse_cloud_events  # with the audit-log reader: events only (cold start)

        return parse_cloud_events([event], batch=False)
    if "buckets" in event:
        return parse_manual(event)
    keys = show_keys(event)
    raise InvalidEvent(f"unrecognised event with keys {keys}: expected a timer, EventBridge or manual event")
