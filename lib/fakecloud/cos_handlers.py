"""COS bucket tagging: GET, PUT and DELETE /?tagging.

PUT /?tagging replaces the whole set and refuses one that breaks COS's documented rules (COS,
"Bucket Tag Overview", cloud.tencent.com/document/product/436/31509, and "PUT Bucket tagging",
436/8281): at most 50 tags a bucket; no key twice; a key of 1-127 characters and a value of 0-255
(the overview's figures; the API page says up to 128 and 256, so the stricter are served); letters
(any UTF-8), digits, spaces and + - = . _ : / @ only; keys starting "qcs:" or "project" are the
system's and cannot be created. Which error code COS answers for each is not documented:
InvalidTag (400) is a stand-in.
"""

import base64
import hashlib
import re
import xml.etree.ElementTree as ET

from .models import Bucket
from .wire import Reply, Request, ServiceError, leaf, node, require_bucket, xml_reply

MAX_TAGS = 50
MAX_KEY, MAX_VALUE = 127, 255
RESERVED_PREFIXES = ("qcs:", "project")
_ALLOWED = re.compile(r"^[\w +\-=.:/@]*\Z")  # \w: letters of any script, digits and _


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
            value = fields.get("Value", "")
            _check_tag(key, value)
            tags[key] = value
    if len(tags) > MAX_TAGS:
        raise ServiceError(400, "InvalidTag", f"A bucket may carry at most {MAX_TAGS} tags.")
    return tags


def _check_tag(key: str, value: str) -> None:
    if len(key) > MAX_KEY or len(value) > MAX_VALUE:
        raise ServiceError(400, "InvalidTag", f"A tag key is at most {MAX_KEY} characters and a value {MAX_VALUE}.")
    if not _ALLOWED.match(key) or not _ALLOWED.match(value):
        raise ServiceError(400, "InvalidTag", "Tags hold letters, digits, spaces and + - = . _ : / @ only.")
    if key.startswith(RESERVED_PREFIXES):
        raise ServiceError(400, "InvalidTag", f"Tag key {key!r} is reserved for the system.")


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
