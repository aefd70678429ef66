"""Cloud Infinite endpoints: binding status, bind, unbind, workflows, batch jobs, service lists."""

import json

from .models import BATCH_JOB_STATES, BATCH_JOB_TYPES, Bucket, ci_time, parse_ci_time
from .wire import (
    JSON,
    Reply,
    Request,
    ServiceError,
    comma_list,
    int_param,
    leaf,
    node,
    require_bucket,
    xml_reply,
)

MAX_PAGE_SIZE = 100


def _bucket(cloud, req: Request) -> Bucket:
    return require_bucket(cloud, req)


def _paging_head(req: Request, total: int, page_number: int, page_size: int) -> list[str]:
    return [leaf("RequestId", req.request_id), leaf("TotalCount", total),
            leaf("PageNumber", page_number), leaf("PageSize", page_size)]


# --- binding ----------------------------------------------------------------------------------


def get_status(cloud, req: Request) -> Reply:
    status = _bucket(cloud, req).read_status()
    # The current doc shows JSON, older docs and the Go SDK a bare <CIStatus> root; which one the
    # service picks is unconfirmed, so by default the client's Accept header chooses; a cloud built
    # with status_format="xml" or "json" answers that form whatever the client asks.
    fmt = getattr(cloud, "status_format", "accept")
    if fmt == "json" or (fmt == "accept" and JSON in req.headers.get("accept", "")):
        return Reply(200, json.dumps({"CIStatus": status}).encode("utf-8"), JSON)
    return xml_reply(leaf("CIStatus", status))


def bind(cloud, req: Request) -> Reply:
    bucket = _bucket(cloud, req)
    bucket.bind()
    return xml_reply(node("Response", leaf("RequestId", req.request_id),
                          node("CIBucket", leaf("BucketId", bucket.name), leaf("Region", bucket.region))))


def unbind(cloud, req: Request) -> Reply:
    outcome = _bucket(cloud, req).request_unbind()
    if not outcome.accepted:
        # The real refusal code is unpublished; a placeholder keeps anyone from mistaking it for one.
        raise ServiceError(cloud.refusal_status, cloud.refusal_code, outcome.message)
    return Reply(200, b"", None)


# --- workflows --------------------------------------------------------------------------------


def list_workflows(cloud, req: Request) -> Reply:
    bucket = _bucket(cloud, req)
    page_number = int_param(req, "pageNumber", 1, 1)
    page_size = int_param(req, "pageSize", 10, 1, MAX_PAGE_SIZE)
    ids = comma_list(req.param("ids"))
    name = req.param("name")
    with cloud.account.lock:
        workflows = list(bucket.workflows.values())
    if ids:
        workflows = [w for w in workflows if w.id in ids]
    if name:
        workflows = [w for w in workflows if w.name == name]
    start = (page_number - 1) * page_size
    parts = _paging_head(req, len(workflows), page_number, page_size)
    for w in workflows[start:start + page_size]:
        parts.append(node(
            "MediaWorkflowList",
            leaf("Name", w.name), leaf("WorkflowId", w.id), leaf("State", w.state),
            leaf("BucketId", bucket.name), leaf("CreateTime", ci_time(w.create_time)),
            leaf("UpdateTime", ci_time(w.update_time)),
            node("Topology",
                 node("Dependencies", leaf("Start", "End")),
                 node("Nodes", node("Start", leaf("Type", "Start"),
                                    node("Input", leaf("ObjectPrefix", ""))))),
        ))
    found = {w.id for w in bucket.workflows.values()}
    missing = [i for i in ids if i not in found]
    if missing:
        parts.append(node("NonExistIDs", *[leaf("WorkflowId", i) for i in missing]))
    return xml_reply(node("Response", *parts))


# --- batch jobs -------------------------------------------------------------------------------


def list_batch_jobs(cloud, req: Request) -> Reply:
    bucket = _bucket(cloud, req)
    # The SDK always sends type (default Workflow); an absent type is read the same way.
    job_type = req.param("type") or "Workflow"
    if job_type not in BATCH_JOB_TYPES:
        raise ServiceError(400, "InvalidArgument", f"type must be Workflow or Job, got {job_type!r}")
    states = comma_list(req.param("states")) or ["All"]
    for s in states:
        if s != "All" and s not in BATCH_JOB_STATES:
            raise ServiceError(400, "InvalidArgument", f"unknown state {s!r}")
    order = req.param("orderByTime") or "Desc"
    if order not in ("Desc", "Asc"):
        raise ServiceError(400, "InvalidArgument", f"orderByTime must be Desc or Asc, got {order!r}")
    size = int_param(req, "size", 10, 1, MAX_PAGE_SIZE)
    try:
        start_time = parse_ci_time(req.param("startCreationTime")) if req.param("startCreationTime") else None
        end_time = parse_ci_time(req.param("endCreationTime")) if req.param("endCreationTime") else None
    except ValueError:
        raise ServiceError(400, "InvalidArgument", "creation times must be %Y-%m-%dT%H:%M:%S%z") from None

    with cloud.account.lock:
        jobs = [j for j in bucket.batch_jobs.values() if j.type == job_type]
    # Whether the service honours `states` is not documented; a cloud built with
    # honour_states_filter=False lists every state, so the client's own check is what is tested.
    if "All" not in states and getattr(cloud, "honour_states_filter", True):
        jobs = [j for j in jobs if j.state in states]
    for name, attr in (("jobId", "id"), ("name", "name"), ("workflowId", "workflow_id")):
        wanted = req.param(name)
        if wanted:
            jobs = [j for j in jobs if getattr(j, attr) == wanted]
    if start_time is not None:
        jobs = [j for j in jobs if j.creation_time >= start_time]
    if end_time is not None:
        jobs = [j for j in jobs if j.creation_time <= end_time]
    jobs.sort(key=lambda j: j.creation_time, reverse=(order == "Desc"))

    token = req.param("nextToken")
    offset = 0
    if token is not None:
        if not token.isdigit() or int(token) > len(jobs):
            raise ServiceError(400, "InvalidArgument", f"invalid nextToken {token!r}")
        offset = int(token)
    page = jobs[offset:offset + size]

    parts = [leaf("RequestId", req.request_id)]
    for j in page:
        failed = j.state == "Failed"
        if j.type == "Workflow":
            operation = node("Operation", leaf("WorkflowIds", j.workflow_id or ""))
        else:
            operation = node("Operation", leaf("Tag", j.tag), leaf("QueueId", ""))
        parts.append(node(
            "JobsDetail",
            leaf("Code", "Failed" if failed else "Success"),
            leaf("Message", "job failed" if failed else ""),
            leaf("Type", j.type), leaf("Name", j.name), leaf("JobId", j.id), leaf("State", j.state),
            leaf("CreationTime", ci_time(j.creation_time)), leaf("StartTime", "-"), leaf("EndTime", "-"),
            node("Input", leaf("Prefix", "input/")),
            operation,
        ))
    if offset + size < len(jobs):
        parts.append(leaf("NextToken", offset + size))
    elif cloud.next_token_end == "empty":
        parts.append(leaf("NextToken", ""))
    return xml_reply(node("Response", *parts))


# --- account-level lists ----------------------------------------------------------------------


def _filtered_buckets(cloud, req: Request, region_param: str = "regions") -> list[Bucket]:
    exact = comma_list(req.param("bucketNames"))
    # A cloud built with honour_bucket_names=False lists every bucket, as a service that ignored the
    # filter would; a client must then read every page to be sure of its own buckets.
    if exact and getattr(cloud, "honour_bucket_names", True):
        # Looked up by name rather than by a scan of the account: a sweep of thousands of buckets
        # asks these lists for every hundred of them.
        found = (cloud.account.buckets.get(name) for name in dict.fromkeys(exact))
        buckets = sorted((b for b in found if b is not None), key=lambda b: b.seq)
    else:
        buckets = cloud.account.sorted_buckets()
    regions = comma_list(req.param(region_param))
    if regions:
        buckets = [b for b in buckets if b.region in regions]
    prefix = req.param("bucketName")
    if prefix:
        buckets = [b for b in buckets if b.name.startswith(prefix)]
    return buckets


def service_list(service: str, element: str):
    """A handler for one processing service's list (/mediabucket, /picbucket, ...)."""

    def handler(cloud, req: Request) -> Reply:
        page_number = int_param(req, "pageNumber", 1, 1)
        page_size = int_param(req, "pageSize", 10, 1, MAX_PAGE_SIZE)
        with cloud.account.lock:
            buckets = [b for b in _filtered_buckets(cloud, req) if service in b.services]
        start = (page_number - 1) * page_size
        parts = _paging_head(req, len(buckets), page_number, page_size)
        for b in buckets[start:start + page_size]:
            parts.append(node(element, leaf("BucketId", b.name), leaf("Name", b.name),
                              leaf("Region", b.region), leaf("CreateTime", ci_time(b.create_time))))
        return xml_reply(node("Response", *parts))

    handler.__name__ = f"list_{service}_buckets"
    return handler


def list_ci_buckets(cloud, req: Request) -> Reply:
    page_number = int_param(req, "pageNumber", 1, 1)
    page_size = int_param(req, "pageSize", 10, 1, MAX_PAGE_SIZE)
    with cloud.account.lock:
        buckets = [b for b in _filtered_buckets(cloud, req) if b.ci_status != "off"]
        region = req.param("region")
        if region:
            buckets = [b for b in buckets if b.region == region]
        tag_key = req.param("tagKey")
        if tag_key:
            key, sep, value = tag_key.partition(";")
            buckets = [b for b in buckets if key in b.tags and (not sep or b.tags[key] == value)]
        rows = [(b.name, b.short_name, b.appid, b.region, b.ci_status, b.create_time) for b in buckets]
    start = (page_number - 1) * page_size
    parts = _paging_head(req, len(rows), page_number, page_size)
    for name, short, appid, region, status, created in rows[start:start + page_size]:
        parts.append(node("CIBucketList", leaf("BucketId", name), leaf("BucketName", short),
                          leaf("AppId", appid), leaf("CreateTime", ci_time(created)),
                          leaf("Region", region), leaf("Status", status)))
    return xml_reply(node("Response", *parts))
