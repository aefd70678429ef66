"""What CI and COS calls share: SDK clients per region, error translation and read retries.

Both CI and COS are signed and sent by cos-python-sdk-v5. The SDK's own retry loop is switched off
(it sleeps 1+2+3 s on every 5xx and never retries 429); reads are retried here with tenacity, and
writes are never retried.
"""

import json
import logging
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import urlsplit

import requests
from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_auth import CosS3Auth
from qcloud_cos.cos_exception import CosClientError, CosServiceError
from qcloud_cos.xml2dict import Xml2Dict

from ..settings import Credentials
from . import pacing
from .errors import ApiError
from .http import session_from_environment

# Throttling answers: CI/COS 429 or SlowDown (COS sends it with 503), API 3.0 RequestLimitExceeded.
THROTTLED = ("SlowDown", "RequestLimitExceeded")

# The SDKs log request headers (the security token, the signature) at DEBUG and whole error bodies
# at ERROR; neither belongs in the function's log, which carries our own JSON lines.
for _name in ("qcloud_cos", "tencentcloud_sdk_common"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)
    logging.getLogger(_name).propagate = False


@dataclass(frozen=True)
class RetryPolicy:
    """Retries for reads: throttling, 5xx, dropped connections and garbled bodies."""

    attempts: int = 3
    initial_wait: float = 0.2
    max_wait: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def call(self, fn):
        # The first attempt is made here, outside tenacity: most calls succeed at once, and a
        # Retrying costs about 60 us a call to set up and drive (measured), a twentieth of the
        # product's CPU per request. A retryable failure hands over to tenacity, which is told of
        # that first attempt (it raises it again as its own first), so the attempts, the waits and
        # the stop at the time budget are tenacity's, as before.
        try:
            return fn()
        except ApiError as err:
            if not err.retryable or self.attempts <= 1:
                raise
            failed = [err]
        import tenacity  # cold start: loaded on the first retry, not by every container

        def again():
            if failed:
                raise failed.pop()
            return fn()

        retrying = tenacity.Retrying(
            # A retry is made only if it can start before the invocation's time budget ends.
            stop=_Stop(self.attempts),
            wait=tenacity.wait_exponential_jitter(initial=self.initial_wait, max=self.max_wait),
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, ApiError) and e.retryable),
            sleep=self.sleep,
            reraise=True,
        )
        return retrying(again)


NO_RETRY = RetryPolicy(attempts=1)
DEFAULT_RETRY = RetryPolicy()


class _Stop:
    """Stop after `attempts`, or when the next wait would end past the invocation's time budget.
    (tenacity takes any callable of the retry state as its `stop`.)"""

    def __init__(self, attempts: int):
        self._attempts = attempts

    def __call__(self, retry_state) -> bool:
        if retry_state.attempt_number >= self._attempts:
            return True
        return not pacing.retry_allowed(retry_state.upcoming_sleep)


def _retryable(status: Optional[int], code: str) -> bool:
    return status is None or status == 429 or status >= 500 or code in THROTTLED + ("MalformedResponse",)


def parse_error_body(body: str) -> dict[str, str]:
    """Code, Message and RequestId from a CI/COS XML (or JSON) error body; '' where absent.

    The SDK's own parser needs a <Resource> element that CI's errors do not have, and then says
    only 'Unknown', so the raw body is read here.
    """
    found = {"Code": "", "Message": "", "RequestId": ""}
    text = (body or "").strip()
    if not text:
        return found
    try:
        root = ET.fromstring(text)
        for name in found:
            node = root.find(name)
            if node is not None and node.text:
                found[name] = node.text.strip()
        return found
    except ET.ParseError:
        pass
    try:
        data = json.loads(text)
    except ValueError:
        return found
    if isinstance(data, dict):
        if isinstance(data.get("Error"), dict):
            data = data["Error"]
        for name in found:
            if isinstance(data.get(name), str):
                found[name] = data[name]
    return found


def translate(api: str, exc: Exception) -> ApiError:
    """Turn whatever the SDK raised into an ApiError that keeps the service's own words."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, CosServiceError):
        status = exc.get_status_code()
        origin = exc.get_origin_msg()
        parsed = parse_error_body(origin if isinstance(origin, str) else "")
        digest = exc.get_digest_msg()
        request_id = parsed["RequestId"]
        if not request_id and hasattr(digest, "get"):
            # An empty error body leaves only the response headers to go by.
            request_id = (digest.get("x-ci-request-id") or digest.get("x-cos-request-id")
                          or digest.get("requestid") or "")
        code = parsed["Code"] or (f"HTTP{status}" if status else "Unknown")
        return ApiError(
            api=api,
            http_status=status,
            code=code,
            message=parsed["Message"] or "the service gave no readable error body",
            request_id=request_id or "",
            retryable=_retryable(status, code),
        )
    if isinstance(exc.__context__, ApiError) and exc.__context__.code == "TimeBudgetExhausted":
        # Pacing refused a slot inside the SDK's send, which re-raised it as a client error.
        return ApiError(api=api, code="TimeBudgetExhausted", message=exc.__context__.message)
    if isinstance(exc, (CosClientError, requests.RequestException)):
        return ApiError(api=api, code="ConnectionError", message=str(exc)[:300], retryable=True)
    return ApiError(
        api=api,
        code="MalformedResponse",
        message=f"unreadable answer ({type(exc).__name__}: {str(exc)[:200]})",
        retryable=True,
    )


def read(api: str, trace: "Trace", retry: RetryPolicy, fn):
    """One read, retried as `retry` says, recorded in `trace` either way.

    `fn` returns (result, request_id, http_status); anything it raises becomes an ApiError.
    """

    def attempt():
        try:
            return fn()
        except Exception as exc:  # the SDKs raise a handful of types; all become ApiError
            raise translate(api, exc) from None

    try:
        result, request_id, status = retry.call(attempt)
    except ApiError as err:
        trace.add_error(err)
        raise
    trace.add(api, request_id, status)
    return result


def read_page(api: str, trace: "Trace", retry: RetryPolicy, fn) -> tuple:
    """`read`, also giving the page's HTTP status and request id (as ApiError keyword arguments), so
    a listing that breaks across pages can name the page that broke it."""
    meta = {}

    def call():
        result, request_id, status = fn()
        meta.update(http_status=status, request_id=request_id or "")
        return result, request_id, status

    result = read(api, trace, retry, call)
    return result, meta


def request_id_of(headers) -> str:
    return headers.get("x-ci-request-id") or headers.get("x-cos-request-id") or ""


def unexpected_status(api: str, resp) -> ApiError:
    """An answer the SDK let through as success (a 3xx) that is not one: keep what it says."""
    said = parse_error_body(resp.text)
    return ApiError(api=api, http_status=resp.status_code, code=said["Code"] or f"HTTP{resp.status_code}",
                    message=said["Message"] or "expected a 2xx answer",
                    request_id=request_id_of(resp.headers) or said["RequestId"])


def checked_url(client: CosS3Client, api: str, host: str, bucket: Optional[str], path: Optional[str],
                endpoint: Optional[str]) -> str:
    """The SDK's URL for the call, refused unless it names exactly the host built from valid parts."""
    url = client._conf.uri(bucket=bucket, path=path, endpoint=endpoint)
    parts = urlsplit(url)
    if parts.netloc != host or parts.path != (path or "/") or parts.query:
        raise ApiError(api=api, code="InvalidHost", message="refusing a request to an unexpected URL")
    return url


def get_document(client: CosS3Client, api: str, host: str, bucket: Optional[str], path: Optional[str],
                 params: dict, root: str, ci: bool = True):
    """A signed GET whose answer must be a 2xx XML document with the `root` element.

    Anything else (a redirect, an error document sent with 200, an HTML page, a list element under
    an unexpected root) raises ApiError rather than being read as an empty list.
    Returns (dict of the root's children, request id, HTTP status).
    """
    endpoint = client._conf._endpoint_ci if ci else None
    url = checked_url(client, api, host, bucket, path, endpoint)
    resp = client.send_request(method="GET", url=url, bucket=bucket,
                               auth=CosS3Auth(client._conf, path or "/", params=params),
                               params=params, headers={}, ci_request=ci)
    request_id = request_id_of(resp.headers)
    if not 200 <= resp.status_code < 300:
        raise unexpected_status(api, resp)
    try:
        tree = ET.fromstring(resp.content)
    except ET.ParseError:
        raise ApiError(api=api, http_status=resp.status_code, code="MalformedResponse",
                       message="the answer is not XML", request_id=request_id, retryable=True) from None
    if tree.tag != root:
        raise ApiError(api=api, http_status=resp.status_code, code="MalformedResponse",
                       message=f"expected a <{root}> document, got <{tree.tag}>", request_id=request_id)
    # The SDK's own converter, on the tree parsed above. The SDK's xml_to_dict parses the bytes
    # again, then turns the dict into text and back with eval() (to strip namespaces, which a root
    # that passed the check above cannot carry): a fifth of the product's CPU per call, measured.
    data = Xml2Dict(tree)
    if not isinstance(data, dict):
        data = {}
    if not request_id and isinstance(data.get("RequestId"), str):
        request_id = data["RequestId"]
    return data, request_id, resp.status_code


class Trace:
    """The calls made for one bucket: API, HTTP status and the service's request id."""

    def __init__(self):
        self._lock = threading.Lock()
        self.calls: list[dict] = []

    def add(self, api: str, request_id: str, http_status: Optional[int] = 200, shared: bool = False):
        call = {"api": api, "http_status": http_status, "request_id": request_id or ""}
        if shared:  # one call made for a group of buckets, listed with each of them
            call["shared"] = True
        with self._lock:
            self.calls.append(call)

    def add_error(self, err: ApiError):
        self.add(err.api, err.request_id, err.http_status)


class CosClients:
    """One SDK client per region over one shared, pooled HTTP session."""

    def __init__(self, credentials: Credentials, pool_size: int = 8, timeout: int = 10,
                 scheme: str = "https"):
        self._credentials = credentials
        self._timeout = timeout
        self._scheme = scheme
        self._lock = threading.Lock()
        self._clients: dict[str, CosS3Client] = {}
        self.session = session_from_environment(pool_size, pacing.PacedSession)

    def for_region(self, region: str) -> CosS3Client:
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                conf = CosConfig(
                    Region=region,
                    SecretId=self._credentials.secret_id,
                    SecretKey=self._credentials.secret_key,
                    Token=self._credentials.token,
                    Scheme=self._scheme,
                    Timeout=self._timeout,
                )
                client = CosS3Client(conf, retry=0, session=self.session)
                self._clients[region] = client
            return client
