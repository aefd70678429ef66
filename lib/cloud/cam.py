"""Whose buckets these are: the account's APPID, from TENCENTCLOUD_APPID or else CAM GetUserAppId.

The other-account check (`foreign_account`) needs the APPID. SCF is documented to inject
TENCENTCLOUD_APPID, but outside SCF (the CLI) or if a runtime does not, the function asks CAM
once per container with its own keys, so the check never silently switches off. When neither
gives an answer, no bucket is unbound: ownership is unknown (`error`, `appid_unknown`).

CAM GetUserAppId (API 3.0, cam 2019-01-16) answers Uin, OwnerUin and AppId for the caller:
https://www.tencentcloud.com/document/api/598/33169
"""

import json
import threading
from dataclasses import dataclass
from typing import Callable, Optional

from ..buckets import InvalidBucket, validate_appid
from ..settings import Credentials
from .cos import DEFAULT_RETRY, RetryPolicy
from .errors import ApiError

API = "cam:GetUserAppId"
_RETRYABLE_CODES = ("RequestLimitExceeded", "InternalError", "ServiceUnavailable", "ClientNetworkError")


@dataclass(frozen=True)
class AccountId:
    """The APPID a run acts for, where it came from, and the lookup's failure when there is none."""

    appid: Optional[str]
    source: str  # "settings" (TENCENTCLOUD_APPID), "cam" (GetUserAppId) or "unknown"
    error: Optional[ApiError] = None
    request_id: str = ""  # the GetUserAppId call made for this invocation, if one was

    @property
    def unknown(self) -> bool:
        return self.appid is None

    def as_dict(self) -> dict:
        out = {"appid": self.appid, "source": self.source}
        if self.request_id:
            out["request_id"] = self.request_id
        if self.error is not None:
            out["error"] = self.error.as_reason()
        return out


class AppIdLookup:
    """One GetUserAppId call through tencentcloud-sdk-python-cam."""

    def __init__(self, credentials: Credentials, retry: RetryPolicy = DEFAULT_RETRY,
                 endpoint: str = "cam.tencentcloudapi.com", timeout: int = 10):
        from tencentcloud.cam.v20190116 import cam_client, models

        from . import api3

        # CAM is global: no region.
        self._client = api3.client(cam_client.CamClient, credentials.secret_id, credentials.secret_key,
                                   credentials.token, "", endpoint, timeout)
        self._models = models
        self._retry = retry

    def __call__(self) -> tuple[str, str]:
        """(appid, request_id); raises ApiError."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        def attempt():
            try:
                return self._client.GetUserAppId(self._models.GetUserAppIdRequest())
            except TencentCloudSDKException as exc:
                code = exc.get_code() or ""
                raise ApiError(api=API, code=code, message=exc.get_message() or "",
                               request_id=exc.get_request_id() or "",
                               retryable=code in _RETRYABLE_CODES or code.startswith("InternalError")) from None
            except Exception as exc:  # a transport fault, or an answer the SDK cannot read
                raise ApiError(api=API, code="MalformedResponse", message=f"{type(exc).__name__}: {exc}"[:300],
                               retryable=True) from None

        resp = self._retry.call(attempt)
        answer = json.loads(resp.to_json_string())
        appid = answer.get("AppId")
        request_id = answer.get("RequestId") or ""
        # The SDK types AppId as an integer; anything that is not one, or not an APPID, is unusable.
        try:
            if isinstance(appid, bool) or not isinstance(appid, int):
                raise InvalidBucket(appid)
            return validate_appid(str(appid)), request_id
        except InvalidBucket:
            raise ApiError(api=API, code="MalformedResponse", message=f"AppId is not an APPID: {appid!r}",
                           request_id=request_id) from None


class Identity:
    """The APPID for one container: looked up at most once successfully, then kept (an account's
    APPID never changes, whatever keys the role is given). A failed lookup is not kept: the next
    invocation asks again."""

    def __init__(self):
        self._appid: Optional[str] = None
        self._lock = threading.Lock()

    def resolve(self, configured: Optional[str], lookup: Callable[[], tuple[str, str]]) -> AccountId:
        if configured:
            return AccountId(configured, "settings")
        with self._lock:
            if self._appid is not None:
                return AccountId(self._appid, "cam")
            try:
                appid, request_id = lookup()
            except ApiError as err:
                return AccountId(None, "unknown", error=err, request_id=err.request_id)
            self._appid = appid
            return AccountId(appid, "cam", request_id=request_id)


def unknown_reason(account: AccountId) -> dict:
    """The reason on a bucket whose owner cannot be told."""
    why = str(account.error) if account.error is not None else "no APPID"
    return {"code": "appid_unknown", "message": "the account's APPID is not known (set TENCENTCLOUD_APPID or "
            f"allow cam:GetUserAppId): {why}"[:400]}
