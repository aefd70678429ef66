"""COS objects: PUT/GET/HEAD/DELETE Object, GET Bucket (list) and GET /?versioning.

Shapes follow the COS API pages: PUT Object (436/7749), GET Bucket (436/7734), GET Bucket
versioning (436/19889). Error codes are the documented ones: NoSuchKey, FileAlreadyExists.
"""

import base64
import hashlib
from datetime import datetime, timezone
from email.utils import formatdate
from urllib.parse import quote

from .object_models import ObjectExists
from .wire import Reply, Request, ServiceError, int_param, leaf, node, require_bucket, xml_reply

_STORAGE_CLASS = "STANDARD"


def _key(req: Request) -> str:
    key = req.path[1:]
    if not key:
        raise ServiceError(400, "InvalidArgument", "An object key is required.")
    return key


def _store(cloud, req: Request):
    bucket = require_bucket(cloud, req)
    return cloud.objects, bucket.name


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _object_headers(stored) -> dict:
    return {"ETag": stored.etag, "Last-Modified": formatdate(stored.last_modified, usegmt=True),
            "x-cos-storage-class": _STORAGE_CLASS}


def put_object(cloud, req: Request) -> Reply:
    store, name = _store(cloud, req)
    key = _key(req)
    md5 = req.headers.get("content-md5")
    if md5 is not None and md5 != base64.b64encode(hashlib.md5(req.body).digest()).decode("ascii"):
        raise ServiceError(400, "InvalidDigest", "The Content-MD5 you specified did not match what we received.")
    forbid = (req.headers.get("x-cos-forbid-overwrite") or "").strip().lower() == "true"
    try:
        stored = store.put(name, key, req.body, forbid_overwrite=forbid)
    except ObjectExists:
        raise ServiceError(409, "FileAlreadyExists", "The object already exists.") from None
    return Reply(200, b"", None, headers={"ETag": stored.etag})


def _existing(cloud, req: Request):
    store, name = _store(cloud, req)
    stored = store.get(name, _key(req))
    if stored is None:
        raise ServiceError(404, "NoSuchKey", "The specified key does not exist.")
    return stored


def get_object(cloud, req: Request) -> Reply:
    stored = _existing(cloud, req)
    return Reply(200, stored.body, "application/octet-stream", headers=_object_headers(stored))


def head_object(cloud, req: Request) -> Reply:
    stored = _existing(cloud, req)
    return Reply(200, b"", "application/octet-stream", headers=_object_headers(stored))


def delete_object(cloud, req: Request) -> Reply:
    store, name = _store(cloud, req)
    store.delete(name, _key(req))  # COS answers 204 whether or not the key was there
    return Reply(204, b"", None)


def list_objects(cloud, req: Request) -> Reply:
    store, name = _store(cloud, req)
    prefix = req.params.get("prefix", "")
    marker = req.params.get("marker", "")
    delimiter = req.params.get("delimiter", "")
    encoding = req.params.get("encoding-type", "")
    if encoding not in ("", "url"):
        raise ServiceError(400, "InvalidArgument", "encoding-type must be url.")
    max_keys = int_param(req, "max-keys", 1000, 0, 1000)
    found, prefixes, truncated, next_marker = store.listing(name, prefix, marker, max_keys, delimiter)

    def enc(text: str) -> str:
        return quote(text, safe="/") if encoding == "url" else text

    parts = [leaf("Name", name), leaf("Prefix", enc(prefix)), leaf("Marker", enc(marker)),
             leaf("MaxKeys", max_keys), leaf("Delimiter", enc(delimiter)) if delimiter else "",
             leaf("IsTruncated", "true" if truncated else "false")]
    if truncated:
        parts.append(leaf("NextMarker", enc(next_marker)))
    if encoding:
        parts.append(leaf("EncodingType", encoding))
    for stored in found:
        parts.append(node("Contents", leaf("Key", enc(stored.key)), leaf("LastModified", _iso(stored.last_modified)),
                          leaf("ETag", stored.etag), leaf("Size", len(stored.body)),
                          leaf("StorageClass", _STORAGE_CLASS)))
    for common in prefixes:
        parts.append(node("CommonPrefixes", leaf("Prefix", enc(common))))
    return xml_reply(node("ListBucketResult", *parts))


def get_versioning(cloud, req: Request) -> Reply:
    store, name = _store(cloud, req)
    status = store.bucket(name).versioning
    # A bucket whose versioning was never enabled answers an empty configuration.
    return xml_reply(node("VersioningConfiguration", leaf("Status", status) if status else ""))
