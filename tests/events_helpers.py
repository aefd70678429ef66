"""Sample events for tests: the files in events/ and builders for CloudAudit events via EventBridge."""

import copy
import json
from pathlib import Path
from typing import Any

EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"

APPID = "1250000000"
REGION = "ap-guangzhou"

UNSET: Any = object()


def load_event(name: str) -> Any:
    """One of the sample events, by file name with or without '.json'."""
    path = EVENTS_DIR / (name if name.endswith(".json") else f"{name}.json")
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def audit_log(event_name: str = "PutBucketTagging", request_parameters: Any = UNSET, **fields: Any) -> dict:
    """A successful CloudAudit log; keyword arguments replace or add fields (``UNSET`` drops one)."""
    log = {
        "eventName": event_name,
        "eventSource": "cos.cloud.tencent.com",
        "eventRegion": REGION,
        "eventTime": "2024-05-01 10:00:00",
        "eventType": "ApiCall",
        "eventVersion": 2,
        "eventID": "audit-event-id",
        "requestID": "request-id",
        "actionType": "Write",
        "httpMethod": "PUT",
        "errorCode": 0,
        "errorMessage": "",
        "apiErrorCode": "",
        "apiErrorMessage": "",
        "resourceType": "cos",
        "resourceName": "",
        "sourceIPAddress": "192.0.2.10",
        "userAgent": "example-agent",
        "userIdentity": {
            "type": "Root",
            "userName": "root",
            "accountId": 100000000001,
            "principalId": 100000000001,
            "secretId": "AKIDEXAMPLE",
            "sessionContext": {"appId": int(APPID)},
        },
    }
    if request_parameters is not UNSET:
        log["requestParameters"] = request_parameters
    return _apply(log, fields)


def cloud_event(
    data: Any = None,
    source: Any = "cos.cloud.tencent",
    type: Any = None,
    id: Any = "event-0001",
    **fields: Any,
) -> dict:
    """An EventBridge envelope around ``data`` (default: an audit log naming no bucket); ``UNSET``
    for ``data``, ``id``, ``source`` or ``type`` leaves that key out."""
    product = source.split(".", 1)[0] if isinstance(source, str) else "cos"
    envelope = {
        "specversion": "1.0",
        "id": id,
        "type": f"{product}:CloudEvent:ApiCall" if type is None else type,
        "source": source,
        "time": 1714528800000,
        "region": REGION,
        "datacontenttype": "application/json;charset=utf-8",
        "resource": [f"qcs::eb:{REGION}:uid{APPID}:eventbusid/eb-example/eventruleid/rule-example"],
        "tags": {},
        "data": audit_log() if data is None else data if data is UNSET else copy.deepcopy(data),
    }
    for key in ("id", "source", "type", "data"):
        if envelope[key] is UNSET:
            del envelope[key]
    return _apply(envelope, fields)


def tag_event(
    event_name: str = "ModifyResourceTags", request_parameters: Any = UNSET, **log_fields: Any
) -> dict:
    """A Tag-service audit event in its envelope."""
    log_fields.setdefault("resourceType", "tag")
    log_fields.setdefault("eventSource", "tag.tencentcloudapi.com")
    return cloud_event(audit_log(event_name, request_parameters, **log_fields), source="tag.cloud.tencent")


def cos_event(
    event_name: str = "PutBucketTagging", request_parameters: Any = UNSET, **log_fields: Any
) -> dict:
    """A COS audit event in its envelope."""
    return cloud_event(audit_log(event_name, request_parameters, **log_fields))


def _apply(target: dict, fields: dict) -> dict:
    for key, value in fields.items():
        if value is UNSET:
            target.pop(key, None)
        else:
            target[key] = value
    return target
