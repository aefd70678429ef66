"""What an invocation asks for: an SCF event turned into the buckets to evaluate.

Thin typed views over the raw event (``TimerEvent``, ``CloudEvent``, ``AuditLog``) and one dispatch,
``parse``. Pure: no I/O, no environment, no clock, so a handler can reject a bad event before it
builds any client.

Every bucket that leaves this module is a ``BucketRef``: hosts are built only from validated parts,
so a crafted name or region anywhere in an event makes the whole invocation invalid rather than
partly processed.
"""

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional

from .buckets import (
    BucketRef,
    InvalidBucket,
    join_bucket,
    parse_cos_resource,
    validate_bucket_name,
    validate_region,
)
from .shard import InvalidShard, Shard
from .shard import parse_block as parse_shard

TIMER, EVENT, MANUAL = "timer", "event", "manual"

COS_SOURCE = "cos.cloud.tencent"
TAG_SOURCE = "tag.cloud.tencent"

# Calls that add, change or remove tags on an existing resource. Tag definitions (CreateTag(s),
# DeleteTag(s)) touch no resource; creating a bucket with tags cannot request an unbind of a bucket
# that was never bound, and the sweep catches it anyway.
COS_EVENT_NAMES = frozenset({"PutBucketTagging", "DeleteBucketTagging"})
TAG_EVENT_NAMES = frozenset(
    {
        "AddResourceTag",
        "DeleteResourceTag",
        "ModifyResourceTags",
        "UpdateResourceTagValue",
        "AttachResourcesTag",
        "DetachResourcesTag",
        "ModifyResourcesTagValue",
        "TagResources",
        "UnTagResources",
    }
)
RELEVANT_EVENT_NAMES = {COS_SOURCE: COS_EVENT_NAMES, TAG_SOURCE: TAG_EVENT_NAMES}

# CloudAudit types: API, console and mini-program origins of the same write call.
_AUDIT_TYPE_SUFFIXES = (":CloudEvent:ApiCall", ":CloudEvent:ConsoleCall", ":CloudEvent:MiniProgramCall")

FAILED_CALL = "failed_call"
UNRELATED_SOURCE = "unrelated_source"
UNRELATED_EVENT = "unrelated_event"
NOT_A_BUCKET = "not_a_bucket"

_MANUAL_KEYS = ("buckets", "dry_run", "shard")
_BUCKET_PARAM_KEYS = ("bucket", "Bucket", "bucketName", "BucketName")
_REGION_PARAM_KEYS = ("region", "Region", "ResourceRegion")
_RESOURCE_PARAM_KEYS = ("Resource", "Resources", "ResourceList")
_RESOURCE_ID_PARAM_KEYS = ("ResourceId", "ResourceIds")
# Tencent names array parameters 'Name.N'; an audit log may keep that flattened form.
_INDEXED_PARAM_RE = re.compile(r"^(?P<name>[A-Za-z]+)\.(?P<index>[0-9]{1,4})$")
# A Tag-service COS ResourceId may carry the APPID apart, like the 'prefix//<appid>/<short>' form.
_RESOURCE_ID_RE = re.compile(r"^/?(?P<appid>[0-9]+)/(?P<short>[^/]+)$")
_EPOCH_MS_RE = re.compile(r"^[0-9]{1,19}(?:\.[0-9]*)?$")


class InvalidEvent(ValueError):
    """An event that cannot be acted on; the message is the reason, fit for the report."""


@dataclass(frozen=True)
class Trigger:
    """What to evaluate. ``dry_run`` is True only when a manual event asks for it: an event may make
    a run drier, never wetter. ``ignored`` holds one dict per CloudEvent skipped, with keys
    ``event_id``, ``reason`` (``failed_call``, ``unrelated_source``, ``unrelated_event``,
    ``not_a_bucket``) and ``event_name``."""

    kind: str
    buckets: tuple[BucketRef, ...]
    dry_run: Optional[bool] = None
    event_ids: tuple[str, ...] = ()
    ignored: tuple[dict, ...] = ()
    shard: Optional[Shard] = None  # a coordinator's worker invocation (lib/shard.py)


def _show(value: Any, limit: int = 80) -> str:
    # Event values end up in a user-facing report: keep them recognisable but bounded.
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _why(exc: Exception, limit: int = 200) -> str:
    # Validation messages quote the offending value, which an event can make arbitrarily long.
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _nonempty_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value.strip() else None


def _json_object(value: Any) -> Optional[dict]:
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


def _is_error_code(value: Any) -> bool:
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
        return _nonempty_str(self.raw.get(key))


class TimerEvent(DictWrapper):
    """SCF timer trigger: ``{"Type": "Timer", "TriggerName", "Time", "Message"}``."""

    __slots__ = ()

    @staticmethod
    def matches(event: dict) -> bool:
        kind = event.get("Type")
        return isinstance(kind, str) and kind.lower() == "timer"

    @property
    def trigger_name(self) -> Optional[str]:
        return self._str("TriggerName")

    @property
    def time(self) -> Optional[str]:
        return self._str("Time")

    @property
    def message(self) -> Optional[str]:
        return self._str("Message")


class AuditLog(DictWrapper):
    """The CloudAudit log carried as a CloudEvent's ``data``."""

    __slots__ = ()

    @property
    def event_name(self) -> Optional[str]:
        return self._str("eventName")

    @property
    def succeeded(self) -> bool:
        # A missing errorCode reads as success: the event is only a hint (live tags are re-read),
        # so acting on a failed call costs a read, while dropping a good one waits for the sweep.
        return not (_is_error_code(self.raw.get("errorCode")) or _is_error_code(self.raw.get("apiErrorCode")))

    @property
    def event_region(self) -> Optional[str]:
        return self._str("eventRegion")

    @property
    def region(self) -> Optional[str]:
        return self._str("region")

    @property
    def resource_name(self) -> Any:
        return self.raw.get("resourceName")

    @property
    def resource_type(self) -> Optional[str]:
        return self._str("resourceType")

    @property
    def request_parameters(self) -> dict:
        """The call's parameters; the log may hold them JSON-encoded. Unreadable reads as empty."""
        return _json_object(self.raw.get("requestParameters")) or {}


class CloudEvent(DictWrapper):
    """An EventBridge CloudEvents envelope."""

    __slots__ = ()

    @staticmethod
    def matches(event: dict) -> bool:
        return "specversion" in event or ("source" in event and "type" in event)

    @property
    def id(self) -> Optional[str]:
        value = self.raw.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return _nonempty_str(value)

    @property
    def source(self) -> Optional[str]:
        return self._str("source")

    @property
    def type(self) -> Optional[str]:
        return self._str("type")

    @property
    def subjects(self) -> tuple[str, ...]:
        # Some EventBridge pages spell the key 'subjuect'; both are read.
        found = []
        for key in ("subject", "subjuect"):
            value = self._str(key)
            if value and value not in found:
                found.append(value)
        return tuple(found)

    @property
    def time_ms(self) -> Optional[int]:
        """Event time in epoch milliseconds (sent as a number or a numeric string); None if unreadable."""
        value = self.raw.get("time")
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value if value >= 0 else None
        if isinstance(value, float):
            return int(value) if math.isfinite(value) and value >= 0 else None
        if isinstance(value, str) and _EPOCH_MS_RE.match(value.strip()):
            return int(float(value)) if "." in value else int(value)
        return None

    @property
    def region(self) -> Optional[str]:
        return self._str("region")

    @property
    def data(self) -> Optional[AuditLog]:
        data = _json_object(self.raw.get("data"))
        return AuditLog(data) if data is not None else None

    @property
    def is_audit_call(self) -> bool:
        kind = self.type
        return bool(kind) and kind.endswith(_AUDIT_TYPE_SUFFIXES)


def parse(event: Any) -> Trigger:
    """Classify an invocation event and name the buckets it concerns; raise InvalidEvent if unusable."""
    if not isinstance(event, dict) or not event:
        raise InvalidEvent(
            f"unrecognised event: expected a timer, EventBridge or manual event, got {_show(event)}"
        )
    if "EventList" in event:
        envelopes = event["EventList"]
        if not isinstance(envelopes, list) or not envelopes:
            raise InvalidEvent(f"EventList must be a non-empty list of events, got {_show(envelopes)}")
        return _parse_cloud_events(envelopes, batch=True)
    if TimerEvent.matches(event):
        return Trigger(kind=TIMER, buckets=())
    if CloudEvent.matches(event):
        return _parse_cloud_events([event], batch=False)
    if "buckets" in event:
        return _parse_manual(event)
    keys = ", ".join(sorted(_show(k, 40) for k in event))
    raise InvalidEvent(f"unrecognised event with keys {keys}: expected a timer, EventBridge or manual event")


def _parse_manual(event: dict) -> Trigger:
    unknown = sorted(_show(k, 40) for k in event if k not in _MANUAL_KEYS)
    if unknown:
        raise InvalidEvent(f"manual event: unknown keys {', '.join(unknown)} (allowed: buckets, dry_run, shard)")
    dry_run = event.get("dry_run")
    if "dry_run" in event and not isinstance(dry_run, bool):
        raise InvalidEvent(f"manual event: dry_run must be true or false, got {_show(dry_run)}")
    entries = event["buckets"]
    if not isinstance(entries, list) or not entries:
        raise InvalidEvent(
            f"manual event: buckets must be a non-empty list of {{'bucket', 'region'}} objects, got {_show(entries)}"
        )
    refs = []
    for index, entry in enumerate(entries):
        where = f"manual event: buckets[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"bucket", "region"}:
            raise InvalidEvent(
                f"{where} must be an object with exactly 'bucket' and 'region', got {_show(entry)}"
            )
        bucket, region = entry["bucket"], entry["region"]
        if not isinstance(bucket, str) or not isinstance(region, str):
            raise InvalidEvent(f"{where}: bucket and region must be strings, got {_show(entry)}")
        try:
            ref = BucketRef(region=region, bucket=bucket)
        except InvalidBucket as exc:
            raise InvalidEvent(f"{where}: {_why(exc)}") from exc
        if ref not in refs:
            refs.append(ref)
    try:
        shard = parse_shard(event["shard"]) if "shard" in event else None
    except InvalidShard as exc:
        raise InvalidEvent(f"manual event: {exc}") from None
    # 'false' cannot override a dry-run setting, so it is the same as saying nothing.
    return Trigger(kind=MANUAL, buckets=tuple(refs), dry_run=True if dry_run else None, shard=shard)


def _parse_cloud_events(envelopes: list, batch: bool) -> Trigger:
    refs: list[BucketRef] = []
    event_ids: list[str] = []
    ignored: list[dict] = []
    for index, raw in enumerate(envelopes):
        label = f"EventList[{index}]" if batch else "event"
        if not isinstance(raw, dict):
            raise InvalidEvent(f"{label} must be an object, got {_show(raw)}")
        envelope = CloudEvent(raw)
        if envelope.id is not None:
            label = f"{label} {_show(envelope.id, 60)}"
            if envelope.id not in event_ids:
                event_ids.append(envelope.id)
        buckets, reason = _buckets_of(envelope, label)
        if reason is not None:
            log = envelope.data
            ignored.append(
                {"event_id": envelope.id, "reason": reason, "event_name": log.event_name if log else None}
            )
        for ref in buckets:
            if ref not in refs:
                refs.append(ref)
    return Trigger(kind=EVENT, buckets=tuple(refs), event_ids=tuple(event_ids), ignored=tuple(ignored))


def _buckets_of(envelope: CloudEvent, label: str) -> tuple[list[BucketRef], Optional[str]]:
    """The buckets one envelope names, or the reason it is ignored."""
    source = envelope.source
    if source not in RELEVANT_EVENT_NAMES:
        return [], UNRELATED_SOURCE
    log = envelope.data
    if log is None or not envelope.is_audit_call or log.event_name not in RELEVANT_EVENT_NAMES[source]:
        return [], UNRELATED_EVENT
    if not log.succeeded:
        return [], FAILED_CALL
    extraction = _Extraction(envelope, log, label)
    buckets = extraction.run()
    if buckets:
        return buckets, None
    if source == TAG_SOURCE and extraction.saw_other_resource:
        return [], NOT_A_BUCKET
    raise InvalidEvent(
        f"{label}: {log.event_name} names no bucket (looked in resourceName, subject, requestParameters)"
    )


class _Extraction:
    """Collects every bucket one audit event names, in first-seen order, then settles regions."""

    def __init__(self, envelope: CloudEvent, log: AuditLog, label: str):
        self.envelope = envelope
        self.log = log
        self.label = label
        self.params = log.request_parameters
        self.saw_other_resource = False
        # ('ref', BucketRef) from resource strings; ('name', (bucket, region or None, where)) from bare
        # names, whose region is settled once every resource string has been seen.
        self.entries: list[tuple[str, Any]] = []
        self.param_region = self._param_region()
        service = self.params.get("ServiceType")
        self.service_type = service.strip().lower() if isinstance(service, str) and service.strip() else None
        resource_type = (log.resource_type or "").strip().lower()
        # Bare names are read as buckets only where the event is known to be about COS: a Tag-service
        # resourceName of another product (e.g. 'ins-12345678') can look like a bucket name.
        self.cos_scoped = (
            envelope.source == COS_SOURCE or self.service_type == "cos" or resource_type == "cos"
        )

    def fail(self, where: str, exc: Exception) -> InvalidEvent:
        return InvalidEvent(f"{self.label}: {where}: {_why(exc)}")

    def run(self) -> list[BucketRef]:
        self._from_resource_name()
        for subject in self.envelope.subjects:
            if subject.startswith("qcs:"):
                self._resource(subject, "subject")
        self._from_request_parameters()
        return self._settle()

    def _param_region(self) -> Optional[str]:
        for key in _REGION_PARAM_KEYS:
            value = self.params.get(key)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                raise InvalidEvent(
                    f"{self.label}: requestParameters.{key} must be a region string, got {_show(value)}"
                )
            return value
        return None

    def _fallback_region(self) -> Optional[str]:
        return self.param_region or self.log.event_region or self.log.region or self.envelope.region

    def _resource(self, value: Any, where: str) -> None:
        """A six-segment resource string: a COS bucket, or evidence of another product's resource."""
        if not isinstance(value, str) or not value.startswith("qcs:"):
            raise InvalidEvent(f"{self.label}: {where}: expected a qcs:: resource string, got {_show(value)}")
        parts = value.split(":", 3)
        if len(parts) < 3 or parts[1] != "" or parts[2] != "cos":
            self.saw_other_resource = True
            return
        try:
            ref = parse_cos_resource(value, default_region=self._fallback_region())
        except InvalidBucket as exc:
            raise self.fail(where, exc) from exc
        self.entries.append(("ref", ref))

    def _name(self, value: Any, where: str, region: Optional[str] = None) -> None:
        try:
            bucket = validate_bucket_name(value)
        except InvalidBucket as exc:
            raise self.fail(where, exc) from exc
        self.entries.append(("name", (bucket, region, where)))

    def _from_resource_name(self) -> None:
        value = self.log.resource_name
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, list):
            items = [item for item in value if isinstance(item, str)]
        else:
            return
        for item in items:
            item = item.strip()
            if not item:
                continue
            if item.startswith("qcs:"):
                self._resource(item, "data.resourceName")
            elif self.cos_scoped:
                self._name(item, "data.resourceName")

    def _param_values(self, keys: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        """Values under the given keys, whether sent as one value, a list, or flattened 'Key.N'."""
        wanted = set(keys)
        indexed = []
        for key, value in self.params.items():
            if key in wanted:
                values = value if isinstance(value, list) else [value]
                for position, item in enumerate(values):
                    where = f"requestParameters.{key}" + (f"[{position}]" if isinstance(value, list) else "")
                    if item is not None and item != "":
                        yield where, item
            elif isinstance(key, str):
                m = _INDEXED_PARAM_RE.match(key)
                if m and m.group("name") in wanted and value is not None and value != "":
                    indexed.append((int(m.group("index")), key, value))
        for _, key, value in sorted(indexed, key=lambda entry: entry[0]):
            yield f"requestParameters.{key}", value

    def _from_request_parameters(self) -> None:
        for key in _BUCKET_PARAM_KEYS:
            value = self.params.get(key)
            if value is not None and value != "":
                self._name(value, f"requestParameters.{key}", self.param_region)
        for where, value in self._param_values(_RESOURCE_PARAM_KEYS):
            if isinstance(value, str):
                # Some callers join several resources in one string.
                for item in (part.strip() for part in value.split(",")):
                    if item:
                        self._resource(item, where)
            else:
                self._resource(value, where)
        if self.service_type is None:
            return
        if self.service_type != "cos":
            self.saw_other_resource = True
            return
        for where, value in self._param_values(_RESOURCE_ID_PARAM_KEYS):
            self._resource_id(value, where)

    def _resource_id(self, value: Any, where: str) -> None:
        # COS ResourceIds are '<name>-<appid>', or '<appid>/<name>' when the prefix form is used.
        m = _RESOURCE_ID_RE.match(value) if isinstance(value, str) else None
        if m:
            try:
                bucket = join_bucket(m.group("short"), m.group("appid"))
            except InvalidBucket as exc:
                raise self.fail(where, exc) from exc
            self.entries.append(("name", (bucket, self.param_region, where)))
        else:
            self._name(value, where, self.param_region)

    def _settle(self) -> list[BucketRef]:
        # A bare name takes the region of a resource string naming the same bucket first.
        resource_regions: dict[str, str] = {}
        for kind, item in self.entries:
            if kind == "ref":
                resource_regions.setdefault(item.bucket, item.region)
        if self.param_region is not None:
            # Checked even when a resource string supplies the region: a crafted value is never ignored.
            self._region(self.param_region, "requestParameters region")
        refs: list[BucketRef] = []
        for kind, item in self.entries:
            if kind == "ref":
                ref = item
            else:
                bucket, region, where = item
                region = resource_regions.get(bucket) or region or self._fallback_region()
                if region is None:
                    raise InvalidEvent(f"{self.label}: {where}: no region given for bucket {bucket!r}")
                ref = BucketRef(region=self._region(region, where), bucket=bucket)
            if ref not in refs:
                refs.append(ref)
        return refs

    def _region(self, region: str, where: str) -> str:
        try:
            return validate_region(region)
        except InvalidBucket as exc:
            raise self.fail(where, exc) from exc
