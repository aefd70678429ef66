"""The one shape in which every failed cloud call is reported."""

from dataclasses import dataclass, field
from typing import Optional


@dataclass(eq=False)
class ApiError(Exception):
    """A cloud call that did not give a usable answer.

    ``api`` names the call (e.g. ``GET /workflow``); ``http_status`` is None when no HTTP answer
    came (connection error, timeout); ``code``/``message``/``request_id`` are the service's own.
    """

    api: str
    http_status: Optional[int] = None
    code: str = ""
    message: str = ""
    request_id: str = ""
    retryable: bool = field(default=False, compare=False)

    def __post_init__(self):
        Exception.__init__(self, self.api, self.http_status, self.code)

    def __str__(self):
        status = self.http_status if self.http_status is not None else "no response"
        return f"{self.api} failed ({status} {self.code}): {self.message} [request id {self.request_id or '-'}]"

    def as_reason(self) -> dict:
        return {
            "code": "api_error",
            "api": self.api,
            "http_status": self.http_status,
            "service_code": self.code,
            "message": self.message,
            "request_id": self.request_id,
        }
