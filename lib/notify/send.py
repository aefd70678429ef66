"""Sending a digest to the robot: the one module that calls the chat robots' webhooks.

A short timeout and one retry (tenacity), for a dropped connection, a 5xx or a robot's own rate
limit; nothing else is worth a second try. Every robot answers in its own way, and a 200 is not
always a success (WeCom and DingTalk put `errcode` in a 200 body, Feishu `code`), so each answer
is read as its robot documents it. The URL holds the robot's key and the secret signs: an error
says the host only, and every text that leaves here is scrubbed of both.
"""

import base64
import hashlib
import hmac
import json
import time
from typing import Callable, Optional
from urllib.parse import urlencode

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_fixed

from ..report import scrub_text
from .config import NotifySettings

TIMEOUT = (3.05, 5.0)  # connect, read: seconds
RETRY_WAIT = 1.0
MIN_ATTEMPT = 1.5  # seconds: less than this before the function's time limit, and nothing is sent
# The robots' documented "too many messages" answers: worth the one retry.
#   WeCom 45009 (api freq out of limit), DingTalk 130101 (send too fast),
#   Feishu 11232 (frequency limited; add-custom-bot: 100 a minute, 5 a second).
_RATE_LIMITED = {"wecom": {45009}, "dingtalk": {130101}, "feishu": {11232}}


class NotifyFailed(Exception):
    """The robot did not take the message. The text names the host only and is scrubbed."""

    def __init__(self, text: str, retryable: bool = False):
        super().__init__(text)
        self.retryable = retryable


def scrub(text: str, settings: NotifySettings) -> str:
    """`text` without the robot's URL, key or secret, in any of the spellings a URL may carry them."""
    return scrub_text(str(text), settings.secrets())


def sign_dingtalk(secret: str, now: float) -> dict:
    """DingTalk's 加签: timestamp in milliseconds; sign = Base64(HmacSHA256(key=secret,
    msg=timestamp + "\\n" + secret)), sent URL-encoded in the query beside access_token
    (open.dingtalk.com/document/orgapp/customize-robot-security-settings). The robot refuses a
    timestamp more than an hour from its clock."""
    timestamp = str(int(now * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode("ascii")}


def sign_feishu(secret: str, now: float) -> dict:
    """Feishu's 签名校验: timestamp in seconds; sign = Base64(HmacSHA256(key=timestamp + "\\n" +
    secret, msg="")), sent in the request body (open.feishu.cn/document/client-docs/bot-v3/
    add-custom-bot, "签名校验"). Also refused more than an hour from the robot's clock."""
    timestamp = str(int(now))
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode("ascii")}


def prepare(settings: NotifySettings, payload: dict, now: float) -> tuple[str, bytes]:
    """The URL and body of one attempt, signed when a secret is set (fresh for each attempt)."""
    url = settings.url
    if settings.secret and settings.format == "dingtalk":
        url += ("&" if "?" in url else "?") + urlencode(sign_dingtalk(settings.secret, now))
    elif settings.secret and settings.format == "feishu":
        payload = {**sign_feishu(settings.secret, now), **payload}
    return url, json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _answer(fmt: str, response) -> Optional[NotifyFailed]:
    """None when the robot took the message, else why not."""
    status = response.status_code
    if 300 <= status < 400:
        return NotifyFailed(f"HTTP {status}: the webhook redirects; use the robot's own address")
    if status == 429 or status >= 500:
        return NotifyFailed(f"HTTP {status}", retryable=True)
    if fmt == "slack":  # answers "ok", or an error word with 4xx (invalid_blocks, no_service, ...)
        text = response.text.strip()
        return None if status == 200 and text == "ok" else NotifyFailed(f"HTTP {status}: {text[:200]}")
    if fmt == "json":
        return None if 200 <= status < 300 else NotifyFailed(f"HTTP {status}")
    if status != 200:
        return NotifyFailed(f"HTTP {status}: {response.text[:200]}")
    try:
        body = response.json()
        code = body.get("errcode") if fmt in ("wecom", "dingtalk") else body.get("code", body.get("StatusCode"))
        message = body.get("errmsg") if fmt in ("wecom", "dingtalk") else body.get("msg", body.get("StatusMessage"))
    except (ValueError, AttributeError):
        return NotifyFailed(f"HTTP {status}: an answer that is not the robot's JSON")
    if code == 0:
        return None
    return NotifyFailed(f"{fmt} code {code}: {str(message)[:200]}", retryable=code in _RATE_LIMITED.get(fmt, ()))


class Sender:
    def __init__(self, settings: NotifySettings, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, timeout=TIMEOUT, retry_wait: float = RETRY_WAIT,
                 deadline: Optional[float] = None, monotonic: Callable[[], float] = time.monotonic):
        """`deadline` (on the `monotonic` clock): when the function's time runs out. No attempt
        starts within a second and a half of it, and none may outlast it."""
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._timeout = timeout
        self._retry_wait = retry_wait
        self._deadline = deadline
        self._monotonic = monotonic

    def _timeout_now(self):
        if self._deadline is None:
            return self._timeout
        left = self._deadline - self._monotonic()
        if left < MIN_ATTEMPT:
            raise NotifyFailed(f"not sent: {max(left, 0):.1f} s left before the function's time limit")
        connect, read = self._timeout
        return (min(connect, left / 2), min(read, left - 0.5))

    def _attempt(self, payload: dict) -> None:
        timeout = self._timeout_now()
        url, body = prepare(self.settings, payload, self._clock())
        try:
            with requests.Session() as session:
                response = session.post(url, data=body, timeout=timeout, allow_redirects=False,
                                        headers={"Content-Type": "application/json; charset=utf-8"})
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise NotifyFailed(f"{type(exc).__name__}: {exc}", retryable=True) from None
        except requests.RequestException as exc:
            raise NotifyFailed(f"{type(exc).__name__}: {exc}") from None
        failed = _answer(self.settings.format, response)
        if failed is not None:
            raise failed

    def send(self, payload: dict) -> None:
        """Deliver `payload`, trying at most twice; raises NotifyFailed with a scrubbed text."""
        try:
            for attempt in Retrying(stop=stop_after_attempt(2), wait=wait_fixed(self._retry_wait),
                                    retry=retry_if_exception(lambda e: getattr(e, "retryable", False)),
                                    sleep=self._sleep, reraise=True):
                with attempt:
                    self._attempt(payload)
        except NotifyFailed as failed:
            raise NotifyFailed(f"{self.settings.format} robot at {self.settings.host}: "
                               f"{scrub(str(failed), self.settings)}"[:400]) from None
