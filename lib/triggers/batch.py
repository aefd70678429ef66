"""CloudEvents, one or a batch (``EventList``): each envelope's buckets, or why it is ignored."""

from ..buckets import BucketRef
from .audit import buckets_of
from .cloudevent import CloudEvent
from .common import EVENT, InvalidEvent, Trigger, show


def parse_cloud_events(envelopes: list, batch: bool) -> Trigger:
    refs: list[BucketRef] = []
    event_ids: list[str] = []
    ignored: list[dict] = []
    for index, raw in enumerate(envelopes):
        label = f"EventList[{index}]" if batch else "event"
        if not isinstance(raw, dict):
            raise InvalidEvent(f"{label} must be an object, got {show(raw)}")
        envelope = CloudEvent(raw)
        if envelope.id is not None:
            label = f"{label} {show(envelope.id, 60)}"
            if envelope.id not in event_ids:
                event_ids.append(envelope.id)
        buckets, reason = buckets_of(envelope, label)
        if reason is not None:
            log = envelope.data
            ignored.append(
                {"event_id": envelope.id, "reason": reason, "event_name": log.event_name if log else None}
            )
        for ref in buckets:
            if ref not in refs:
                refs.append(ref)
    return Trigger(kind=EVENT, buckets=tuple(refs), event_ids=tuple(event_ids), ignored=tuple(ignored))

