"""Bucket tags through COS: GetBucketTagging (the event is only a hint, the tags decide), and for the
operator's `request` / `withdraw` the writes, PutBucketTagging and DeleteBucketTagging.

PUT /?tagging replaces the whole tag set (COS API "PUT Bucket tagging"); a caller that changes one
tag must send every other one back. Writes are sent once, never retried: a write whose answer was
lost is found out by reading the tags again, not by sending it twice.
"""

import base64
import hashlib
from xml.sax.saxutils import escape

from qcloud_cos.cos_auth import CosS3Auth

from ..buckets import BucketRef
from .cos import (
    DEFAULT_RETRY,
    CosClients,
    RetryPolicy,
    Trace,
    checked_url,
    get_document,
    read,
    request_id_of,
    translate,
    unexpected_status,
)
from .errors import ApiError

API = "GET /?tagging"
PUT_API = "PUT /?tagging"
DELETE_API = "DELETE /?tagging"


class TagReader:
    def __init__(self, clients: CosClients, retry: RetryPolicy = DEFAULT_RETRY):
        self._clients = clients
        self._retry = retry

    def read(self, ref: BucketRef, trace: Trace) -> dict:
        """The bucket's tags as {key: value}; {} when it has none (NoSuchTagSet)."""
        client = self._clients.for_region(ref.region)

        def call():
            # The SDK's get_bucket_tagging drops the response headers, and with them the request
            # id; this is the same signed request, with the answer's shape checked.
            try:
                data, request_id, status = get_document(client, API, ref.cos_host, ref.bucket, None,
                                                        {"tagging": ""}, "Tagging", ci=False)
            except Exception as exc:
                err = translate(API, exc)
                if err.http_status == 404 and err.code == "NoSuchTagSet":
                    return {}, err.request_id, 404
                raise err from None
            return parse_tagging(data), request_id, status

        return read(API, trace, self._retry, call)


def parse_tagging(data: dict) -> dict:
    tag_set = data.get("TagSet")
    if tag_set is None:
        return {}
    if not isinstance(tag_set, dict):
        raise ApiError(api=API, code="MalformedResponse", message="TagSet is not a list of tags")
    items = tag_set.get("Tag") or []
    items = items if isinstance(items, list) else [items]
    tags = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Key"), str):
            raise ApiError(api=API, code="MalformedResponse", message="a tag without a Key")
        value = item.get("Value")
        tags[item["Key"]] = value if isinstance(value, str) else ""
    return tags


def tagging_xml(tags: dict) -> bytes:
    items = "".join(f"<Tag><Key>{escape(k)}</Key><Value>{escape(v)}</Value></Tag>" for k, v in tags.items())
    return f"<Tagging><TagSet>{items}</TagSet></Tagging>".encode()


class TagWriter:
    """The whole tag set of a bucket, written (or, when empty, deleted) in one call."""

    def __init__(self, clients: CosClients):
        self._clients = clients

    def write(self, ref: BucketRef, tags: dict, trace: Trace) -> str:
        """Replace the bucket's tags with `tags`; the request id. Raises ApiError."""
        client = self._clients.for_region(ref.region)
        params = {"tagging": ""}
        if tags:
            api, method, body = PUT_API, "PUT", tagging_xml(tags)
            headers = {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode("ascii"),
                       "Content-Type": "application/xml"}
        else:  # an empty TagSet is not a tag set COS documents: no tags is DELETE /?tagging
            api, method, body, headers = DELETE_API, "DELETE", b"", {}
        try:
            url = checked_url(client, api, ref.cos_host, ref.bucket, None, None)
            resp = client.send_request(method=method, url=url, bucket=ref.bucket,
                                       auth=CosS3Auth(client._conf, "/", params=params), params=params,
                                       data=body, headers=headers)
        except Exception as exc:
            err = translate(api, exc)
            trace.add_error(err)
            raise err from None
        request_id = request_id_of(resp.headers)
        trace.add(api, request_id, resp.status_code)
        if not 200 <= resp.status_code < 300:
            raise unexpected_status(api, resp)
        return request_id
