"""CloudEvents, one or a batch (``EventList``): each envelope's buckets, or why it is ignored.

In a batch, one unreadable record does not throw the others away: every readable one is evaluated
and each unreadable one is reported (its index, id and why). A batch with no readable record, or a
single event that cannot be read, is an invalid event as a whole.
"""

from ..buckets import BucketRef
from ..quoting import show
from .audit import buckets_of
from .cloudevent import CloudEvent
from .common import EVENT, InvalidEvent, Trigger, why


def parse_cloud_events(envelopes: list, batch: bool) -> Trigger:
    # Dicts as ordered sets: a large batch is read in linear time.
    refs: dict[BucketRef, None] = {}
    unlocated: dict[str, None] = {}
    event_ids: dict[str, None] = {}
    ignored: list[dict] = []
    unreadable: list[dict] = []
    for index, raw in enumerate(envelopes):
        label = f"EventList[{index}]" if batch else "event"
        envelope = CloudEvent(raw) if isinstance(raw, dict) else None
        event_id = envelope.id if envelope is not None else None
        try:
            if envelope is None:
                raise InvalidEvent(f"{label} must be an object, not {show(raw)}")
            if event_id is not None:
                label = f"{label} {show(event_id, 60)}"
            found, names, reason = buckets_of(envelope, label)
        except InvalidEvent as err:
            if not batch:
                raise
            unreadable.append({"index": index, "event_id": event_id, "reason": why(err, 300)})
            continue
        if event_id is not None:
            event_ids.setdefault(event_id)
        if reason is not None:
            log = envelope.data
            ignored.append({"event_id": event_id, "reason": reason, "event_name": log.event_name if log else None})
        for ref in found:
            refs.setdefault(ref)
        for name in names:
            unlocated.setdefault(name)
    if unreadable and len(unreadable) == len(envelopes):
        reasons = "; ".join(entry["reason"] for entry in unreadable[:3])
        more = f" (and {len(unreadable) - 3} more)" if len(unreadable) > 3 else ""
        raise InvalidEvent(f"no record of the EventList could be read: {reasons}{more}"[:1000])
    # A bucket that one record located needs no lookup for another record's bare mention.
    located = {ref.bucket for ref in refs}
    return Trigger(kind=EVENT, buckets=tuple(refs), event_ids=tuple(event_ids), ignored=tuple(ignored),
                   unlocated=tuple(name for name in unlocated if name not in located),
                   unreadable=tuple(unreadable))
