"""The state bucket: small JSON objects under one prefix of a COS bucket the user chose.

Every call goes through cos-python-sdk-v5's own methods (put_object, get_object, list_objects,
get_bucket_versioning in qcloud_cos/cos_client.py). Create-if-absent
is PUT Object with `x-cos-forbid-overwrite: true`, which COS answers 409 FileAlreadyExists when
the key exists (PUT Object, cloud.tencent.com/document/product/436/7749). The SDK has no keyword
for that header; `Metadata` is its pass-through for extra request headers (cos_comm.mapped), and
the signer signs every x-cos-* header (cos_auth.filter_headers), so the header is signed as sent.

The header has no effect on a bucket whose versioning was ever enabled, so `check()` refuses such a
bucket before anything relies on it. Keys are built from validated parts only and checked again
here; nothing outside the prefix is ever read or written.
"""

import json
import re
from dataclasses import dataclass
from typing import Optional

from ..cloud.cos import DEFAULT_RETRY, CosClients, RetryPolicy, Trace, read, request_id_of, translate
from ..cloud.errors import ApiError

# Run error and reason codes for the state bucket's own failures (docs/operations.md).
MISSING, DENIED, VERSIONED, UNAVAILABLE = ("state_bucket_missing", "state_bucket_denied",
                                           "state_bucket_versioned", "state_unavailable")

_KEY_RE = re.compile(r"[A-Za-z0-9_.!=-]+(?:/[A-Za-z0-9_.!=-]+)*/?")
_FORBID_OVERWRITE = {"x-cos-forbid-overwrite": "true"}


class StateError(Exception):
    """The state bucket cannot be relied on; `code` says why, `error` is the call that showed it."""

    def __init__(self, code: str, message: str, error: Optional[ApiError] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.error = error

    def as_reason(self) -> dict:
        reason = {"code": self.code, "message": self.message}
        if self.error is not None:
            reason.update({k: v for k, v in self.error.as_reason().items() if k not in ("code", "message")})
            reason["service_code"] = self.error.code
            reason["service_message"] = self.error.message
        return reason


def classify(err: ApiError) -> StateError:
    """What a failed call says about the state bucket."""
    if err.http_status == 404 and err.code == "NoSuchBucket":
        return StateError(MISSING, "the state bucket does not exist in that region", err)
    if err.http_status == 403:
        return StateError(DENIED, "the function's role may not use the state bucket (see the CAM policy)", err)
    return StateError(UNAVAILABLE, f"{err.api} on the state bucket failed", err)


@dataclass(frozen=True)
class ObjectInfo:
    key: str            # relative to the prefix
    last_modified: str  # as COS wrote it (ISO 8601, UTC)


class StateStore:
    def __init__(self, clients: CosClients, bucket: str, region: str, prefix: str,
                 retry: RetryPolicy = DEFAULT_RETRY):
        self._clients = clients
        self.bucket = bucket
        self.region = region
        self.prefix = prefix
        self._retry = retry

    def _client(self):
        return self._clients.for_region(self.region)

    def _key(self, key: str) -> str:
        if not _KEY_RE.fullmatch(key) or ".." in key or len(key) > 700:
            raise ValueError(f"not a state key: {key!r}")
        return self.prefix + key

    def _call(self, api: str, trace: Optional[Trace], fn):
        try:
            return read(api, trace or Trace(), self._retry, fn)
        except ApiError as err:
            raise classify(err) from None

    # -- the bucket ---------------------------------------------------------------------------
    def check(self, trace: Optional[Trace] = None) -> None:
        """Raise StateError unless the bucket exists, answers, and never had versioning on."""
        api = "GET /?versioning"

        def call():
            data = self._client().get_bucket_versioning(Bucket=self.bucket)
            return data, "", 200

        data = self._call(api, trace, call)
        # The SDK reads a VersioningConfiguration with no child (never enabled) as
        # {"VersioningConfiguration": None} (or its whitespace), and drops the root name when it has
        # children: {"Status": "Enabled"}. An empty <Status> also reads {"Status": None}: that is
        # not "never enabled" but an answer that says nothing known, so it fails closed.
        if isinstance(data, dict) and set(data) == {"VersioningConfiguration"} and (
                data["VersioningConfiguration"] is None or str(data["VersioningConfiguration"]).strip() == ""):
            return
        status = data.get("Status") if isinstance(data, dict) and set(data) == {"Status"} else None
        if status in ("Enabled", "Suspended"):
            raise StateError(VERSIONED, f"the state bucket's versioning is {status}: create-if-absent does not "
                             "hold on a bucket that ever had versioning; use a bucket that never had it")
        raise StateError(UNAVAILABLE, "the versioning answer is neither an empty VersioningConfiguration nor a "
                         "known Status", ApiError(api=api, http_status=200, code="MalformedResponse",
                                                  message=str(data)[:200]))

    # -- objects ------------------------------------------------------------------------------
    def create(self, key: str, body: bytes, trace: Optional[Trace] = None) -> bool:
        """Create `key` if it is absent: True if this call created it, False if it was there.

        A create retried after a lost answer may find its own first attempt: the caller tells that
        apart by the body it wrote (leases and slots carry a token for it).
        """
        full = self._key(key)
        api = "PUT Object"

        def call():
            try:
                headers = self._client().put_object(Bucket=self.bucket, Key=full, Body=body, EnableMD5=True,
                                                    ContentType="application/json", Metadata=_FORBID_OVERWRITE)
            except Exception as exc:
                err = translate(api, exc)
                if err.http_status == 409 and err.code == "FileAlreadyExists":
                    return False, err.request_id, 409
                raise err from None
            return True, request_id_of(headers), 200

        return self._call(api, trace, call)

    def put(self, key: str, body: bytes, trace: Optional[Trace] = None) -> None:
        """Write `key`, over whatever is there (records that only ever have one writer)."""
        full = self._key(key)

        def call():
            headers = self._client().put_object(Bucket=self.bucket, Key=full, Body=body, EnableMD5=True,
                                                ContentType="application/json")
            return None, request_id_of(headers), 200

        self._call("PUT Object", trace, call)

    def get(self, key: str, trace: Optional[Trace] = None) -> Optional[bytes]:
        """The object's body, or None when there is no such key."""
        full = self._key(key)
        api = "GET Object"

        def call():
            try:
                resp = self._client().get_object(Bucket=self.bucket, Key=full)
            except Exception as exc:
                err = translate(api, exc)
                if err.http_status == 404 and err.code == "NoSuchKey":
                    return None, err.request_id, 404
                raise err from None
            body = b"".join(resp["Body"].get_stream(65536))
            length = resp.get("Content-Length")
            if length is not None and str(len(body)) != str(length):
                raise ApiError(api=api, http_status=200, code="MalformedResponse", retryable=True,
                               message="the body is shorter than its Content-Length",
                               request_id=request_id_of(resp))
            return body, request_id_of(resp), 200

        return self._call(api, trace, call)

    def list(self, key_prefix: str, trace: Optional[Trace] = None, page_size: int = 1000) -> list[ObjectInfo]:
        """Every object under `key_prefix` (relative to the prefix), in key order, all pages."""
        full = self._key(key_prefix)
        found: list[ObjectInfo] = []
        marker = ""
        for _ in range(100000):
            data = self._call("GET Bucket", trace, self._page(full, marker, page_size))
            contents = data.get("Contents") or []
            if not isinstance(contents, list) or any(not isinstance(c, dict) or not isinstance(c.get("Key"), str)
                                                     for c in contents):
                raise StateError(UNAVAILABLE, "a listing entry without a Key",
                                 ApiError(api="GET Bucket", code="MalformedResponse", message="Contents"))
            for item in contents:
                if not item["Key"].startswith(full):
                    raise StateError(UNAVAILABLE, "the listing named a key outside the prefix",
                                     ApiError(api="GET Bucket", code="MalformedResponse", message=item["Key"][:100]))
                found.append(ObjectInfo(item["Key"][len(self.prefix):], str(item.get("LastModified") or "")))
            truncated = str(data.get("IsTruncated", "false")).lower()
            if truncated == "false":
                return found
            if truncated != "true" or not contents:
                raise StateError(UNAVAILABLE, "a truncated listing that gives no way on",
                                 ApiError(api="GET Bucket", code="MalformedResponse", message="IsTruncated"))
            next_marker = data.get("NextMarker") or contents[-1]["Key"]
            if next_marker <= marker:
                raise StateError(UNAVAILABLE, "a listing marker that does not move forward",
                                 ApiError(api="GET Bucket", code="MalformedResponse", message="NextMarker"))
            marker = next_marker
        raise StateError(UNAVAILABLE, "a listing that does not end")

    def _page(self, full_prefix: str, marker: str, page_size: int):
        def call():
            data = self._client().list_objects(Bucket=self.bucket, Prefix=full_prefix, Marker=marker,
                                               MaxKeys=page_size)
            if not isinstance(data, dict):
                raise ApiError(api="GET Bucket", http_status=200, code="MalformedResponse",
                               message="not a ListBucketResult", retryable=True)
            return data, "", 200

        return call

    # -- JSON records ---------------------------------------------------------------------------
    def get_json(self, key: str, trace: Optional[Trace] = None):
        """The JSON record at `key`, or None when absent. An unreadable record is an error."""
        body = self.get(key, trace)
        if body is None:
            return None
        try:
            return json.loads(body.decode("utf-8"))
        except ValueError:
            raise StateError(UNAVAILABLE, f"the record {key} is not JSON",
                             ApiError(api="GET Object", http_status=200, code="MalformedResponse",
                                      message=key)) from None

    def put_json(self, key: str, record, trace: Optional[Trace] = None) -> None:
        self.put(key, _dump(record), trace)

    def create_json(self, key: str, record, trace: Optional[Trace] = None) -> bool:
        return self.create(key, _dump(record), trace)


def _dump(record) -> bytes:
    return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
