"""STS AssumeRole into member accounts (tencentcloud-sdk-python-sts), cached per container.

The central function's own keys ask STS for a member role's temporary keys. Keys are kept while the
container is warm and renewed once they would expire before an invocation could finish. They travel
only inside `Credentials` (whose repr hides the key and token) and never enter a report or log line.

API: AssumeRole, version 2018-08-13 (Tencent Cloud API docs, STS, "AssumeRole"): RoleArn,
RoleSessionName, DurationSeconds (default 7200, at most 43200); answers Credentials {TmpSecretId,
TmpSecretKey, Token} and ExpiredTime (Unix seconds).
"""

import threading
import time
from typing import Callable, Optional

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.sts.v20180813 import models, sts_client

from ..org.accounts import RoleArn
from ..settings import Credentials
from . import api3
from .cos import DEFAULT_RETRY, RetryPolicy
from .errors import ApiError

API = "sts:AssumeRole"
SESSION_NAME = "cos-ci-unbinder"
MIN_DURATION = 7200
MAX_DURATION = 43200
# Keys are renewed when fewer than the function's time limit plus this remain.
RENEW_MARGIN = 120
_RETRYABLE = ("RequestLimitExceeded", "InternalError.SystemError", "InternalError.UnknownError",
              "ClientNetworkError")


def duration_for(time_limit: Optional[float]) -> int:
    """Long enough to outlast an invocation begun now, with room for reuse by the next ones."""
    limit = 900.0 if time_limit is None else time_limit
    return int(min(MAX_DURATION, max(MIN_DURATION, limit + 2 * RENEW_MARGIN)))


class RoleCache:
    """Temporary keys per (caller, role), shared by the invocations of one container."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict = {}

    def get(self, caller: str, role: RoleArn, needed: float) -> Optional[Credentials]:
        with self._lock:
            found = self._keys.get((caller, role.arn))
        if found is None or found[1] - self._clock() <= needed:
            return None
        return found[0]

    def put(self, caller: str, role: RoleArn, creds: Credentials, expires: float) -> None:
        with self._lock:
            self._keys[(caller, role.arn)] = (creds, expires)

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()


CACHE = RoleCache()


class Roles:
    """Assumes member roles with the central credentials."""

    def __init__(self, central: Credentials, region: str = "ap-guangzhou", retry: RetryPolicy = DEFAULT_RETRY,
                 cache: RoleCache = CACHE, endpoint: str = "sts.tencentcloudapi.com", timeout: int = 10):
        self._central = central
        self._cache = cache
        self._retry = retry
        self._client = api3.client(sts_client.StsClient, central.secret_id, central.secret_key, central.token,
                                   region, endpoint, timeout)

    def credentials(self, role: RoleArn, time_limit: Optional[float], trace=None) -> Credentials:
        """The role's keys, valid for at least the time limit; raises ApiError when it cannot be assumed."""
        needed = (900.0 if time_limit is None else time_limit) + RENEW_MARGIN
        cached = self._cache.get(self._central.secret_id, role, needed)
        if cached is not None:
            return cached
        req = models.AssumeRoleRequest()
        req.RoleArn = role.arn
        req.RoleSessionName = SESSION_NAME
        req.DurationSeconds = duration_for(time_limit)

        def attempt():
            try:
                return self._client.AssumeRole(req)
            except TencentCloudSDKException as exc:
                code = exc.get_code() or ""
                raise ApiError(api=API, code=code, message=exc.get_message() or "",
                               request_id=exc.get_request_id() or "", retryable=code in _RETRYABLE) from None
            except Exception as exc:
                raise ApiError(api=API, code="MalformedResponse", message=f"{type(exc).__name__}: {exc}"[:300],
                               retryable=True) from None

        try:
            resp = self._retry.call(attempt)
        except ApiError as err:
            if trace is not None:
                trace.add_error(err)
            raise
        keys = resp.Credentials
        if keys is None or not (keys.TmpSecretId and keys.TmpSecretKey and keys.Token) or not resp.ExpiredTime:
            raise ApiError(api=API, code="MalformedResponse", message="AssumeRole answered without keys",
                           request_id=resp.RequestId or "")
        if trace is not None:
            trace.add(API, resp.RequestId or "", 200)
        creds = Credentials(keys.TmpSecretId, keys.TmpSecretKey, keys.Token)
        self._cache.put(self._central.secret_id, role, creds, float(resp.ExpiredTime))
        return creds
