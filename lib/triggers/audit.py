"""The buckets one audit record names: resource strings, bare names and request parameters."""

import re
from collections.abc import Iterator
from typing import Any, Optional

from ..buckets import (
    BucketRef,
    InvalidBucket,
    cos_resource_parts,
    join_bucket,
    validate_bucket_name,
    validate_region,
)
from ..quoting import show
from .cloudevent import (
    COS_SOURCE,
    FAILED_CALL,
    NOT_A_BUCKET,
    RELEVANT_EVENT_NAMES,
    TAG_SOURCE,
    UNRELATED_EVENT,
    UNRELATED_SOURCE,
    AuditLog,
    CloudEvent,
)
from .common import InvalidEvent, why

_BUCKET_PARAM_KEYS = ("bucket", "Bucket", "bucketName", "BucketName")
_REGION_PARAM_KEYS = ("region", "Region", "ResourceRegion")
_RESOURCE_PARAM_KEYS = ("Resource", "Resources", "ResourceList")
_RESOURCE_ID_PARAM_KEYS = ("ResourceId", "ResourceIds")
# Tencent names array parameters 'Name.N'; an audit log may keep that flattened form.
_INDEXED_PARAM_RE = re.compile(r"^(?P<name>[A-Za-z]+)\.(?P<index>[0-9]{1,4})\Z")
# A Tag-service COS ResourceId may carry the APPID apart, like the 'prefix//<appid>/<short>' form.
_RESOURCE_ID_RE = re.compile(r"^/?(?P<appid>[0-9]+)/(?P<short>[^/]+)\Z")


def buckets_of(envelope: CloudEvent, label: str) -> tuple[list[BucketRef], list[str], Optional[str]]:
    """The buckets one envelope names (located, and names whose region the record does not give),
    or the reason it is ignored."""
    source = envelope.source
    if source not in RELEVANT_EVENT_NAMES:
        return [], [], UNRELATED_SOURCE
    log = envelope.data
    if log is None or not envelope.is_audit_call or log.event_name not in RELEVANT_EVENT_NAMES[source]:
        return [], [], UNRELATED_EVENT
    if not log.succeeded:
        return [], [], FAILED_CALL
    extraction = _Extraction(envelope, log, label)
    buckets, unlocated = extraction.run()
    if buckets or unlocated:
        return buckets, unlocated, None
    if source == TAG_SOURCE and extraction.saw_other_resource:
        return [], [], NOT_A_BUCKET
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
        return InvalidEvent(f"{self.label}: {where}: {why(exc)}")

    def run(self) -> tuple[list[BucketRef], list[str]]:
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
                    f"{self.label}: requestParameters.{key} must be a region string, not {show(value)}"
                )
            return value
        return None

    def _fallback_region(self) -> Optional[str]:
        # Only the audit record speaks for the bucket. The envelope's region is where the event bus
        # runs (Guangzhou for the default cloud-service bus), not where the bucket is.
        return self.param_region or self.log.event_region or self.log.region

    def _resource(self, value: Any, where: str) -> None:
        """A six-segment resource string: a COS bucket, or evidence of another product's resource."""
        if not isinstance(value, str) or not value.startswith("qcs:"):
            raise InvalidEvent(f"{self.label}: {where}: expected a qcs:: resource string, not {show(value)}")
        parts = value.split(":", 3)
        if len(parts) < 3 or parts[1] != "" or parts[2] != "cos":
            self.saw_other_resource = True
            return
        try:
            region, bucket = cos_resource_parts(value)
            if region is None:  # 'qcs::cos::uid/...': settled with the bare names
                self.entries.append(("name", (bucket, None, where)))
                return
            ref = BucketRef(region=validate_region(region), bucket=bucket)
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

    def _settle(self) -> tuple[list[BucketRef], list[str]]:
        # A bare name takes the region of a resource string naming the same bucket first.
        resource_regions: dict[str, str] = {}
        for kind, item in self.entries:
            if kind == "ref":
                resource_regions.setdefault(item.bucket, item.region)
        if self.param_region is not None:
            # Checked even when a resource string supplies the region: a crafted value is never ignored.
            self._region(self.param_region, "requestParameters region")
        refs: dict[BucketRef, None] = {}
        unlocated: dict[str, None] = {}
        for kind, item in self.entries:
            if kind == "ref":
                refs.setdefault(item)
                continue
            bucket, region, where = item
            region = resource_regions.get(bucket) or region or self._fallback_region()
            if region is None:
                unlocated.setdefault(bucket)  # the caller finds its region (COS GET Service)
            else:
                refs.setdefault(BucketRef(region=self._region(region, where), bucket=bucket))
        return list(refs), list(unlocated)

    def _region(self, region: str, where: str) -> str:
        try:
            return validate_region(region)
        except InvalidBucket as exc:
            raise self.fail(where, exc) from exc
