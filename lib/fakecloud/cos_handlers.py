"""COS bucket tagging: GET, PUT and DELETE /?tagging."""

import base64
import hashlib
import xml.etree.ElementTree as ET

from .models import Bucket
from .wire import Reply, Request, ServiceError, leaf, node, require_bucket, xml_reply

MAX_TAGS = 50


def _bucket(cloud, req: Request) -> Bucket:
    return require_bucket(cloud, req)


def get_tagging(cloud, req: Request) -> Reply:
    bucket = _bucket(cloud, req)
    if not bucket.tags:
        raise ServiceError(404, "NoSuchTagSet", "There is no tag set.")
    tags = [node("Tag", leaf("Key", k), leaf("Value", v)) for k, v in bucket.tags.items()]
    return xml_reply(node("Tagging", node("TagSet", *tags)))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_tagging(body: bytes) -> dict[str, str]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise ServiceError(400, "MalformedXML", "The XML you provided was not well-formed.") from None
    if _local(root.tag) != "Tagging":
        raise ServiceError(400, "MalformedXML", "The root element must be Tagging.")
    tags: dict[str, str] = {}
    for tag_set in root:
        if _local(tag_set.tag) != "TagSet":
            continue
        for tag in tag_set:
            fields = {_local(child.tag): (child.text or "") for child in tag}
            key = fields.get("Key", "")
            if not key:
                raise ServiceError(400, "InvalidTag", "A tag key must not be empty.")
            if key in tags:
                raise ServiceError(400, "InvalidTag", f"Duplicate tag key {key!r}.")
            tags[key] = fields.get("Value", "")
    if len(tags) > MAX_TAGS:
        raise ServiceError(400, "InvalidTag", f"A bucket may carry at most {MAX_TAGS} tags.")
    return tags


def put_tagging(cloud, req: Request) -> Reply:
    bucket = _bucket(cloud, req)
    md5 = req.headers.get("content-md5")
    if md5 is not None and md5 != base64.b64encode(hashlib.md5(req.body).digest()).decode("ascii"):
        raise ServiceError(400, "InvalidDigest", "The Content-MD5 you specified did not match what we received.")
    tags = _parse_tagging(req.body)
    with cloud.account.lock:
        bucket.tags = tags
    return Reply(200, b"", None)


def delete_tagging(cloud, req: Request) -> Reply:
    bucket = _bucket(cloud, req)
    with cloud.account.lock:
        bucket.tags = {}
    return Reply(204, b"", None)
