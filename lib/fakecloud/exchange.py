"""One HTTP exchange of the fake: the request read from what `requests` prepared, and the reply's
error body, spoiled body and headers, as each service writes them. No state here."""

from typing import Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from . import robot_handlers, short_page, urls
from .wire import XML, Reply, Request, malformed_body, tag_error_body, xml_error_body


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return _body_bytes(body.read())
    return bytes(body)


def parse(prepared) -> Request:
    url = urlsplit(prepared.url)
    headers = {_text(k).lower(): _text(v) for k, v in prepared.headers.items()}
    return Request(
        method=prepared.method.upper(), url=prepared.url, host=(url.hostname or "").lower(),
        path=unquote(url.path) or "/", raw_query=url.query,
        query=parse_qsl(url.query, keep_blank_values=True), headers=headers,
        body=_body_bytes(prepared.body),
    )


def error_reply(req: Request, status: int, code: str, message: str, with_resource: Optional[bool],
                ci_errors_with_resource: bool) -> Reply:
    """The error answer of the service that was called."""
    if req.service == "robot":
        return robot_handlers.error_reply(req, status, code, message)
    if req.service in urls.API3_SERVICES:
        return Reply(status, tag_error_body(code, message, req.request_id), "application/json")
    if with_resource is None:
        with_resource = req.service == "cos" or ci_errors_with_resource
    resource = f"{req.host}{req.path}" if with_resource else None
    trace = f"faketrace{req.request_id[len('fakereq'):]}"
    return Reply(status, xml_error_body(code, message, req.request_id, trace, resource), XML)


def spoil(reply: Reply, kind: str, req: Request) -> None:
    """Break the reply's body as a body fault of `kind` says (faults.BODY_KINDS)."""
    if kind == "short_page":
        short_page.spoil(reply, req)
    elif kind == "empty":
        reply.body = b""
    elif kind == "truncated":
        reply.body = reply.body[: len(reply.body) // 2]
    elif kind == "html":
        reply.body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        reply.headers["Content-Type"] = "text/html"
    elif kind == "error_document":
        reply.body = xml_error_body("InternalError", "an error sent with a success status", "x", "t", None)
        reply.headers.setdefault("Content-Type", XML)
    elif kind == "unexpected_document":
        reply.body = b"<Response><RequestId>x</RequestId><Items><Item>1</Item></Items></Response>"
        reply.headers.setdefault("Content-Type", XML)
    else:
        reply.body = malformed_body(reply.content_type or XML)
        reply.headers.setdefault("Content-Type", XML)


def headers(req: Request, reply: Reply) -> dict[str, str]:
    out = dict(reply.headers)
    if req.service == "ci":
        out.update({"x-ci-request-id": req.request_id, "Server": "tencent-ci"})
    elif req.service == "cos":
        out.update({"x-cos-request-id": req.request_id, "Server": "tencent-cos"})
    out["Content-Length"] = str(len(reply.body))
    return out
