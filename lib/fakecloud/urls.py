"""Routing table: host pattern + method + path + sub-resource -> handler, endpoint name, CAM action."""

import re
from typing import Callable, NamedTuple, Optional

from . import (
    cam_handlers,
    ci_handlers,
    cos_handlers,
    eb_handlers,
    object_handlers,
    robot_handlers,
    scf_handlers,
    service_handlers,
    sts_handlers,
    tag_handlers,
)
from .wire import Request

_BUCKET = r"(?P<bucket>[a-z0-9][a-z0-9-]*-[0-9]+)"
_REGION = r"(?P<region>[a-z0-9][a-z0-9-]*)"

HOSTS = {
    "ci_bucket": re.compile(rf"^{_BUCKET}\.ci\.{_REGION}\.myqcloud\.com\Z"),
    # Legacy host that older docs and older clients still use for bind, status and unbind.
    "pic_bucket": re.compile(rf"^{_BUCKET}\.pic\.{_REGION}\.myqcloud\.com\Z"),
    "ci_service": re.compile(rf"^ci\.{_REGION}\.myqcloud\.com\Z"),
    "cos_bucket": re.compile(rf"^{_BUCKET}\.cos\.{_REGION}\.myqcloud\.com\Z"),
    "cos_service": re.compile(r"^service\.cos\.myqcloud\.com\Z"),
    "tag": re.compile(rf"^tag(?:\.{_REGION})?\.tencentcloudapi\.com\Z"),
    "eb": re.compile(rf"^eb(?:\.{_REGION})?\.tencentcloudapi\.com\Z"),
    "cam": re.compile(r"^cam\.tencentcloudapi\.com\Z"),
    "sts": re.compile(rf"^sts(?:\.{_REGION})?\.tencentcloudapi\.com\Z"),
    "scf": re.compile(rf"^scf(?:\.{_REGION})?\.tencentcloudapi\.com\Z"),
    # Chat robots' webhooks (notifications); the JSON receiver stands for any other https endpoint.
    "robot_wecom": re.compile(r"qyapi\.weixin\.qq\.com\Z"),
    "robot_dingtalk": re.compile(r"oapi\.dingtalk\.com\Z"),
    "robot_feishu": re.compile(r"open\.(?:feishu\.cn|larksuite\.com)\Z"),
    "robot_slack": re.compile(r"hooks\.slack\.com\Z"),
    "robot_json": re.compile(r"hooks\.example\.com\Z"),
}

# Which service's conventions (error body, request-id header, auth) a host kind follows.
HOST_SERVICE = {"ci_bucket": "ci", "pic_bucket": "ci", "ci_service": "ci", "cos_bucket": "cos", "cos_service": "cos",
                "tag": "tag", "eb": "eb", "cam": "cam", "sts": "sts", "scf": "scf",
                **{f"robot_{k}": "robot" for k in ("wecom", "dingtalk", "feishu", "slack", "json")}}
# Services on API 3.0: JSON, TC3 signatures scoped to the service name, the action in X-TC-Action.
API3_SERVICES = ("tag", "eb", "cam", "sts", "scf")


class Route(NamedTuple):
    hosts: tuple[str, ...]
    methods: tuple[str, ...]
    path: str
    # For "/" routes: the one query key that selects the sub-resource (None = a bare "/").
    # For API 3.0 services (Tag, EventBridge): the X-TC-Action value.
    selector: Optional[str]
    endpoint: str
    action: str
    handler: Callable
    # For a listing on "/": the query keys it may carry (any subset), instead of one sub-resource.
    params: Optional[frozenset] = None


# The path of a route on any object key (any path but "/"), with no sub-resource.
OBJECT = "/<key>"
_LIST_PARAMS = frozenset(("prefix", "delimiter", "marker", "max-keys", "encoding-type"))

_CI_BUCKET = ("ci_bucket", "pic_bucket")

ROUTES = (
    Route(_CI_BUCKET, ("GET",), "/", None, "GET /", "ci:DescribeCIBuckets", ci_handlers.get_status),
    Route(_CI_BUCKET, ("PUT",), "/", None, "PUT /", "ci:CreateCIBucket", ci_handlers.bind),
    Route(_CI_BUCKET, ("PUT",), "/", "unbind", "PUT /?unbind", "ci:DeleteCIBucket", ci_handlers.unbind),
    Route(("ci_bucket",), ("GET",), "/workflow", None, "GET /workflow", "ci:DescribeMediaWorkflows",
          ci_handlers.list_workflows),
    Route(("ci_bucket",), ("GET",), "/inventorytriggerjob", None, "GET /inventorytriggerjob",
          "ci:DescribeInventoryTriggerJobs", ci_handlers.list_batch_jobs),
    Route(("ci_service",), ("GET",), "/mediabucket", None, "GET /mediabucket", "ci:DescribeMediaBuckets",
          ci_handlers.service_list("media", "MediaBucketList")),
    Route(("ci_service",), ("GET",), "/picbucket", None, "GET /picbucket", "ci:DescribePicProcessBucket",
          ci_handlers.service_list("pic", "PicBucketList")),
    Route(("ci_service",), ("GET",), "/docbucket", None, "GET /docbucket", "ci:DescribeDocProcessBucket",
          ci_handlers.service_list("doc", "DocBucketList")),
    Route(("ci_service",), ("GET",), "/asrbucket", None, "GET /asrbucket", "ci:DescribeAsrBuckets",
          ci_handlers.service_list("asr", "AsrBucketList")),
    Route(("ci_service",), ("GET",), "/file_bucket", None, "GET /file_bucket", "ci:DescribeFileProcessBucket",
          ci_handlers.service_list("file", "FileBucketList")),
    Route(("ci_service",), ("GET",), "/ai_bucket", None, "GET /ai_bucket", "ci:DescribeAiProcessBucket",
          ci_handlers.service_list("ai", "AiBucketList")),
    Route(("ci_service",), ("GET",), "/cibuckets", None, "GET /cibuckets", "ci:DescribeCIBuckets",
          ci_handlers.list_ci_buckets),
    Route(("cos_bucket",), ("GET",), "/", "tagging", "GET /?tagging", "cos:GetBucketTagging",
          cos_handlers.get_tagging),
    Route(("cos_bucket",), ("PUT",), "/", "tagging", "PUT /?tagging", "cos:PutBucketTagging",
          cos_handlers.put_tagging),
    Route(("cos_bucket",), ("DELETE",), "/", "tagging", "DELETE /?tagging", "cos:DeleteBucketTagging",
          cos_handlers.delete_tagging),
    # COS objects and the bucket calls the state store makes (docs/operations.md).
    Route(("cos_bucket",), ("GET",), "/", "versioning", "GET /?versioning", "cos:GetBucketVersioning",
          object_handlers.get_versioning),
    Route(("cos_bucket",), ("GET",), "/", None, "GET Bucket", "cos:GetBucket", object_handlers.list_objects,
          params=_LIST_PARAMS),
    Route(("cos_bucket",), ("PUT",), OBJECT, None, "PUT Object", "cos:PutObject", object_handlers.put_object),
    Route(("cos_bucket",), ("GET",), OBJECT, None, "GET Object", "cos:GetObject", object_handlers.get_object),
    Route(("cos_bucket",), ("HEAD",), OBJECT, None, "HEAD Object", "cos:HeadObject", object_handlers.head_object),
    Route(("cos_bucket",), ("DELETE",), OBJECT, None, "DELETE Object", "cos:DeleteObject",
          object_handlers.delete_object),
    Route(("cos_service",), ("GET",), "/", None, "GET Service", "cos:GetService", service_handlers.get_service),
    Route(("tag",), ("POST", "GET"), "/", "GetResources", "tag:GetResources", "tag:GetResources",
          tag_handlers.get_resources),
    # Many accounts: a member role's keys, and this function started once per shard.
    Route(("sts",), ("POST", "GET"), "/", "AssumeRole", "sts:AssumeRole", "sts:AssumeRole", sts_handlers.assume_role),
    Route(("scf",), ("POST", "GET"), "/", "Invoke", "scf:Invoke", "scf:InvokeFunction", scf_handlers.invoke),
    Route(("scf",), ("POST", "GET"), "/", "GetFunction", "scf:GetFunction", "scf:GetFunction", scf_handlers.get_function),
    Route(("scf",), ("POST", "GET"), "/", "ListTriggers", "scf:ListTriggers", "scf:ListTriggers",
          scf_handlers.list_triggers),
    Route(("scf",), ("POST", "GET"), "/", "GetAsyncEventStatus", "scf:GetAsyncEventStatus",
          "scf:GetAsyncEventStatus", scf_handlers.get_async_event_status),
    # EventBridge: only setup-eventbridge calls these, never the function.
    *(Route(("eb",), ("POST", "GET"), "/", action, f"eb:{action}", f"eb:{action}", handler) for action, handler in (
        ("ListEventBuses", eb_handlers.list_event_buses), ("ListRules", eb_handlers.list_rules),
        ("GetRule", eb_handlers.get_rule), ("CreateRule", eb_handlers.create_rule),
        ("UpdateRule", eb_handlers.update_rule), ("ListTargets", eb_handlers.list_targets),
        ("CreateTarget", eb_handlers.create_target), ("DeleteTarget", eb_handlers.delete_target),
        ("DeleteRule", eb_handlers.delete_rule))),
    # CAM: the function asks GetUserAppId; setup-role and teardown --role make the rest.
    *(Route(("cam",), ("POST", "GET"), "/", action, f"cam:{action}", f"cam:{action}", handler)
      for action, handler in cam_handlers.ACTIONS.items()),
    # Robots: the key is in the query (WeCom, DingTalk) or the path's tail ("/*": a prefix).
    Route(("robot_wecom",), ("POST", "GET"), "/cgi-bin/webhook/send", None, "robot:wecom", "robot:send",
          robot_handlers.wecom),
    Route(("robot_dingtalk",), ("POST", "GET"), "/robot/send", None, "robot:dingtalk", "robot:send",
          robot_handlers.dingtalk),
    Route(("robot_feishu",), ("POST", "GET"), "/open-apis/bot/v2/hook/*", None, "robot:feishu", "robot:send",
          robot_handlers.feishu),
    Route(("robot_slack",), ("POST", "GET"), "/services/*", None, "robot:slack", "robot:send", robot_handlers.slack),
    Route(("robot_json",), ("POST", "GET"), "/cos-ci-unbinder/*", None, "robot:json", "robot:send",
          robot_handlers.as_json),
)

ENDPOINTS = tuple(r.endpoint for r in ROUTES)


def match_host(host: str) -> Optional[tuple[str, dict[str, Optional[str]]]]:
    for kind, pattern in HOSTS.items():
        m = pattern.match(host)
        if m:
            return kind, m.groupdict()
    return None


def _tc_action(req: Request) -> Optional[str]:
    return req.headers.get("x-tc-action") or req.params.get("Action")


def match(req: Request) -> Optional[tuple[Route, str, dict[str, Optional[str]]]]:
    """(route, host kind, host groups) for a request, or None when nothing serves it."""
    found = match_host(req.host)
    if found is None:
        return None
    kind, groups = found
    keys = {k for k, _ in req.query}
    for route in ROUTES:
        if kind not in route.hosts or req.method not in route.methods:
            continue
        if route.path == OBJECT:
            if req.path == "/" or keys:
                continue
            return route, kind, groups
        if route.path.endswith("/*"):  # a robot's key at the path's tail
            if not req.path.startswith(route.path[:-1]) or len(req.path) == len(route.path) - 1:
                continue
        elif req.path != route.path:
            continue
        if HOST_SERVICE[kind] in API3_SERVICES:
            if _tc_action(req) != route.selector:
                continue
        elif route.params is not None:
            if not keys <= route.params:
                continue
        elif route.path == "/" and kind != "cos_service":
            # A bare "/" must carry no query at all and a sub-resource exactly its own key, so a
            # mistyped sub-resource (e.g. ?unbnd) is never taken for a bind or a status read.
            if keys != ({route.selector} if route.selector else set()):
                continue
        return route, kind, groups
    return None
