"""Injected faults: error answers, latency, broken bodies and dropped connections."""

import threading
from typing import Optional

from .urls import API3_SERVICES, ENDPOINTS

# malformed/truncated/empty: broken bytes. html: a gateway's page. error_document: an <Error> sent
# with a success status. unexpected_document: well-formed <Response> with none of the expected
# elements, as a renamed or new list element would look to a client that expects the old one.
# short_page: a page holding less than it claims (short_page.py).
BODY_KINDS = ("malformed", "truncated", "empty", "html", "error_document", "unexpected_document", "short_page")

# Status for a fault given only a code, and code for one given only a status.
_CODE_STATUS = {
    "InvalidArgument": 400, "AccessDenied": 403, "NoSuchBucket": 404, "SlowDown": 429,
    "InternalError": 500, "InternalErrror": 500, "NotImplemented": 501, "ServiceUnavailable": 503,
    "SignatureDoesNotMatch": 403, "InvalidAccessKeyId": 403, "RequestTimeTooSkewed": 403,
}
_STATUS_CODE = {400: "InvalidArgument", 401: "AccessDenied", 403: "AccessDenied", 404: "NoSuchBucket",
                429: "SlowDown", 500: "InternalError", 501: "NotImplemented", 503: "ServiceUnavailable"}
_TAG_STATUS_CODE = {429: "RequestLimitExceeded", 500: "InternalError", 503: "InternalError"}


class Fault:
    """One rule: which calls it hits (endpoint, optional bucket), what it does, how many times.

    `after` lets that many matching calls through untouched first (e.g. fail only on a later page);
    `times` then counts the calls it does hit.

    An error answer (status >= 400, or a code) replaces the call: the model is not touched. A
    body fault with a success status lets the call take effect and then spoils its answer, as a
    connection cut mid-response would.
    """

    def __init__(self, target: str, status: Optional[int] = None, code: Optional[str] = None,
                 message: Optional[str] = None, body: Optional[str] = None, latency: Optional[float] = None,
                 connection_error: bool = False, times: Optional[int] = None, bucket: Optional[str] = None,
                 with_resource: Optional[bool] = None, after: int = 0, timeout: bool = False,
                 lost_answer: bool = False):
        if target not in ENDPOINTS:
            raise ValueError(f"unknown fault target {target!r}; expected one of {', '.join(ENDPOINTS)}")
        if body is not None and body not in BODY_KINDS:
            raise ValueError(f"body must be one of {BODY_KINDS}, got {body!r}")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError("times must be None (always) or a positive int")
        if not isinstance(after, int) or after < 0:
            raise ValueError("after must be a non-negative int")
        if latency is not None and latency < 0:
            raise ValueError("latency must not be negative")
        if not (status or code or body or latency or connection_error or timeout or lost_answer):
            raise ValueError("a fault needs a status, code, body, latency, connection_error, timeout or "
                             "lost_answer")
        if lost_answer and (status or code or body or connection_error or timeout):
            raise ValueError("lost_answer serves the call and drops its answer: no status, code or body with it")
        self.target = target
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.latency = latency
        self.connection_error = connection_error
        self.timeout = timeout  # the answer never comes: the client's read timeout fires
        # The call takes effect, then the connection drops before the answer: the client cannot
        # know it happened (a create that succeeded, then retried).
        self.lost_answer = lost_answer
        self.times = times
        self.remaining = times
        self.bucket = bucket
        self.with_resource = with_resource
        self.after = after
        self._pass_left = after
        self.hits = 0

    @property
    def is_error(self) -> bool:
        return bool(self.code) or (self.status is not None and self.status >= 400)

    def resolved(self, service: str):
        """(status, code, message) of the error answer this fault gives on a service."""
        code = self.code
        status = self.status
        if service in API3_SERVICES:
            # API 3.0 errors travel as HTTP 200 with an Error object unless a status is forced.
            code = code or _TAG_STATUS_CODE.get(status, "InternalError")
            status = status or 200
        else:
            if status is None:
                status = 503 if (code == "SlowDown" and service == "cos") else _CODE_STATUS.get(code, 400)
            code = code or _STATUS_CODE.get(status, "InternalError")
        return status, code, self.message or "injected fault"

    def describe(self) -> str:
        bits = []
        if self.connection_error:
            bits.append("connection_error")
        if self.timeout:
            bits.append("timeout")
        if self.lost_answer:
            bits.append("lost_answer")
        if self.is_error:
            bits.append(f"error {self.status or ''} {self.code or ''}".replace("  ", " ").strip())
        if self.body:
            bits.append(f"body {self.body}")
        if self.latency:
            bits.append(f"latency {self.latency}")
        return ", ".join(bits)

    def __repr__(self):
        return f"Fault({self.target!r}, {self.describe()}, remaining={self.remaining})"


class FaultSet:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self):
        with self._lock:
            return len(self._faults)

    def take(self, endpoint: str, bucket: Optional[str]) -> Optional[Fault]:
        """The first live fault for this call, with one use consumed."""
        with self._lock:
            for fault in self._faults:
                if fault.target != endpoint or (fault.bucket is not None and fault.bucket != bucket):
                    continue
                if fault._pass_left > 0:
                    fault._pass_left -= 1
                    continue
                fault.hits += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None
