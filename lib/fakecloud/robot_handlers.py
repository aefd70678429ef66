"""The chat robots' webhook endpoints, answering as each robot documents (see lib/notify/robots.py
for the documents): the key in the URL, the signature when the robot has a secret, the message
shape and the size limit. A refused message is recorded with the robot's code, so a test sees
why the robot said no.

WeCom, DingTalk and Feishu answer HTTP 200 with a code in the body, success or not; Slack
answers 200 "ok" or a 4xx with an error word; the JSON receiver answers 200.
"""

import base64
import hashlib
import hmac
import json
from typing import Optional

from .robot_models import Refusal, Robot
from .wire import JSON, Reply, Request

WECOM_CONTENT_BYTES = 4096
WECOM_TEXT_BYTES = 2048
DINGTALK_BODY_BYTES = 20000
FEISHU_BODY_BYTES = 20 * 1000
SLACK_BLOCKS, SLACK_SECTION, SLACK_HEADER = 50, 3000, 150
# Slack refuses a message whose blocks hold more text than this, all text fields together
# (`msg_blocks_too_long`), though each block is within its own limit.
SLACK_BLOCKS_TEXT = 12000
SIGN_WINDOW = 3600.0  # both DingTalk and Feishu refuse a timestamp more than an hour off


class _Refused(Exception):
    def __init__(self, code: str, message: str, status: int = 200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _robot(cloud, kind: str, key: Optional[str]) -> Optional[Robot]:
    return cloud.robots.find(kind, key)


def _json_body(req: Request, kind: str) -> dict:
    try:
        body = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refused("40000", "invalid json body", 400 if kind in ("slack", "json") else 200) from None
    if not isinstance(body, dict):
        raise _Refused("40000", "the body is not a JSON object")
    return body


def _errcode_reply(code, message: str, status: int = 200) -> Reply:
    return Reply(status, json.dumps({"errcode": int(code), "errmsg": message}).encode(), JSON)


def _hmac_b64(key: str, msg: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), msg.encode(), hashlib.sha256).digest()).decode()


def _check_time(cloud, timestamp: str, scale: float, refusal: _Refused) -> None:
    try:
        when = int(timestamp) / scale
    except (TypeError, ValueError):
        raise refusal from None
    if abs(cloud.now() - when) > SIGN_WINDOW:
        raise refusal


def _serve(cloud, req: Request, kind: str, key: Optional[str], check, answer_ok, answer_error) -> Reply:
    robot = _robot(cloud, kind, key)
    try:
        if req.method != "POST":
            raise _Refused("405", "method not allowed", 405)
        if robot is None:
            raise _Refused(*_UNKNOWN[kind])
        body = _json_body(req, kind)
        check(cloud, robot, req, body)
    except _Refused as no:
        if robot is not None:
            robot.refusals.append(Refusal(kind, no.code, no.message))
        return answer_error(no)
    cloud.robots.receive(robot, body)
    return answer_ok()


_UNKNOWN = {
    "wecom": ("93000", "invalid webhook url"),
    "dingtalk": ("300001", "token is not exist"),
    "feishu": ("19001", "param invalid: incoming webhook access token invalid"),
    "slack": ("no_service", "no_service", 404),
    "json": ("404", "not found", 404),
}


# -- WeCom group robot ---------------------------------------------------------------------------

def _wecom_check(cloud, robot, req, body):
    kind = body.get("msgtype")
    if kind == "markdown":
        content = (body.get("markdown") or {}).get("content")
        if not isinstance(content, str) or not content:
            raise _Refused("44004", "markdown.content is empty")
        if len(content.encode("utf-8")) > WECOM_CONTENT_BYTES:
            raise _Refused("40058", "markdown.content exceed max length 4096. invalid Request Parameter")
    elif kind == "text":
        content = (body.get("text") or {}).get("content")
        if not isinstance(content, str) or len(content.encode("utf-8")) > WECOM_TEXT_BYTES:
            raise _Refused("40058", "text.content exceed max length 2048")
        body.setdefault("markdown", {"content": content})
    else:
        raise _Refused("40008", "invalid message type")


def wecom(cloud, req: Request) -> Reply:
    return _serve(cloud, req, "wecom", req.params.get("key"), _wecom_check,
                  lambda: _errcode_reply(0, "ok"), lambda no: _errcode_reply(no.code, no.message, no.status))


# -- DingTalk custom robot -----------------------------------------------------------------------

def _dingtalk_check(cloud, robot, req, body):
    if robot.secret:
        bad = _Refused("310000", "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]")
        timestamp, sign = req.params.get("timestamp"), req.params.get("sign")
        if not timestamp or not sign:
            raise bad
        _check_time(cloud, timestamp, 1000.0, _Refused("310000", "invalid timestamp"))
        if not hmac.compare_digest(sign, _hmac_b64(robot.secret, f"{timestamp}\n{robot.secret}")):
            raise bad
    if len(req.body) > DINGTALK_BODY_BYTES:
        raise _Refused("460101", "message too long, exceed 20000 bytes")
    if body.get("msgtype") != "markdown":
        raise _Refused("40035", "缺少参数 msgtype/markdown")
    md = body.get("markdown") or {}
    if not isinstance(md.get("title"), str) or not isinstance(md.get("text"), str) or not md["text"]:
        raise _Refused("40035", "缺少参数 markdown.title/text")


def dingtalk(cloud, req: Request) -> Reply:
    return _serve(cloud, req, "dingtalk", req.params.get("access_token"), _dingtalk_check,
                  lambda: _errcode_reply(0, "ok"), lambda no: _errcode_reply(no.code, no.message, no.status))


# -- Feishu custom bot ---------------------------------------------------------------------------

def _feishu_reply(code, message, status=200) -> Reply:
    return Reply(status, json.dumps({"code": int(code), "msg": message, "data": {}}).encode(), JSON)


def _feishu_check(cloud, robot, req, body):
    if len(req.body) > FEISHU_BODY_BYTES:
        raise _Refused("9499", "Bad Request: the request body is over 20 KB")
    if robot.secret:
        bad = _Refused("19021", "sign match fail or timestamp is not within one hour from current time")
        timestamp, sign = body.get("timestamp"), body.get("sign")
        if not isinstance(timestamp, str) or not isinstance(sign, str):
            raise bad
        _check_time(cloud, timestamp, 1.0, bad)
        if not hmac.compare_digest(sign, _hmac_b64(f"{timestamp}\n{robot.secret}", "")):
            raise bad
    kind = body.get("msg_type")
    if kind == "interactive":
        card = body.get("card")
        if not isinstance(card, dict) or not isinstance(card.get("elements"), list):
            raise _Refused("11246", "the card is not a message card")
    elif kind not in ("text", "post"):
        raise _Refused("19002", "params error, msg_type need")


def feishu(cloud, req: Request) -> Reply:
    key = req.path[len("/open-apis/bot/v2/hook/"):]
    return _serve(cloud, req, "feishu", key, _feishu_check, lambda: _feishu_reply(0, "success"),
                  lambda no: _feishu_reply(no.code, no.message, no.status))


# -- Slack incoming webhook ----------------------------------------------------------------------

def _slack_check(cloud, robot, req, body):
    blocks = body.get("blocks")
    if not body.get("text") and not blocks:
        raise _Refused("no_text", "no_text", 400)
    if blocks is None:
        return
    if not isinstance(blocks, list) or len(blocks) > SLACK_BLOCKS:
        raise _Refused("invalid_blocks", "invalid_blocks", 400)
    if sum(len(text) for text in _slack_texts(blocks)) > SLACK_BLOCKS_TEXT:
        raise _Refused("msg_blocks_too_long", "msg_blocks_too_long", 400)
    for block in blocks:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "header":
            if len(block["text"]["text"]) > SLACK_HEADER or block["text"].get("type") != "plain_text":
                raise _Refused("invalid_blocks", "invalid_blocks", 400)
        elif kind == "section":
            if len(block["text"]["text"]) > SLACK_SECTION:
                raise _Refused("invalid_blocks", "invalid_blocks", 400)
        elif kind == "context":
            if not 1 <= len(block.get("elements", [])) <= 10:
                raise _Refused("invalid_blocks", "invalid_blocks", 400)
        elif kind != "divider":
            raise _Refused("invalid_blocks", "invalid_blocks", 400)


def _slack_texts(blocks: list) -> list:
    """Every text field of the blocks: a header's or section's text, a context's elements."""
    out = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        for part in [block.get("text")] + list(block.get("elements") or []):
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
    return out


def _text_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), "text/html")


def slack(cloud, req: Request) -> Reply:
    key = req.path[len("/services/"):]
    return _serve(cloud, req, "slack", key, _slack_check, lambda: _text_reply(200, "ok"),
                  lambda no: _text_reply(no.status, no.code))


# -- a plain JSON receiver ----------------------------------------------------------------------

def as_json(cloud, req: Request) -> Reply:
    key = req.path[len("/cos-ci-unbinder/"):]
    return _serve(cloud, req, "json", key, lambda *_: None, lambda: _text_reply(200, '{"ok": true}'),
                  lambda no: _text_reply(no.status, no.message))


# -- faults -------------------------------------------------------------------------------------

def error_reply(req: Request, status: int, code: str, message: str) -> Reply:
    """An injected fault in the robot's own words: a numeric code is a robot-level refusal
    (HTTP 200 with errcode or code), anything else an HTTP error."""
    kind = req.endpoint.split(":", 1)[1] if req.endpoint else "json"
    if code.isdigit() and kind in ("wecom", "dingtalk"):
        return _errcode_reply(code, message)
    if code.isdigit() and kind == "feishu":
        return _feishu_reply(code, message)
    return _text_reply(status, code)


def connection_error_text(req: Request) -> str:
    """What requests says when a connection fails: it quotes the path and query, key and all."""
    tail = req.path + (f"?{req.raw_query}" if req.raw_query else "")
    return (f"HTTPSConnectionPool(host='{req.host}', port=443): Max retries exceeded with url: {tail} "
            f"(Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] "
            f"Connection refused'))")
