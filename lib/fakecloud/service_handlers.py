"""COS GET Service on service.cos.myqcloud.com: ListAllMyBucketsResult, paged with marker/max-keys."""

import time

from .service_models import MAX_KEYS, list_page
from .wire import Reply, Request, ServiceError, int_param, leaf, node, xml_reply


def get_service(cloud, req: Request) -> Reply:
    marker = req.param("marker") or ""
    max_keys = int_param(req, "max-keys", MAX_KEYS, 1, MAX_KEYS)
    if req.param("tagkey") or req.param("create-time"):
        raise ServiceError(400, "InvalidArgument", "the fake serves no tag or creation-time filter")
    page = list_page(cloud.account, marker, max_keys, req.param("region"))
    buckets = [node("Bucket", leaf("Name", b.name), leaf("Location", b.region),
                    leaf("CreationDate", _iso(b.create_time)), leaf("BucketType", "cos")) for b in page.buckets]
    owner = node("Owner", leaf("ID", "qcs::cam::uin/100000000001:uin/100000000001"),
                 leaf("DisplayName", "100000000001"))
    parts = [owner, node("Buckets", *buckets), leaf("Marker", marker), leaf("MaxKeys", max_keys),
             leaf("IsTruncated", "true" if page.truncated else "false")]
    if page.next_marker:
        parts.append(leaf("NextMarker", page.next_marker))
    return xml_reply(node("ListAllMyBucketsResult", *parts))


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
