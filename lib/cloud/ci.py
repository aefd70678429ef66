"""The Cloud Infinite client: binding status, bind, unbind, workflows, batch jobs, enabled services.

Every answer is checked for shape; anything unexpected raises ApiError, which the decision turns
into `error` (fail closed). Nothing here decides anything.
"""

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlencode

from qcloud_cos.cos_auth import CosS3Auth

from ..buckets import BucketRef, ci_service_host
from .cos import (
    DEFAULT_RETRY,
    CosClients,
    RetryPolicy,
    Trace,
    checked_url,
    get_document,
    read,
    read_page,
    request_id_of,
    translate,
    unexpected_status,
)
from .errors import ApiError

# Batch jobs in these states are done and cannot block; every other state, known or not, does.
FINISHED_JOB_STATES = ("Success", "Failed", "Cancel")
UNFINISHED_JOB_STATES = ("Submitted", "Running", "Pause")
BATCH_TYPES = ("Workflow", "Job")

# service name -> (list path on ci.<region>.myqcloud.com, list element in the answer)
SERVICE_LISTS = {
    "media": ("/mediabucket", "MediaBucketList"),
    "pic": ("/picbucket", "PicBucketList"),
    "doc": ("/docbucket", "DocBucketList"),
    "asr": ("/asrbucket", "AsrBucketList"),
    "file": ("/file_bucket", "FileBucketList"),
    "ai": ("/ai_bucket", "AiBucketList"),
}

PAGE_SIZE = 100
# No limit on the service lists' URL is published, and 100 names make a 6-7 KB query: each request
# is bounded by the length of its query instead, at the common 2 KB that proxies and servers accept.
MAX_QUERY_BYTES = 2048
# Paging that has not ended after this many pages is treated as a fault, not as "no more".
MAX_PAGES = 200

# Codes that say the request itself failed (who, how, when), not that the service weighed the
# bucket and said no. Such a failure of `PUT /?unbind` is an `error`, never a `refused`.
NOT_A_REFUSAL = {
    "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "MissingAuthorization",
    "InvalidAuthorization", "SecretidNotExist", "SignatureExpired", "ExpiredToken",
    "RequestTimeTooSkewed", "NoSuchBucket", "SlowDown", "InvalidHost", "InvalidUrl",
    "MalformedResponse", "ConnectionError", "MissingContentLength", "MissingContent", "InvalidContent",
    "UserNotBucketOwner",
}


@dataclass(frozen=True)
class Workflow:
    id: str
    name: str
    state: str


@dataclass(frozen=True)
class BatchJob:
    id: str
    name: str
    type: str
    state: str


class UnbindRefused(Exception):
    """The service answered the unbind with a readable refusal."""

    def __init__(self, http_status: int, code: str, message: str, request_id: str):
        super().__init__(f"{http_status} {code}: {message}")
        self.http_status, self.code, self.message, self.request_id = http_status, code, message, request_id


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(item: dict, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return value.strip() if isinstance(value, str) else ""


class CIClient:
    def __init__(self, clients: CosClients, retry: RetryPolicy = DEFAULT_RETRY):
        self._clients = clients
        self._retry = retry

    # -- binding status -------------------------------------------------------------------
    def status(self, ref: BucketRef, trace: Trace, retry: Optional[RetryPolicy] = None) -> str:
        api = "GET /"
        client = self._clients.for_region(ref.region)

        def call():
            url = checked_url(client, api, ref.ci_host, ref.bucket, None, client._conf._endpoint_ci)
            resp = client.send_request(method="GET", url=url, bucket=ref.bucket,
                                       auth=CosS3Auth(client._conf, "/", params={}), params={},
                                       headers={"Accept": "application/json"}, ci_request=True)
            request_id = request_id_of(resp.headers)
            if not 200 <= resp.status_code < 300:
                raise unexpected_status(api, resp)
            return parse_status(resp.content, request_id), request_id, resp.status_code

        return read(api, trace, retry or self._retry, call)

    # -- unbind ---------------------------------------------------------------------------
    def unbind(self, ref: BucketRef, trace: Trace) -> str:
        """PUT /?unbind once, never retried. Returns the request id; raises UnbindRefused or ApiError."""
        api = "PUT /?unbind"
        client = self._clients.for_region(ref.region)
        params = {"unbind": ""}
        try:
            url = checked_url(client, api, ref.ci_host, ref.bucket, None, client._conf._endpoint_ci)
            resp = client.send_request(method="PUT", url=url, bucket=ref.bucket,
                                       auth=CosS3Auth(client._conf, "/", params=params), params=params,
                                       headers={}, ci_request=True)
        except Exception as exc:
            err = translate(api, exc)
            trace.add_error(err)
            if _is_refusal(err):
                raise UnbindRefused(err.http_status, err.code, err.message, err.request_id) from None
            raise err from None
        request_id = request_id_of(resp.headers)
        trace.add(api, request_id, resp.status_code)
        if not 200 <= resp.status_code < 300:
            # A redirect or other non-2xx "success" of the SDK: whether the unbind happened is unknown.
            raise unexpected_status(api, resp)
        return request_id

    # -- bind (the operator's `rebind`, never the function) --------------------------------
    def bind(self, ref: BucketRef, trace: Trace) -> str:
        """"Binding CI": PUT / on the bucket's CI host, once, never retried (a lost answer is settled
        by reading the status). Returns the request id. The current pages (Cloud Infinite API
        1045/33701 and 436/74932) name the same host as unbind and status; the pic host of older
        pages is the legacy one."""
        api = "PUT / (bind)"
        client = self._clients.for_region(ref.region)
        try:
            url = checked_url(client, api, ref.ci_host, ref.bucket, None, client._conf._endpoint_ci)
            resp = client.send_request(method="PUT", url=url, bucket=ref.bucket,
                                       auth=CosS3Auth(client._conf, "/", params={}), params={},
                                       headers={}, ci_request=True)
        except Exception as exc:
            err = translate(api, exc)
            trace.add_error(err)
            raise err from None
        request_id = request_id_of(resp.headers) or _xml_request_id(resp.content)
        trace.add(api, request_id, resp.status_code)
        if not 200 <= resp.status_code < 300:
            raise unexpected_status(api, resp)
        return request_id

    # -- workflows ------------------------------------------------------------------------
    def workflows(self, ref: BucketRef, trace: Trace) -> list[Workflow]:
        api = "GET /workflow"
        client = self._clients.for_region(ref.region)
        found: list[Workflow] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"ids": "", "name": "", "pageNumber": str(page), "pageSize": str(PAGE_SIZE)}
            data, page_meta = read_page(api, trace, self._retry, lambda params=params: get_document(
                client, api, ref.ci_host, ref.bucket, "/workflow", params, "Response"))
            items = _as_list(data.get("MediaWorkflowList"))
            found.extend(_workflow(item) for item in items)
            total = _int_field(data, "TotalCount", api, page_meta)
            if len(found) >= total:
                return found
            if not items:
                raise ApiError(api=api, code="MalformedResponse",
                               message=f"listed {len(found)} workflows of {total}, then an empty page", **page_meta)
        raise ApiError(api=api, code="TooManyPages", message=f"more than {MAX_PAGES} pages", **page_meta)

    # -- batch jobs -----------------------------------------------------------------------
    def batch_jobs(self, ref: BucketRef, job_type: str, trace: Trace) -> list[BatchJob]:
        """Unfinished batch jobs of one type, every page."""
        api = f"GET /inventorytriggerjob?type={job_type}"
        client = self._clients.for_region(ref.region)
        found: list[BatchJob] = []
        token, seen = "", set()
        for _ in range(MAX_PAGES):
            params = {"type": job_type, "orderByTime": "Desc", "states": ",".join(UNFINISHED_JOB_STATES),
                      "size": str(PAGE_SIZE), "nextToken": token, "workflowId": "", "jobId": ""}
            data, page_meta = read_page(api, trace, self._retry, lambda params=params: get_document(
                client, api, ref.ci_host, ref.bucket, "/inventorytriggerjob", params, "Response"))
            items = _as_list(data.get("JobsDetail"))
            unknown = sorted(set(data) - {"RequestId", "NextToken", "JobsDetail"})
            if not items and unknown:
                # An empty list looks like no list at all; with elements it does not know around it,
                # the answer may carry the jobs under another name, so it is not taken as "none".
                raise ApiError(api=api, code="MalformedResponse",
                               message=f"no JobsDetail, but unexpected elements {unknown}", **page_meta)
            found.extend(_batch_job(item, api) for item in items)
            token = data.get("NextToken") or ""
            if not isinstance(token, str):
                raise ApiError(api=api, code="MalformedResponse", message="NextToken is not text", **page_meta)
            if not token.strip():
                return found
            if token in seen:
                raise ApiError(api=api, code="MalformedResponse", message="NextToken repeated", **page_meta)
            seen.add(token)
        raise ApiError(api=api, code="TooManyPages", message=f"more than {MAX_PAGES} pages", **page_meta)

    # -- enabled services -----------------------------------------------------------------
    def enabled_services(self, region: str, buckets: Iterable[str], service: str, trace: Trace) -> set[str]:
        """Which of a group of buckets in one region have `service` enabled (one call per page).
        The group must fit one query (see `query_groups`)."""
        names = sorted(set(buckets))
        if not names or query_bytes(region, names) > MAX_QUERY_BYTES:
            raise ValueError(f"between 1 bucket and a {MAX_QUERY_BYTES}-byte query per call")
        path, element = SERVICE_LISTS[service]
        api = f"GET {path}"
        client = self._clients.for_region(region)
        host = ci_service_host(region)
        enabled: set[str] = set()
        seen = 0
        for page in range(1, MAX_PAGES + 1):
            params = _service_params(region, names, page)
            data, page_meta = read_page(api, trace, self._retry, lambda params=params: get_document(
                client, api, host, None, path, params, "Response"))
            items = _as_list(data.get(element))
            for item in items:
                bucket_id = _text(item, "BucketId") or _text(item, "Name")
                if not bucket_id:
                    raise ApiError(api=api, code="MalformedResponse", message=f"{element} item without BucketId",
                                   **page_meta)
                # A bucket id is unique across regions; a listed id counts whatever region it says.
                if bucket_id in names:
                    enabled.add(bucket_id)
            seen += len(items)
            total = _int_field(data, "TotalCount", api, page_meta)
            if seen >= total:
                return enabled
            if not items:
                raise ApiError(api=api, code="MalformedResponse",
                               message=f"listed {seen} buckets of {total}, then an empty page", **page_meta)
        raise ApiError(api=api, code="TooManyPages", message=f"more than {MAX_PAGES} pages", **page_meta)


def _service_params(region: str, names, page: int) -> dict:
    return {"regions": region, "bucketNames": ",".join(names), "bucketName": "",
            "pageNumber": str(page), "pageSize": str(PAGE_SIZE)}


def query_bytes(region: str, names) -> int:
    """The encoded query of a service-list request for `names`, with a three-digit page number."""
    return len(urlencode(_service_params(region, names, 999)))


def query_groups(region: str, names) -> list[list[str]]:
    """`names` cut, in order, into groups whose service-list query fits MAX_QUERY_BYTES."""
    groups: list[list[str]] = []
    current: list[str] = []
    # Each name adds itself and an encoded comma ('%2C'); the fixed part is measured once.
    size = query_bytes(region, [])
    for name in names:
        added = len(urlencode({"n": name})) - 2 + (3 if current else 0)
        if current and size + added > MAX_QUERY_BYTES:
            groups.append(current)
            current, size = [], query_bytes(region, [])
            added = len(urlencode({"n": name})) - 2
        current.append(name)
        size += added
    if current:
        groups.append(current)
    return groups


def _is_refusal(err: ApiError) -> bool:
    """A readable 4xx that is not about the request itself: the service weighed the bucket and said no.

    An answer without a readable code is not taken as a refusal: what happened is unknown, so it is
    an `error` (either way nothing was unbound).
    """
    readable = bool(err.code) and not err.code.startswith("HTTP") and err.code != "Unknown"
    return (err.http_status is not None and 400 <= err.http_status < 500 and err.http_status != 429
            and readable and err.code not in NOT_A_REFUSAL)


def parse_status(body: bytes, request_id: str = "") -> str:
    """CIStatus from JSON ({"CIStatus": "on"}) or XML (<CIStatus>on</CIStatus>); both are documented."""
    text = body.decode("utf-8", "replace").strip() if isinstance(body, bytes) else str(body).strip()
    value = None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            value = data.get("CIStatus")
            if value is None and isinstance(data.get("Response"), dict):
                value = data["Response"].get("CIStatus")
    elif text.startswith("<"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            root = None
        if root is not None:
            node = root if root.tag == "CIStatus" else root.find(".//CIStatus")
            value = node.text if node is not None else None
    # A readable CIStatus that is none of on/off/unbinding is passed on: the decision names it
    # (unknown_status) rather than calling the answer unreadable.
    if isinstance(value, str) and value.strip() and len(value.strip()) <= 40:
        return value.strip()
    raise ApiError(api="GET /", http_status=200, code="MalformedResponse",
                   message=f"no CIStatus in the answer: {text[:120]!r}", request_id=request_id,
                   retryable=True)


def _xml_request_id(body: bytes) -> str:
    # The current page answers <Response><RequestId>; the older one an empty body: either is fine.
    try:
        node = ET.fromstring(body).find("RequestId") if body else None
    except ET.ParseError:
        return ""
    return node.text.strip() if node is not None and node.text else ""


def _int_field(data: dict, key: str, api: str, page_meta: dict) -> int:
    try:
        return int(str(data.get(key)).strip())
    except ValueError:
        raise ApiError(api=api, code="MalformedResponse", message=f"{key} is missing or not a number",
                       **page_meta) from None


def _workflow(item) -> Workflow:
    wid, state = _text(item, "WorkflowId"), _text(item, "State")
    if not wid:
        raise ApiError(api="GET /workflow", code="MalformedResponse", message="workflow without WorkflowId")
    # An unknown state is still a workflow, and any workflow blocks; keep what the service said.
    return Workflow(id=wid, name=_text(item, "Name"), state=state or "unknown")


def _batch_job(item, api) -> BatchJob:
    jid = _text(item, "JobId")
    if not jid:
        raise ApiError(api=api, code="MalformedResponse", message="batch job without JobId")
    return BatchJob(id=jid, name=_text(item, "Name"), type=_text(item, "Type"), state=_text(item, "State") or "unknown")


def job_blocks(job: BatchJob) -> bool:
    """Finished jobs (Success, Failed, Cancel) do not block; unfinished and unknown states do."""
    return job.state not in FINISHED_JOB_STATES
