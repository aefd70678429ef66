"""Request and reply shapes shared by the handlers, and the XML/JSON bodies they write."""

import json
from typing import Optional
from xml.sax.saxutils import escape

XML_DECL = "<?xml version='1.0' encoding='utf-8' ?>\n"
XML = "application/xml"
JSON = "application/json"


class Request:
    """One intercepted HTTP request, decoded once for routing, signing checks and handlers."""

    def __init__(self, method: str, url: str, host: str, path: str, raw_query: str,
                 query: list[tuple[str, str]], headers: dict[str, str], body: bytes):
        self.method = method
        self.url = url
        self.host = host
        self.path = path
        self.raw_query = raw_query
        self.query = query
        self.params = dict(query)
        self.headers = headers
        self.body = body
        # Filled in by routing.
        self.service: Optional[str] = None
        self.endpoint: Optional[str] = None
        self.action: Optional[str] = None
        self.bucket: Optional[str] = None
        self.region: Optional[str] = None
        self.request_id = ""

    def param(self, name: str) -> Optional[str]:
        """A query value, where an empty one counts as not given: the SDK sends every filter, empty or not."""
        value = self.params.get(name)
        return value if value else None


class Reply:
    def __init__(self, status: int = 200, body: bytes = b"", content_type: Optional[str] = XML,
                 headers: Optional[dict[str, str]] = None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        if content_type:
            self.headers["Content-Type"] = content_type

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


class ServiceError(Exception):
    """Raised by a handler; core turns it into the error body of the service that was called."""

    def __init__(self, status: int, code: str, message: str, with_resource: Optional[bool] = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.with_resource = with_resource


def leaf(tag: str, text) -> str:
    return f"<{tag}>{escape('' if text is None else str(text))}</{tag}>"


def node(tag: str, *children: str) -> str:
    return f"<{tag}>{''.join(children)}</{tag}>"


def xml_reply(root: str, status: int = 200) -> Reply:
    return Reply(status, (XML_DECL + root).encode("utf-8"), XML)


def json_reply(obj, status: int = 200) -> Reply:
    return Reply(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), JSON)


def xml_error_body(code: str, message: str, request_id: str, trace_id: str,
                   resource: Optional[str]) -> bytes:
    parts = [leaf("Code", code), leaf("Message", message)]
    if resource is not None:
        parts.append(leaf("Resource", resource))
    parts += [leaf("RequestId", request_id), leaf("TraceId", trace_id)]
    return (XML_DECL + node("Error", *parts)).encode("utf-8")


def tag_error_body(code: str, message: str, request_id: str) -> bytes:
    body = {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}
    return json.dumps(body).encode("utf-8")


def malformed_body(content_type: str) -> bytes:
    if content_type.startswith(JSON):
        return b'{"Response": {"RequestId": not-json'
    return (XML_DECL + "<Response><RequestId>x</RequestId><TotalCount>1</Response>").encode("utf-8")


def int_param(req: Request, name: str, default: int, lo: int, hi: Optional[int] = None) -> int:
    raw = req.param(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServiceError(400, "InvalidArgument", f"{name} must be an integer, got {raw!r}") from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise ServiceError(400, "InvalidArgument", f"{name} must be {bound}, got {value}")
    return value


def comma_list(value: Optional[str]) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Undo the SDK's GET encoding (TagFilters.0.TagValue.1=x) into nested dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.split(".")
        cur = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            cur = cur.setdefault(part, value if last else {})
    return _listify(root)


def _listify(obj):
    if not isinstance(obj, dict):
        return obj
    if obj and all(k.isdigit() for k in obj):
        return [_listify(obj[k]) for k in sorted(obj, key=int)]
    return {k: _listify(v) for k, v in obj.items()}


def api3_params(req: "Request", bad_code: str) -> dict:
    """An API 3.0 call's parameters: JSON in a POST body, or the SDK's flattened GET query."""
    if req.method == "GET":
        return unflatten(req.query)
    if not req.body:
        return {}
    try:
        params = json.loads(req.body.decode("utf-8"))
    except ValueError:
        raise ServiceError(200, bad_code, "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ServiceError(200, bad_code, "The request body must be a JSON object.")
    return params


def require_bucket(cloud, req: "Request"):
    """The bucket the request's host names, or the service's NoSuchBucket."""
    bucket = cloud.account.bucket_in_region(req.bucket, req.region)
    if bucket is None:
        raise ServiceError(404, "NoSuchBucket", "The specified bucket does not exist.")
    return bucket
