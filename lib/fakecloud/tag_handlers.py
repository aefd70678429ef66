"""Tag API (API 3.0, JSON): GetResources over COS buckets and other services' resources."""

from typing import Optional

from .models import Bucket
from .wire import Reply, Request, ServiceError, api3_params, json_reply

MAX_RESULTS = 200
DEFAULT_RESULTS = 50
MAX_TAG_FILTERS = 6
MAX_TAG_VALUES = 10
MAX_RESOURCE_LIST = 10
_TOKEN_PREFIX = "pt"


def bucket_resource(bucket: Bucket) -> str:
    """The six-segment string the Tag service shows for a bucket, in one of its three COS forms.

    The form is fixed per bucket so a listing holds all of them: the legacy project form for
    8-digit (project) APPIDs, otherwise the two prefix forms by turns.
    """
    form = bucket.tag_resource_form
    if form is None:
        form = 3 if len(bucket.appid) == 8 else 1 + bucket.index % 2
    head = f"qcs::cos:{bucket.region}:uid/{bucket.appid}"
    if form == 1:
        return f"{head}:prefix/{bucket.short_name}"
    if form == 2:
        return f"{head}:prefix//{bucket.appid}/{bucket.short_name}"
    return f"{head}:{bucket.short_name}-{bucket.appid}"


def _resource(item) -> str:
    return bucket_resource(item) if isinstance(item, Bucket) else item.resource


def _bad(message: str) -> ServiceError:
    # API 3.0 reports business errors with HTTP 200 and an Error object.
    return ServiceError(200, "InvalidParameterValue", message)


def _filters(params: dict) -> list[tuple[str, Optional[list[str]]]]:
    raw = params.get("TagFilters") or []
    if not isinstance(raw, list) or len(raw) > MAX_TAG_FILTERS:
        raise _bad(f"TagFilters must be a list of at most {MAX_TAG_FILTERS} groups.")
    out = []
    for f in raw:
        if not isinstance(f, dict) or not isinstance(f.get("TagKey"), str) or not f["TagKey"]:
            raise _bad("Every TagFilter needs a TagKey.")
        values = f.get("TagValue")
        if values is not None and (not isinstance(values, list) or len(values) > MAX_TAG_VALUES):
            raise _bad(f"TagValue must be a list of at most {MAX_TAG_VALUES} values.")
        out.append((f["TagKey"], [str(v) for v in values] if values else None))
    return out


def _matches(tags: dict[str, str], filters) -> bool:
    for key, values in filters:
        if key not in tags:
            return False
        if values is not None and tags[key] not in values:
            return False
    return True


def get_resources(cloud, req: Request) -> Reply:
    params = api3_params(req, "InvalidParameter")
    filters = _filters(params)
    resource_list = params.get("ResourceList") or []
    if not isinstance(resource_list, list) or len(resource_list) > MAX_RESOURCE_LIST:
        raise _bad(f"ResourceList holds at most {MAX_RESOURCE_LIST} resources.")
    max_results = params.get("MaxResults")
    if max_results in (None, ""):
        max_results = DEFAULT_RESULTS
    try:
        max_results = int(max_results)
    except (TypeError, ValueError):
        raise _bad("MaxResults must be an integer.") from None
    if not 1 <= max_results <= MAX_RESULTS:
        raise _bad(f"MaxResults must be between 1 and {MAX_RESULTS}.")

    with cloud.account.lock:
        # Filtered before anything is copied or formatted: a sweep pages through every tagged
        # bucket, and formatting the whole account for each page made the fake quadratic.
        entries = [(b.seq, b) for b in cloud.account.buckets.values() if b.tags and _matches(b.tags, filters)]
        entries += [(r.seq, r) for r in cloud.account.other_resources.values()
                    if r.tags and _matches(r.tags, filters)]
        entries.sort(key=lambda e: e[0])
        if resource_list:
            wanted = set(resource_list)
            entries = [e for e in entries if _resource(e[1]) in wanted]
        total = len(entries)
    if resource_list:
        # With ResourceList the API ignores MaxResults and answers in one page.
        max_results = total or 1

    token = params.get("PaginationToken") or ""
    offset = 0
    if token and not resource_list:
        head, _, number = token.partition("-")
        if head != _TOKEN_PREFIX or not number.isdigit() or int(number) > total:
            raise ServiceError(200, "InvalidParameter.PaginationTokenInvalid", "The PaginationToken is invalid.")
        offset = int(number)
    with cloud.account.lock:
        page = [(_resource(item), dict(item.tags)) for _, item in entries[offset:offset + max_results]]
    next_offset = offset + len(page)
    next_token = f"{_TOKEN_PREFIX}-{next_offset}" if next_offset < total else ""
    return json_reply({"Response": {
        "PaginationToken": next_token,
        "ResourceTagMappingList": [
            {"Resource": res, "Tags": [{"TagKey": k, "TagValue": v, "Category": "Custom"} for k, v in tags.items()]}
            for res, tags in page
        ],
        "RequestId": req.request_id,
    }})
