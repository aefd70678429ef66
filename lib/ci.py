"""The Cloud Infinite client: binding status, unbind, workflows, batch jobs, enabled services.

Every answer is checked for shape; anything unexpected raises ApiError, which the decision turns
into `error` (fail closed). Nothing here decides anything.
"""

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from qcloud_cos.cos_auth import CosS3Auth

from .buckets import BucketRef
from .cosapi import DEFAULT_RETRY, CosClients, RetryPolicy, Trace, translate
from .errors import ApiError

STATUSES = ("on", "off", "unbinding")
WORKFLOW_STATES = ("Active", "Paused")
JOB_STATES = ("Submitted", "Running", "Success", "Failed", "Pause", "Cancel")
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
# Paging that has not ended after this many pages is treated as a fault, not as "no more".
MAX_PAGES = 200

# Codes that say the request itself failed (who, how, when), not that the service weighed the
# bucket and said no. Such a failure of `PUT /?unbind` is an `error`, never a `refused`.
NOT_A_REFUSAL = {
    "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "MissingAuthorization",
    "InvalidAuthorization", "SecretidNotExist", "SignatureExpired", "ExpiredToken",
    "RequestTimeTooSkewed", "NoSuchBucket", "SlowDown", "InvalidHost", "InvalidUrl",
    "MalformedResponse", "ConnectionError",
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


@dataclass(frozen=True)
class UnbindRefused(Exception):
    http_status: int
    code: str
    message: str
    request_id: str


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

    def _read(self, api: str, trace: Trace, fn):
        """Run one read with retries; record it in the trace either way."""

        def attempt():
            try:
                return fn()
            except Exception as exc:  # the SDK raises a handful of types; all become ApiError
                raise translate(api, exc) from None

        try:
            result, request_id = self._retry.call(attempt)
        except ApiError as err:
            trace.add_error(err)
            raise
        trace.add(api, request_id)
        return result

    def _send(self, ref: BucketRef, method: str, params: dict, headers: dict):
        client = self._clients.for_region(ref.region)
        url = client._conf.uri(bucket=ref.bucket, path=None, endpoint=client._conf._endpoint_ci)
        if url.split("://", 1)[-1].rstrip("/") != ref.ci_host:
            raise ApiError(api=f"{method} /", code="InvalidHost", message="refusing an unexpected CI host")
        return client.send_request(
            method=method, url=url, bucket=ref.bucket,
            auth=CosS3Auth(client._conf, "/", params=params),
            params=params, headers=headers, ci_request=True,
        )

    # -- binding status -------------------------------------------------------------------
    def status(self, ref: BucketRef, trace: Trace) -> str:
        api = "GET /"

        def call():
            resp = self._send(ref, "GET", {}, {"Accept": "application/json"})
            return parse_status(resp.content), _header_request_id(resp.headers)

        return self._read(api, trace, call)

    # -- unbind ---------------------------------------------------------------------------
    def unbind(self, ref: BucketRef, trace: Trace) -> str:
        """PUT /?unbind once. Returns the request id; raises UnbindRefused or ApiError."""
        api = "PUT /?unbind"
        try:
            resp = self._send(ref, "PUT", {"unbind": ""}, {})
        except Exception as exc:
            err = translate(api, exc)
            trace.add_error(err)
            if _is_refusal(err):
                raise UnbindRefused(err.http_status, err.code, err.message, err.request_id) from None
            raise err from None
        request_id = _header_request_id(resp.headers)
        trace.add(api, request_id, resp.status_code)
        return request_id

    # -- workflows ------------------------------------------------------------------------
    def workflows(self, ref: BucketRef, trace: Trace) -> list[Workflow]:
        client = self._clients.for_region(ref.region)
        found: list[Workflow] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._read("GET /workflow", trace, lambda page=page: _with_rid(
                client.ci_get_workflow(Bucket=ref.bucket, PageNumber=page, PageSize=PAGE_SIZE)))
            items = _as_list(_require_dict(data, "GET /workflow").get("MediaWorkflowList"))
            for item in items:
                found.append(_workflow(item))
            total = _int_field(data, "TotalCount", "GET /workflow")
            if not items or len(found) >= total:
                if len(found) < total:
                    raise ApiError(api="GET /workflow", code="MalformedResponse",
                                   message=f"listed {len(found)} workflows of {total}")
                return found
        raise ApiError(api="GET /workflow", code="TooManyPages", message=f"more than {MAX_PAGES} pages")

    # -- batch jobs -----------------------------------------------------------------------
    def batch_jobs(self, ref: BucketRef, job_type: str, trace: Trace) -> list[BatchJob]:
        """Unfinished batch jobs of one type, every page."""
        client = self._clients.for_region(ref.region)
        api = f"GET /inventorytriggerjob?type={job_type}"
        found: list[BatchJob] = []
        token, seen = "", set()
        for _ in range(MAX_PAGES):
            data = self._read(api, trace, lambda token=token: _with_rid(client.ci_list_inventory_trigger_jobs(
                Bucket=ref.bucket, Type=job_type, States=",".join(UNFINISHED_JOB_STATES),
                Size=PAGE_SIZE, NextToken=token)))
            for item in _as_list(_require_dict(data, api).get("JobsDetail")):
                found.append(_batch_job(item, api))
            token = data.get("NextToken") or ""
            if not isinstance(token, str):
                raise ApiError(api=api, code="MalformedResponse", message="NextToken is not text")
            if not token.strip():
                return found
            if token in seen:
                raise ApiError(api=api, code="MalformedResponse", message="NextToken repeated")
            seen.add(token)
        raise ApiError(api=api, code="TooManyPages", message=f"more than {MAX_PAGES} pages")

    # -- enabled services -----------------------------------------------------------------
    def enabled_services(self, region: str, buckets: Iterable[str], service: str, trace: Trace) -> set[str]:
        """Which of up to 100 buckets in one region have `service` enabled (one call per page)."""
        names = sorted(set(buckets))
        if not 0 < len(names) <= PAGE_SIZE:
            raise ValueError("between 1 and 100 buckets per call")
        path, element = SERVICE_LISTS[service]
        api = f"GET {path}"
        client = self._clients.for_region(region)
        enabled: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            data = self._read(api, trace, lambda page=page: _with_rid(client.ci_get_bucket(
                Regions=region, BucketNames=",".join(names), PageNumber=page, PageSize=PAGE_SIZE,
                Path=path)))
            items = _as_list(_require_dict(data, api).get(element))
            for item in items:
                bucket_id = _text(item, "BucketId") or _text(item, "Name")
                if not bucket_id:
                    raise ApiError(api=api, code="MalformedResponse", message=f"{element} item without BucketId")
                item_region = _text(item, "Region")
                if bucket_id in names and (not item_region or item_region == region):
                    enabled.add(bucket_id)
            total = _int_field(data, "TotalCount", api)
            if not items or page * PAGE_SIZE >= total:
                return enabled
        raise ApiError(api=api, code="TooManyPages", message=f"more than {MAX_PAGES} pages")


def _is_refusal(err: ApiError) -> bool:
    """A readable 4xx that is not about the request itself: the service weighed the bucket and said no.

    An answer without a readable code is not taken as a refusal: what happened is unknown, so it is
    an `error` (either way nothing was unbound).
    """
    readable = bool(err.code) and not err.code.startswith("HTTP") and err.code != "Unknown"
    return (err.http_status is not None and 400 <= err.http_status < 500 and err.http_status != 429
            and readable and err.code not in NOT_A_REFUSAL)


def parse_status(body: bytes) -> str:
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
    if isinstance(value, str) and value.strip() in STATUSES:
        return value.strip()
    raise ApiError(api="GET /", code="MalformedResponse",
                   message=f"no known CIStatus in the answer: {text[:120]!r}", retryable=True)


def _header_request_id(headers) -> str:
    return headers.get("x-ci-request-id") or headers.get("x-cos-request-id") or ""


def _with_rid(data):
    rid = data.get("RequestId") if isinstance(data, dict) else None
    return data, rid if isinstance(rid, str) else ""


def _require_dict(data, api) -> dict:
    if not isinstance(data, dict):
        raise ApiError(api=api, code="MalformedResponse", message="the answer is not a <Response> document")
    return data


def _int_field(data: dict, key: str, api: str) -> int:
    try:
        return int(str(data.get(key)).strip())
    except ValueError:
        raise ApiError(api=api, code="MalformedResponse", message=f"{key} is missing or not a number") from None


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
    return job.state not in ("Success", "Failed", "Cancel")
