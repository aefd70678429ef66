"""`generate-event`: a sample event of each trigger form for a given bucket, like `sam local
generate-event`. The shapes are those of the files in events/ (CloudAudit through EventBridge:
see the SCF and EventBridge event references), with the bucket, region and time filled in.
"""

import json
import time
import uuid

from ..buckets import BucketRef, InvalidBucket
from .errors import CliError

KINDS = ("timer", "manual", "cos-tagging", "tag-api")
DEFAULT_BUCKET = "examplebucket-1250000000"
DEFAULT_REGION = "ap-guangzhou"
_EXAMPLE_UIN = 100000000001


def _ref(bucket: str, region: str) -> BucketRef:
    try:
        return BucketRef(region=region, bucket=bucket)
    except InvalidBucket as err:
        raise CliError(str(err)) from None


def _audit(source: str, kind: str, subject: str, ref: BucketRef, now: float, data: dict) -> dict:
    appid = int(ref.appid)
    return {
        "specversion": "1.0", "id": str(uuid.uuid4()), "type": f"{source.split('.')[0]}:CloudEvent:{kind}",
        "source": source, "subject": subject, "time": int(now * 1000), "region": ref.region,
        "datacontenttype": "application/json;charset=utf-8",
        "resource": [f"qcs::eb:{ref.region}:uid{appid}:eventbusid/eb-example0/eventruleid/rule-example0"],
        "tags": {}, "status": "-",
        "data": {
            "eventRegion": ref.region, "region": ref.region,
            "eventTime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)), "eventType": kind,
            "eventVersion": 2, "eventID": str(uuid.uuid4()), "requestID": str(uuid.uuid4()), "actionType": "Write",
            "errorCode": 0, "errorMessage": "", "apiErrorCode": "", "apiErrorMessage": "", "sensitiveAction": 0,
            "eventPlatform": 0,
            "userIdentity": {"type": "Root", "userName": "root", "accountId": _EXAMPLE_UIN,
                             "principalId": _EXAMPLE_UIN, "secretId": "AKIDEXAMPLE",
                             "sessionContext": {"appId": appid, "uin": _EXAMPLE_UIN, "ownerUin": _EXAMPLE_UIN}},
            **data,
        },
    }


def generate(kind: str, bucket: str = DEFAULT_BUCKET, region: str = DEFAULT_REGION, tag_key: str = "ci-unbind",
             tag_value: str = "true", dry_run: bool = False, now=None) -> dict:
    """The sample event; raises CliError for an unknown kind, bucket or region."""
    if kind not in KINDS:
        raise CliError(f"unknown event kind {kind!r}: one of {', '.join(KINDS)}")
    now = time.time() if now is None else now
    if kind == "timer":
        return {"Type": "Timer", "TriggerName": "ci-unbind-sweep",
                "Time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "Message": ""}
    ref = _ref(bucket, region)
    if kind == "manual":
        event = {"buckets": [ref.as_dict()]}
        if dry_run:
            event["dry_run"] = True
        return event
    short = ref.bucket[: -len(ref.appid) - 1]
    if kind == "cos-tagging":
        params = {"bucket": ref.bucket, "region": ref.region,
                  "Tagging": {"TagSet": {"Tag": [{"Key": tag_key, "Value": tag_value}]}}}
        return _audit("cos.cloud.tencent", "ApiCall", f"qcs::cos:{ref.region}:uid{ref.appid}:{ref.bucket}", ref, now, {
            "eventName": "PutBucketTagging", "eventSource": "cos.cloud.tencent.com", "apiVersion": "",
            "httpMethod": "PUT", "resourceType": "cos", "resourceName": ref.bucket,
            "resources": f"qcs::cos:{ref.region}:uid/{ref.appid}:{ref.bucket}",
            "requestParameters": json.dumps(params), "sourceIPAddress": "192.0.2.10",
            "userAgent": "cos-python-sdk-v5"})
    resource = f"qcs::cos:{ref.region}:uid/{ref.appid}:prefix/{short}"
    return _audit("tag.cloud.tencent", "ApiCall", resource, ref, now, {
        "eventName": "ModifyResourceTags", "eventSource": "tag.tencentcloudapi.com", "apiVersion": "2018-08-13",
        "httpMethod": "POST", "resourceType": "tag", "resourceName": resource, "resources": resource,
        "requestParameters": {"Resource": resource, "ReplaceTags": [{"TagKey": tag_key, "TagValue": tag_value}]},
        "sourceIPAddress": "192.0.2.11", "userAgent": "tencentcloud-sdk-python"})
