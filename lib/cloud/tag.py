"""The sweep's candidates: COS buckets carrying the request tag, found with the Tag API."""

import json
from dataclasses import dataclass, field

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tag.v20180813 import models, tag_client

from ..buckets import BucketRef, InvalidBucket, parse_cos_resource
from ..settings import Credentials
from . import api3, pacing
from .cos import DEFAULT_RETRY, RetryPolicy
from .errors import ApiError

API = "tag:GetResources"
MAX_RESULTS = 200
MAX_PAGES = 500  # 100,000 resources: paging past that is treated as a fault
_RETRYABLE_CODES = ("RequestLimitExceeded", "InternalError", "ServiceUnavailable", "ClientNetworkError")


@dataclass
class Discovery:
    buckets: list[BucketRef] = field(default_factory=list)
    resources: int = 0
    ignored: list[dict] = field(default_factory=list)  # tagged resources that are not usable buckets
    request_ids: list[str] = field(default_factory=list)


class TagFinder:
    def __init__(self, credentials: Credentials, retry: RetryPolicy = DEFAULT_RETRY,
                 endpoint: str = "tag.tencentcloudapi.com", timeout: int = 10):
        # The Tag API is global: no region.
        self._client = api3.client(tag_client.TagClient, credentials.secret_id, credentials.secret_key,
                                   credentials.token, "", endpoint, timeout)
        self._retry = retry

    def _page(self, tag_key: str, token: str):
        req = models.GetResourcesRequest()
        req.from_json_string(_request_json(tag_key, token))

        def attempt():
            try:
                with pacing.tag_slot():  # GetResources allows 20 requests a second; retries count too
                    return self._client.GetResources(req)
            except TencentCloudSDKException as exc:
                code = exc.get_code() or ""
                raise ApiError(
                    api=API, code=code, message=exc.get_message() or "", request_id=exc.get_request_id() or "",
                    retryable=code in _RETRYABLE_CODES or code.startswith("InternalError"),
                ) from None
            except Exception as exc:
                raise ApiError(api=API, code="MalformedResponse", message=f"{type(exc).__name__}: {exc}"[:300],
                               retryable=True) from None

        return self._retry.call(attempt)

    def probe(self, tag_key: str) -> str:
        """One page of GetResources, read and thrown away (doctor's proof of the permission); its
        request id. Raises ApiError."""
        return self._page(tag_key, "").RequestId or ""

    def find(self, tag_key: str) -> Discovery:
        """Every COS bucket with `tag_key`, all pages, de-duplicated and sorted. Raises ApiError."""
        found = Discovery()
        seen = set()
        token, tokens = "", set()
        for _ in range(MAX_PAGES):
            resp = self._page(tag_key, token)
            found.request_ids.append(resp.RequestId or "")
            for mapping in resp.ResourceTagMappingList or []:
                found.resources += 1
                resource = mapping.Resource or ""
                if not resource.startswith("qcs::cos:"):
                    continue  # other services' resources carry the same tag key
                try:
                    ref = parse_cos_resource(resource)
                except InvalidBucket as exc:
                    found.ignored.append({"resource": resource, "reason": str(exc)})
                    continue
                if ref not in seen:
                    seen.add(ref)
                    found.buckets.append(ref)
            token = resp.PaginationToken or ""
            if not token:
                found.buckets.sort(key=lambda r: (r.region, r.bucket))
                return found
            if token in tokens:
                raise ApiError(api=API, code="MalformedResponse", message="PaginationToken repeated")
            tokens.add(token)
        raise ApiError(api=API, code="TooManyPages", message=f"more than {MAX_PAGES} pages")


def _request_json(tag_key: str, token: str) -> str:
    return json.dumps({
        "TagFilters": [{"TagKey": tag_key}],
        "PaginationToken": token,
        "MaxResults": MAX_RESULTS,
    })
