"""Chat robots' webhooks in the fake: each robot's key, signing secret and the messages it took.

A message is kept as received and as a person in the chat would read it, so tests assert on what
the team sees. What each robot refuses, and how, is in robot_handlers.
"""

import json
import secrets as _random
from dataclasses import dataclass, field
from typing import Optional

KINDS = ("wecom", "dingtalk", "feishu", "slack", "json")
HOSTS = {"wecom": "qyapi.weixin.qq.com", "dingtalk": "oapi.dingtalk.com", "feishu": "open.feishu.cn",
         "slack": "hooks.slack.com", "json": "hooks.example.com"}


@dataclass
class Message:
    kind: str
    payload: dict
    text: str          # what a person reads in the chat
    at: float


@dataclass
class Refusal:
    kind: str
    code: str
    message: str


@dataclass
class Robot:
    kind: str
    key: str = field(repr=False)
    secret: Optional[str] = field(default=None, repr=False)
    messages: list = field(default_factory=list)
    refusals: list = field(default_factory=list)

    @property
    def url(self) -> str:
        host = HOSTS[self.kind]
        return {
            "wecom": f"https://{host}/cgi-bin/webhook/send?key={self.key}",
            "dingtalk": f"https://{host}/robot/send?access_token={self.key}",
            "feishu": f"https://{host}/open-apis/bot/v2/hook/{self.key}",
            "slack": f"https://{host}/services/{self.key}",
            "json": f"https://{host}/cos-ci-unbinder/{self.key}",
        }[self.kind]

    @property
    def last(self) -> Message:
        if not self.messages:
            raise AssertionError(f"the {self.kind} robot received no message")
        return self.messages[-1]


def new_key(kind: str) -> str:
    if kind == "slack":  # team / channel hook / token, as Slack issues them
        return f"T{_random.token_hex(4).upper()}/B{_random.token_hex(4).upper()}/{_random.token_urlsafe(18)}"
    if kind == "wecom":
        h = _random.token_hex(16)
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return _random.token_hex(32) if kind == "dingtalk" else _random.token_hex(18)


def readable(kind: str, payload: dict) -> str:
    """The message as it shows in the chat: the text of each part, in order."""
    if kind == "wecom":
        return payload["markdown"]["content"]
    if kind == "dingtalk":
        return payload["markdown"]["text"]
    if kind == "feishu":
        card = payload.get("card") or {}
        parts = [card.get("header", {}).get("title", {}).get("content", "")]
        parts += [e.get("content", "") for e in card.get("elements", []) if e.get("tag") == "markdown"]
        return "\n".join(p for p in parts if p)
    if kind == "slack":
        parts = []
        for block in payload.get("blocks", []):
            if block.get("type") in ("header", "section"):
                parts.append(block["text"]["text"])
            elif block.get("type") == "context":
                parts += [e.get("text", "") for e in block.get("elements", [])]
        return "\n".join(parts) if parts else payload.get("text", "")
    return json.dumps(payload, ensure_ascii=False, indent=2)


class Robots:
    def __init__(self, lock, now):
        self._lock = lock
        self._now = now
        self._robots: dict = {}

    def add(self, kind: str, key: Optional[str] = None, secret: Optional[str] = None) -> Robot:
        if kind not in KINDS:
            raise ValueError(f"robot kind must be one of {KINDS}")
        with self._lock:
            robot = Robot(kind, key or new_key(kind), secret)
            self._robots[(kind, robot.key)] = robot
            return robot

    def find(self, kind: str, key: Optional[str]) -> Optional[Robot]:
        with self._lock:
            return self._robots.get((kind, key))

    def receive(self, robot: Robot, payload: dict) -> Message:
        message = Message(robot.kind, payload, readable(robot.kind, payload), self._now())
        robot.messages.append(message)
        return message

    @property
    def all(self) -> list:
        with self._lock:
            return list(self._robots.values())
