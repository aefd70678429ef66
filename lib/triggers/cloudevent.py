"""EventBridge CloudEvents envelopes and the CloudAudit log they carry."""

import math
import re
from typing import Any, Optional

from .common import DictWrapper, is_error_code, json_object, nonempty_str

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

_EPOCH_MS_RE = re.compile(r"^[0-9]{1,19}(?:\.[0-9]*)?\Z")


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
        return not (is_error_code(self.raw.get("errorCode")) or is_error_code(self.raw.get("apiErrorCode")))

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
        return json_object(self.raw.get("requestParameters")) or {}


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
        return nonempty_str(value)

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
        data = json_object(self.raw.get("data"))
        return AuditLog(data) if data is not None else None

    @property
    def is_audit_call(self) -> bool:
        kind = self.type
        return bool(kind) and kind.endswith(_AUDIT_TYPE_SUFFIXES)

