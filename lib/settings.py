"""Settings from the environment, validated once; anything invalid stops the run before any call."""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional

from .buckets import InvalidBucket, validate_appid, validate_bucket_name, validate_region
from .notify import config as notify_config
from .org import accounts as org

SERVICES = ("media", "pic", "doc", "asr", "file", "ai")

# COS tag keys: letters, digits, spaces and + - = . _ : / @ (1-128 characters).
_TAG_KEY_RE = re.compile(r"^[A-Za-z0-9 +\-=._:/@]{1,128}\Z")


class SettingsError(ValueError):
    """An environment setting that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Credentials:
    secret_id: str
    secret_key: str = field(repr=False)
    token: Optional[str] = field(default=None, repr=False)

    def __bool__(self):
        return bool(self.secret_id and self.secret_key)


@dataclass(frozen=True)
class Settings:
    dry_run: bool = True
    tag_key: str = "ci-unbind"
    protect_tag_key: str = "ci-unbind-protect"
    regions: frozenset[str] = frozenset()  # empty: every region
    max_per_run: int = 20
    concurrency: int = 16
    blocking_services: frozenset[str] = frozenset(SERVICES)
    appid: Optional[str] = None
    max_rps: int = 50  # CI and COS requests per second for the whole invocation
    credentials: Credentials = field(default=Credentials("", ""), repr=False)
    fanout: org.FanoutSettings = org.FanoutSettings()
    # The state bucket (docs/operations.md): None = no state, everything works without it.
    state_bucket: Optional[str] = None
    state_region: Optional[str] = None
    state_prefix: str = "cos-ci-unbinder/"
    max_per_day: Optional[int] = None
    notify: notify_config.NotifySettings = field(default_factory=notify_config.NotifySettings, repr=False)

    def region_allowed(self, region: str) -> bool:
        return not self.regions or region in self.regions


def _bool(env, name, default):
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in ("true", "false"):
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    return value == "true"


def _int(env, name, default, low, high):
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _tag_key(env, name, default):
    raw = env.get(name)
    value = default if raw is None or raw.strip() == "" else raw.strip()
    if not _TAG_KEY_RE.match(value):
        raise SettingsError(f"{name} is not a valid tag key: {raw!r}")
    return value


def _list(raw):
    return [item.strip() for item in (raw or "").split(",") if item.strip()]


def load(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Read and validate every setting; raise SettingsError naming the first bad one."""
    env = os.environ if env is None else env
    regions = _list(env.get("CI_UNBIND_REGIONS"))
    for region in regions:
        try:
            validate_region(region)
        except InvalidBucket:
            raise SettingsError(f"CI_UNBIND_REGIONS has an invalid region: {region!r}") from None

    raw_services = env.get("CI_UNBIND_BLOCKING_SERVICES")
    services = list(SERVICES) if raw_services is None else _list(raw_services)
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        raise SettingsError(
            f"CI_UNBIND_BLOCKING_SERVICES has unknown services {unknown}; known: {', '.join(SERVICES)}"
        )

    appid = (env.get("TENCENTCLOUD_APPID") or "").strip() or None
    if appid is not None:
        try:
            validate_appid(appid)
        except InvalidBucket:
            raise SettingsError("TENCENTCLOUD_APPID must be digits") from None

    tag_key = _tag_key(env, "CI_UNBIND_TAG_KEY", "ci-unbind")
    protect_key = _tag_key(env, "CI_UNBIND_PROTECT_TAG_KEY", "ci-unbind-protect")
    if tag_key == protect_key:
        raise SettingsError("CI_UNBIND_TAG_KEY and CI_UNBIND_PROTECT_TAG_KEY must differ")

    try:
        fanout = org.load(env)
    except org.AccountsError as err:
        raise SettingsError(str(err)) from None
    try:
        notify = notify_config.load(env)
    except notify_config.NotifySettingsError as err:
        raise SettingsError(str(err)) from None

    state = _state(env)
    return Settings(
        **state,
        fanout=fanout,
        dry_run=_bool(env, "CI_UNBIND_DRY_RUN", True),
        tag_key=tag_key,
        protect_tag_key=protect_key,
        regions=frozenset(regions),
        max_per_run=_int(env, "CI_UNBIND_MAX_PER_RUN", 20, 0, 10000),
        concurrency=_int(env, "CI_UNBIND_CONCURRENCY", 16, 1, 64),
        blocking_services=frozenset(services),
        appid=appid,
        max_rps=_int(env, "CI_UNBIND_MAX_RPS", 50, 1, 1000),
        # Surrounding white space (a pasted newline) is never part of a key; the SDKs reject it.
        credentials=Credentials(
            secret_id=(env.get("TENCENTCLOUD_SECRETID") or "").strip(),
            secret_key=(env.get("TENCENTCLOUD_SECRETKEY") or "").strip(),
            token=(env.get("TENCENTCLOUD_SESSIONTOKEN") or "").strip() or None,
        ),
        notify=notify,
    )


# Letters, digits and - _ . ! separated by single '/', ending in '/': a key prefix that needs no escaping.
_PREFIX_RE = re.compile(r"(?:[A-Za-z0-9_.!-]+/){1,8}")


def valid_state_prefix(prefix: str) -> bool:
    """A state prefix (CI_UNBIND_STATE_PREFIX, setup-role --state-prefix) keys can be built under."""
    return bool(_PREFIX_RE.fullmatch(prefix or "")) and ".." not in prefix and len(prefix) <= 200


def _state(env) -> dict:
    bucket = (env.get("CI_UNBIND_STATE_BUCKET") or "").strip() or None
    region = (env.get("CI_UNBIND_STATE_REGION") or "").strip() or None
    raw_prefix = env.get("CI_UNBIND_STATE_PREFIX")
    prefix = "cos-ci-unbinder/" if raw_prefix is None or not raw_prefix.strip() else raw_prefix.strip()
    max_per_day = _int(env, "CI_UNBIND_MAX_PER_DAY", None, 0, 100000)
    if bucket is not None:
        try:
            validate_bucket_name(bucket)
        except InvalidBucket:
            raise SettingsError(f"CI_UNBIND_STATE_BUCKET must be <name>-<APPID>, not {bucket!r}") from None
        if region is None:
            raise SettingsError("CI_UNBIND_STATE_REGION is needed with CI_UNBIND_STATE_BUCKET")
        try:
            validate_region(region)
        except InvalidBucket:
            raise SettingsError(f"CI_UNBIND_STATE_REGION is not a region: {region!r}") from None
    elif max_per_day is not None:
        raise SettingsError("CI_UNBIND_MAX_PER_DAY needs CI_UNBIND_STATE_BUCKET: the count is kept there")
    if not valid_state_prefix(prefix):
        raise SettingsError(f"CI_UNBIND_STATE_PREFIX must be path segments ending in '/', such as "
                            f"cos-ci-unbinder/, not {raw_prefix!r}")
    return {"state_bucket": bucket, "state_region": region if bucket else None, "state_prefix": prefix,
            "max_per_day": max_per_day}


def public_view(settings: Settings) -> dict:
    """The settings as they may appear in a log line: never the credentials."""
    return {
        "dry_run": settings.dry_run,
        "tag_key": settings.tag_key,
        "protect_tag_key": settings.protect_tag_key,
        "regions": sorted(settings.regions),
        "max_per_run": settings.max_per_run,
        "concurrency": settings.concurrency,
        "blocking_services": sorted(settings.blocking_services),
        "appid": settings.appid,
        "max_rps": settings.max_rps,
        "state_bucket": settings.state_bucket,
        "state_region": settings.state_region,
        "state_prefix": settings.state_prefix,
        "max_per_day": settings.max_per_day,
        "notify": settings.notify.public_view(),  # the robot's host only: its URL holds the key
        **settings.fanout.public_view(),
    }
