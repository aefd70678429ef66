"""SCF Invoke with InvocationType Event, and the status of such an invocation (tencentcloud-sdk-python-scf).

The coordinator runs this same function once per shard. An asynchronous invocation answers at once
with the invocation's request id; GetAsyncEventStatus then says RUNNING, FINISHED, ABORTED or FAILED
(SCF API 2018-04-16, "Invoke" and "GetAsyncEventStatus"). Invoke is never retried here: an answer
lost on the way back would leave a shard running twice, and a shard that was not dispatched is
reported and picked up by the next sweep.
"""

import json
import time
from typing import Callable, Optional

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.scf.v20180416 import models, scf_client

from ..settings import Credentials
from . import api3
from .errors import ApiError
from .pacing import Window

INVOKE = "scf:Invoke"
STATUS = "scf:GetAsyncEventStatus"
# ClientContext of an asynchronous invocation: at most 128 KB (Invoke's parameter documentation).
MAX_EVENT_BYTES = 128 * 1024
FINAL_STATES = ("FINISHED", "ABORTED", "FAILED")
# Published limits: GetAsyncEventStatus 20 a second (SCF API 583/65704); Invoke 20 a second in one
# version of its page (583/17243) and 100 in a later one: the lower holds under both.
INVOKE_RPS = STATUS_RPS = 20
KNOWN_STATES = ("RUNNING",) + FINAL_STATES


def _api_error(api: str, exc: Exception) -> ApiError:
    if isinstance(exc, TencentCloudSDKException):
        return ApiError(api=api, code=exc.get_code() or "", message=exc.get_message() or "",
                        request_id=exc.get_request_id() or "")
    return ApiError(api=api, code="MalformedResponse", message=f"{type(exc).__name__}: {exc}"[:300])


class FunctionInvoker:
    """One function (name, namespace, qualifier, region) invoked asynchronously with our own keys."""

    def __init__(self, credentials: Credentials, region: str, function: str, namespace: str = "default",
                 qualifier: str = "$DEFAULT", endpoint: str = "scf.tencentcloudapi.com", timeout: int = 10,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.function, self.namespace, self.qualifier = function, namespace, qualifier
        self._invokes = Window(INVOKE_RPS, clock, sleep, name=INVOKE)
        self._statuses = Window(STATUS_RPS, clock, sleep, name=STATUS)
        self._client = api3.client(scf_client.ScfClient, credentials.secret_id, credentials.secret_key,
                                   credentials.token, region, endpoint, timeout)

    def dispatch(self, event: dict) -> str:
        """Start the function on `event` without waiting; the invocation's request id. Raises ApiError."""
        payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        if len(payload.encode("utf-8")) > MAX_EVENT_BYTES:
            raise ApiError(api=INVOKE, code="EventTooLarge", message=f"the event is over {MAX_EVENT_BYTES} bytes")
        req = models.InvokeRequest()
        req.FunctionName = self.function
        req.Namespace = self.namespace
        req.Qualifier = self.qualifier
        req.InvocationType = "Event"
        req.ClientContext = payload
        try:
            with self._invokes.slot():
                resp = self._client.Invoke(req)
        except Exception as exc:
            raise _api_error(INVOKE, exc) from None
        request_id = getattr(resp.Result, "FunctionRequestId", None) if resp.Result is not None else None
        if not request_id:
            raise ApiError(api=INVOKE, code="MalformedResponse", message="Invoke answered without FunctionRequestId",
                           request_id=resp.RequestId or "")
        return request_id

    def status(self, invoke_request_id: str) -> str:
        """RUNNING, FINISHED, ABORTED or FAILED. Raises ApiError, also for a state it does not know."""
        req = models.GetAsyncEventStatusRequest()
        req.InvokeRequestId = invoke_request_id
        try:
            with self._statuses.slot():
                resp = self._client.GetAsyncEventStatus(req)
        except Exception as exc:
            raise _api_error(STATUS, exc) from None
        state: Optional[str] = getattr(resp.Result, "Status", None) if resp.Result is not None else None
        if state not in KNOWN_STATES:
            raise ApiError(api=STATUS, code="UnknownStatus", message=f"status {state!r}",
                           request_id=resp.RequestId or "")
        return state


class FunctionReader:
    """GetFunction and ListTriggers, for the operator's `doctor` (the function never reads itself)."""

    def __init__(self, credentials: Credentials, region: str, endpoint: str = "scf.tencentcloudapi.com",
                 timeout: int = 10):
        self._client = api3.client(scf_client.ScfClient, credentials.secret_id, credentials.secret_key,
                                   credentials.token, region, endpoint, timeout)

    def _call(self, action: str, params: dict) -> dict:
        req = getattr(models, f"{action}Request")()
        req.from_json_string(json.dumps(params))
        try:
            resp = getattr(self._client, action)(req)
        except Exception as exc:
            raise _api_error(f"scf:{action}", exc) from None
        return json.loads(resp.to_json_string())

    def function(self, name: str, namespace: str = "default") -> dict:
        """The function's configuration: Runtime, Handler, Timeout, MemorySize, Environment, Role ..."""
        return self._call("GetFunction", {"FunctionName": name, "Namespace": namespace})

    def triggers(self, name: str, namespace: str = "default") -> list:
        """Its triggers (TriggerInfo: Type, TriggerName, Enable, TriggerDesc ...), first 100."""
        answer = self._call("ListTriggers", {"FunctionName": name, "Namespace": namespace, "Limit": 100})
        return list(answer.get("Triggers") or [])
