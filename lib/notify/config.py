"""The notification settings: where the digest goes, in which robot's format, and when.

The URL carries the robot's key (WeCom `?key=`, DingTalk `?access_token=`, the last path segment
of Feishu and Slack hooks) and the secret signs: neither may appear anywhere but in the request
itself, so everything shown of the URL is its host.
"""

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

FORMATS = ("wecom", "dingtalk", "feishu", "slack", "json")
# Outcomes a digest can list (`skipped`, `not_bound` and the rest need nobody).
NOTIFY_OUTCOMES = ("unbound", "would_unbind", "blocked", "refused", "error", "deferred", "unbinding",
                   "not_bound", "skipped")
DEFAULT_ON = ("unbound", "blocked", "refused", "error")
DEFAULT_NOTICE_DAYS = 3

# The robots' documented webhook hosts, for CI_UNBIND_NOTIFY_FORMAT=auto.
#   WeCom group robot:    https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
#                         (developer.work.weixin.qq.com/document/path/91770)
#   DingTalk custom robot: https://oapi.dingtalk.com/robot/send?access_token=...
#                         (open.dingtalk.com/document/orgapp/custom-robot-access)
#   Feishu / Lark bot:    https://open.feishu.cn/open-apis/bot/v2/hook/...,
#                         https://open.larksuite.com/open-apis/bot/v2/hook/...
#                         (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot)
#   Slack incoming hook:  https://hooks.slack.com/services/... (api.slack.com/messaging/webhooks)
AUTO_HOSTS = {
    "qyapi.weixin.qq.com": "wecom",
    "oapi.dingtalk.com": "dingtalk",
    "open.feishu.cn": "feishu",
    "open.larksuite.com": "feishu",
    "hooks.slack.com": "slack",
}


# Both compiled on first use (cold start): only a function with CI_UNBIND_NOTIFY_URL set needs them.
@cache
def _host_re() -> re.Pattern:
    """A DNS host name: labels of letters, digits and inner hyphens, at least one dot."""
    return re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9]\Z")


@cache
def _url_chars_re() -> re.Pattern:
    """Printable ASCII without spaces, quotes or angle brackets: what a pasted webhook URL is made of."""
    return re.compile(r"[!#-;=?-~]+\Z")


class NotifySettingsError(ValueError):
    """A CI_UNBIND_NOTIFY_* or CI_UNBIND_NOTICE_DAYS value that cannot be used."""


@dataclass(frozen=True)
class NotifySettings:
    url: str = field(default="", repr=False)
    format: str = "json"
    secret: str = field(default="", repr=False)
    on: frozenset = frozenset(DEFAULT_ON)
    notice_days: int = DEFAULT_NOTICE_DAYS

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "") if self.url else ""

    def secrets(self) -> list:
        """Every string that would give the robot away: scrubbed from anything written out."""
        if not self.url:
            return [self.secret] if self.secret else []
        parts = urlsplit(self.url)
        found = [self.url, self.secret]
        # Path segments and query values that look like keys (WeCom's key, DingTalk's token,
        # Feishu's hook id, Slack's T…/B…/token), not words such as "services" or "json" that
        # also occur in ordinary log lines and must not be starred out of them.
        found += [part for part in parts.path.split("/") + [v for _, v in parse_qsl(parts.query)] if _keylike(part)]
        # Longest first, so that a key inside the URL is not left half-replaced.
        return sorted({s for s in found if s}, key=len, reverse=True)

    def public_view(self) -> dict:
        return {"host": self.host or None, "format": self.format if self.enabled else None,
                "secret": bool(self.secret), "on": sorted(self.on), "notice_days": self.notice_days}


def _keylike(text: str) -> bool:
    return len(text) >= 16 or (len(text) >= 8 and any(c.isdigit() for c in text))


def _url(raw: str) -> str:
    url = raw.strip()
    if not url:
        return ""
    # The message never quotes the value: it holds the robot's key.
    if not _url_chars_re().match(url):
        raise NotifySettingsError("CI_UNBIND_NOTIFY_URL has characters a URL cannot hold")
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise NotifySettingsError("CI_UNBIND_NOTIFY_URL must be an https:// URL")
    if parts.username or parts.password or "@" in parts.netloc:
        raise NotifySettingsError("CI_UNBIND_NOTIFY_URL must not carry a user name or password")
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        raise NotifySettingsError("CI_UNBIND_NOTIFY_URL has an invalid port") from None
    if not _host_re().match(host) or parts.netloc.lower() not in (host, f"{host}:{port}"):
        raise NotifySettingsError("CI_UNBIND_NOTIFY_URL has an invalid host name")
    if parts.fragment:
        raise NotifySettingsError("CI_UNBIND_NOTIFY_URL must not have a #fragment")
    return url


def _format(raw: Optional[str], url: str) -> str:
    value = (raw or "").strip().lower() or "auto"
    if value == "auto":
        return AUTO_HOSTS.get(urlsplit(url).hostname or "", "json") if url else "json"
    if value not in FORMATS:
        raise NotifySettingsError(f"CI_UNBIND_NOTIFY_FORMAT must be auto or one of {', '.join(FORMATS)}, "
                                  f"not {raw!r}")
    return value


def _on(raw: Optional[str]) -> frozenset:
    if raw is None or not raw.strip():
        return frozenset(DEFAULT_ON)
    values = [v.strip().lower() for v in raw.split(",") if v.strip()]
    unknown = sorted(set(values) - set(NOTIFY_OUTCOMES))
    if unknown:
        raise NotifySettingsError(f"CI_UNBIND_NOTIFY_ON has unknown outcomes {unknown}; "
                                  f"known: {', '.join(NOTIFY_OUTCOMES)}")
    return frozenset(values)


def _days(raw: Optional[str]) -> int:
    if raw is None or not raw.strip():
        return DEFAULT_NOTICE_DAYS
    text = raw.strip()
    if not re.fullmatch(r"[0-9]{1,3}", text) or int(text) > 366:
        raise NotifySettingsError(f"CI_UNBIND_NOTICE_DAYS must be a whole number of days from 0 to 366, "
                                  f"not {raw!r}")
    return int(text)


def load(env) -> NotifySettings:
    url = _url(env.get("CI_UNBIND_NOTIFY_URL") or "")
    secret = (env.get("CI_UNBIND_NOTIFY_SECRET") or "").strip()
    if secret and not _url_chars_re().match(secret):
        raise NotifySettingsError("CI_UNBIND_NOTIFY_SECRET has characters a robot secret cannot hold")
    fmt = _format(env.get("CI_UNBIND_NOTIFY_FORMAT"), url)
    if secret and url and fmt not in ("dingtalk", "feishu"):
        raise NotifySettingsError(f"CI_UNBIND_NOTIFY_SECRET signs DingTalk and Feishu messages only; "
                                  f"the format is {fmt}")
    return NotifySettings(url=url, format=fmt, secret=secret, on=_on(env.get("CI_UNBIND_NOTIFY_ON")),
                          notice_days=_days(env.get("CI_UNBIND_NOTICE_DAYS")))
