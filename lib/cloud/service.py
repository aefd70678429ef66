"""Where a bucket is, when the event did not say: COS GET Service lists every bucket with its Location.

Asked at most once per invocation, and only when some bucket's region is unknown, through
cos-python-sdk-v5's `CosS3Client.list_buckets` (GET https://service.cos.myqcloud.com/, paged with
`marker` / `max-keys`, answer `ListAllMyBucketsResult` with `Buckets/Bucket/{Name, Location}`,
`IsTruncated`, `NextMarker`; see the SDK's cos_client.py `list_buckets` and COS API "GET Service").
A bucket the list does not name, or names with an unusable Location, is an `error` with the reason.
"""

from dataclasses import dataclass, field
from typing import Optional

from ..buckets import BucketRef, InvalidBucket, validate_region
from .cos import DEFAULT_RETRY, CosClients, RetryPolicy, Trace, read
from .errors import ApiError

API = "GET Service"
MAX_KEYS = 2000  # the most one page may hold
MAX_PAGES = 500  # a million buckets: paging past that is treated as a fault
# GET Service is global; the SDK still builds its client from a region, which this call ignores.
_ANY_REGION = "ap-guangzhou"


@dataclass
class Located:
    refs: list[BucketRef] = field(default_factory=list)
    failures: list["Unlocated"] = field(default_factory=list)
    calls: list[dict] = field(default_factory=list)


@dataclass
class Unlocated:
    """A bucket whose region could not be found: reported as `error`, never evaluated."""

    bucket: str
    reason: dict
    calls: list = field(default_factory=list)
    outcome: str = "error"

    def as_dict(self) -> dict:
        return {"bucket": self.bucket, "region": None, "outcome": self.outcome, "reasons": [self.reason],
                "calls": list(self.calls)}


class BucketLocator:
    def __init__(self, clients: CosClients, retry: RetryPolicy = DEFAULT_RETRY):
        self._clients = clients
        self._retry = retry

    def regions(self, trace: Trace) -> dict[str, Optional[str]]:
        """Every bucket of the account -> its validated region (None when its Location is unusable)."""
        client = self._clients.for_region(_ANY_REGION)
        found: dict[str, Optional[str]] = {}
        marker, seen = "", set()
        for _ in range(MAX_PAGES):
            data = read(API, trace, self._retry, lambda marker=marker: (
                client.list_buckets(Marker=marker, MaxKeys=MAX_KEYS), "", 200))
            if not isinstance(data, dict) or "Buckets" not in data:
                raise ApiError(api=API, http_status=200, code="MalformedResponse",
                               message="no Buckets element in the answer")
            buckets = (data.get("Buckets") or {}).get("Bucket") or []
            for item in buckets if isinstance(buckets, list) else [buckets]:
                name = item.get("Name") if isinstance(item, dict) else None
                location = item.get("Location") if isinstance(item, dict) else None
                if isinstance(name, str):
                    try:
                        found[name] = validate_region(location)
                    except InvalidBucket:
                        found[name] = None
            if str(data.get("IsTruncated", "false")).strip().lower() != "true":
                return found
            marker = data.get("NextMarker") or (buckets[-1].get("Name") if buckets else "")
            if not isinstance(marker, str) or not marker or marker in seen:
                raise ApiError(api=API, http_status=200, code="MalformedResponse",
                               message="a truncated page without a new NextMarker")
            seen.add(marker)
        raise ApiError(api=API, code="TooManyPages", message=f"more than {MAX_PAGES} pages")

    def locate(self, names) -> Located:
        """The buckets' regions, from one listing; every name either becomes a ref or a failure."""
        out = Located()
        trace = Trace()
        try:
            regions = self.regions(trace)
        except ApiError as err:
            calls = [{**c, "shared": True} for c in trace.calls]
            out.failures = [Unlocated(name, {**err.as_reason(), "code": "region_unknown"}, calls) for name in names]
            return out
        calls = [{**c, "shared": True} for c in trace.calls]
        out.calls = calls
        for name in names:
            if name not in regions:
                out.failures.append(Unlocated(name, {
                    "code": "region_unknown", "api": API,
                    "message": "the event gave no region and GET Service does not list this bucket"}, calls))
            elif regions[name] is None:
                out.failures.append(Unlocated(name, {
                    "code": "region_unknown", "api": API,
                    "message": "GET Service lists this bucket with an unusable Location"}, calls))
            else:
                out.refs.append(BucketRef(region=regions[name], bucket=name))
        return out
