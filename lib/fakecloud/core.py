"""FakeCloud: intercepts every HTTP(S) request made through `requests` and answers it from the models."""

import itertools
import re
import time
from typing import Callable, Optional

import requests
import responses

from . import auth, exchange, robot_handlers, urls
from .calllog import Call, CallLog
from .cam_models import Cam
from .eb_models import EventBridge
from .faults import Fault, FaultSet
from .models import Account, Bucket, OtherResource
from .object_models import ObjectStore
from .robot_models import Robot, Robots
from .wire import (
    XML,
    Reply,
    Request,
    ServiceError,
    xml_error_body,
)

_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS")
_ANY_URL = re.compile(r".*")


class UnknownRequest(Exception):
    """A request that no route of the fake serves: the code under test called something unexpected."""


class PlainHttpRefused(requests.exceptions.ConnectionError):
    """A request sent over http rather than https: to the caller, a connection the fake would not take."""


class FakeCloud:
    """In-memory Cloud Infinite, COS bucket tagging and Tag API, served over intercepted HTTP.

    Use as a context manager (or start()/stop()). In strict mode a request no route matches
    raises UnknownRequest inside the HTTP call, and again when the context exits.
    """

    def __init__(self, appid: str = "1250000000", secret_id: str = "AKIDFAKEEXAMPLE",
                 secret_key: str = "fake-secret-key", token: Optional[str] = None, strict: bool = True,
                 unbind_settle_reads: int = 1, clock: Optional[Callable[[], float]] = None,
                 refusal_status: int = 400, refusal_code: str = "PlaceholderUnbindRefused",
                 next_token_end: str = "empty", ci_errors_with_resource: bool = False,
                 status_format: str = "accept", honour_states_filter: bool = True,
                 honour_bucket_names: bool = True, sleep: Optional[Callable[[float], None]] = None,
                 call_log: Optional[CallLog] = None, uin: str = "100000000001", scf_concurrency: int = 32):
        if next_token_end not in ("empty", "absent"):
            raise ValueError("next_token_end must be 'empty' or 'absent'")
        if status_format not in ("accept", "json", "xml"):
            raise ValueError("status_format must be 'accept', 'json' or 'xml'")
        self.status_format = status_format
        self.honour_states_filter = honour_states_filter
        self.honour_bucket_names = honour_bucket_names
        # Latency faults wait with this; a test can pass its own and see the wait without waiting.
        self.sleep = sleep or time.sleep
        self.account = Account(appid, clock=clock, unbind_settle_reads=unbind_settle_reads, uin=uin)
        self.eb = EventBridge(self.account.lock, self.account.now)
        auth.attach(self, secret_id, secret_key, token, scf_concurrency)  # keys, member accounts, STS, SCF
        self.objects = ObjectStore(self.account.lock, self.account.now)
        self.cam = Cam(appid, self.account.lock, self.account.now)
        self.account.cam = self.cam
        self.robots = Robots(self.account.lock, self.account.now)
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.token = token
        self.strict = strict
        self.refusal_status = refusal_status
        self.refusal_code = refusal_code
        self.next_token_end = next_token_end
        # CI's documented error body has no <Resource>; flip this to serve the SDK-friendly variant.
        self.ci_errors_with_resource = ci_errors_with_resource
        self.faults = FaultSet()
        # CallLog.counting() keeps counters only: what a large benchmark sweep can afford.
        self.log = call_log if call_log is not None else CallLog()
        self.unknown_requests: list[str] = []
        # (service, region) pairs CI does not offer: that service's list errs there (withdraw_service).
        self.services_not_offered: set[tuple[str, str]] = set()
        self._ids = itertools.count(1)
        self._after: list = []  # [endpoint, bucket, times left, action]: see after()
        self._mock: Optional[responses.RequestsMock] = None
        self._unknown_mark = 0

    # --- configuration passthroughs ------------------------------------------------------

    @property
    def appid(self) -> str:
        return self.account.appid

    @property
    def lock(self):
        return self.account.lock

    @property
    def unbind_settle_reads(self) -> int:
        return self.account.unbind_settle_reads

    @unbind_settle_reads.setter
    def unbind_settle_reads(self, value: int) -> None:
        self.account.unbind_settle_reads = value

    def now(self) -> float:
        return self.account.now()

    # --- state ---------------------------------------------------------------------------

    def add_bucket(self, name: str, region: str, tags: Optional[dict[str, str]] = None,
                   ci_status: str = "on", create_time: Optional[float] = None,
                   tag_resource_form: Optional[int] = None) -> Bucket:
        return self.account.add_bucket(name, region, tags=tags, ci_status=ci_status,
                                       create_time=create_time, tag_resource_form=tag_resource_form)

    def add_robot(self, kind: str, key: Optional[str] = None, secret: Optional[str] = None) -> Robot:
        """A chat robot's webhook (wecom, dingtalk, feishu, slack or json); its `.url` is where to send."""
        return self.robots.add(kind, key, secret)

    def withdraw_service(self, service: str, region: str) -> None:
        """A processing service CI does not offer in `region`: its account-level list errs there."""
        self.services_not_offered.add((service, region))

    def add_other_resource(self, resource: str, tags: dict[str, str]) -> OtherResource:
        return self.account.add_other_resource(resource, tags)

    def bucket(self, name: str) -> Bucket:
        bucket = self.account.bucket(name)
        if bucket is None:
            raise KeyError(f"no bucket {name!r} in the fake cloud")
        return bucket

    @property
    def buckets(self) -> list[Bucket]:
        return self.account.sorted_buckets()

    # Other accounts of the organisation, each with its own buckets, tags, CI state and keys.
    add_account = auth.add_account
    owner_of = auth.owner_of

    # --- faults and the call log ---------------------------------------------------------

    def inject(self, target: str, *, status: Optional[int] = None, code: Optional[str] = None,
               message: Optional[str] = None, body: Optional[str] = None, latency: Optional[float] = None,
               connection_error: bool = False, times: Optional[int] = None, bucket: Optional[str] = None,
               with_resource: Optional[bool] = None, after: int = 0, timeout: bool = False,
               lost_answer: bool = False) -> Fault:
        """Make calls to `target` (an endpoint name) misbehave; times=None means every call.

        after=N lets the first N matching calls through before the fault starts.
        """
        return self.faults.add(Fault(target, status=status, code=code, message=message, body=body,
                                     latency=latency, connection_error=connection_error, times=times,
                                     bucket=bucket, with_resource=with_resource, after=after,
                                     timeout=timeout, lost_answer=lost_answer))

    def after(self, endpoint: str, action: Callable[["FakeCloud"], None], bucket: Optional[str] = None,
              times: int = 1) -> None:
        """Run `action(cloud)` once each of the next `times` served calls to `endpoint` has taken
        effect: someone else acting between two of the client's calls (another writer of the tags)."""
        with self.account.lock:
            self._after.append([endpoint, bucket, times, action])

    def _run_after(self, req: Request) -> None:
        with self.account.lock:
            due = [hook for hook in self._after if hook[0] == req.endpoint and hook[1] in (None, req.bucket)]
            for hook in due:
                hook[2] -= 1
            self._after = [hook for hook in self._after if hook[2] > 0]
        for hook in due:
            hook[3](self)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def calls(self) -> list[Call]:
        return self.log.all()

    def count(self, endpoint: Optional[str] = None, bucket: Optional[str] = None,
              service: Optional[str] = None, status: Optional[int] = None) -> int:
        return len(self.log.filter(endpoint=endpoint, bucket=bucket, service=service, status=status))

    def counts_by_endpoint(self) -> dict[str, int]:
        return self.log.counts_by_endpoint()

    def actions_seen(self):
        return self.log.actions_seen()

    def clear_calls(self) -> None:
        self.log.clear()

    # --- interception --------------------------------------------------------------------

    def start(self) -> "FakeCloud":
        if self._mock is not None:
            raise RuntimeError("FakeCloud is already started")
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in _METHODS:
            mock.add_callback(method, _ANY_URL, callback=self._on_request, content_type=None)
        mock.start()
        self._mock = mock
        self._unknown_mark = len(self.unknown_requests)
        return self

    def stop(self) -> None:
        # Invocations still running would otherwise reach the real network once interception ends.
        self.scf.shutdown()
        if self._mock is not None:
            self._mock.stop()
            self._mock.reset()
            self._mock = None

    def __enter__(self) -> "FakeCloud":
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        # Only this context's misses: a reused cloud must not fail again for an earlier one.
        unknown = self.unknown_requests[self._unknown_mark:]
        if self.strict and unknown and not (exc_type and issubclass(exc_type, UnknownRequest)):
            raise UnknownRequest("requests no route of the fake serves: " + "; ".join(unknown))
        return False

    # --- one request ---------------------------------------------------------------------

    def _on_request(self, prepared):
        return self.dispatch(prepared)

    def dispatch(self, prepared):
        """(status, headers, body) for one prepared request: the one path every transport takes."""
        req = exchange.parse(prepared)
        if not req.url.lower().startswith("https://"):
            # Everything the product sends carries keys or signatures: over plain http the fake
            # refuses it, as a test should, whether or not the real endpoint would answer.
            with self.account.lock:  # and a strict cloud fails the test at exit, as for an unknown route
                self.unknown_requests.append(f"plain http {req.method} {req.url.split('?')[0]}")
            raise PlainHttpRefused(f"the fake cloud refuses plain http: {req.method} {req.url.split('?')[0]}")
        found = urls.match(req)
        if found is None:
            return self._unknown(req)
        route, kind, groups = found
        req.service = urls.HOST_SERVICE[kind]
        req.endpoint, req.action = route.endpoint, route.action
        req.bucket, req.region = groups.get("bucket"), groups.get("region")
        if req.service in urls.API3_SERVICES:
            req.region = req.headers.get("x-tc-region") or req.region
        req.request_id = f"fakereq{next(self._ids):08d}"

        fault = self.faults.take(route.endpoint, req.bucket)
        if fault is not None and fault.latency:
            self.sleep(fault.latency)  # outside every lock, so other threads carry on meanwhile
        if fault is not None and fault.lost_answer:
            self._serve(req, route)
            self._log(req, None, fault)
            raise requests.exceptions.ConnectionError(f"fake connection lost after {route.endpoint} took effect")
        if fault is not None and fault.connection_error:
            self._log(req, None, fault)
            raise requests.exceptions.ConnectionError(
                robot_handlers.connection_error_text(req) if req.service == "robot"
                else f"fake connection error on {route.endpoint}")
        if fault is not None and fault.timeout:
            self._log(req, None, fault)
            raise requests.exceptions.ReadTimeout(f"fake read timeout on {route.endpoint}")

        if fault is not None and fault.is_error:
            status, code, message = fault.resolved(req.service)
            reply = self._error(req, status, code, message, fault.with_resource)
            if fault.body:
                exchange.spoil(reply, fault.body, req)
        else:
            reply = self._serve(req, route)
            if self._after and reply.status < 300:
                self._run_after(req)
            if fault is not None and fault.body:
                exchange.spoil(reply, fault.body, req)
        self._log(req, reply.status, fault)
        return reply.status, exchange.headers(req, reply), reply.body

    def _serve(self, req: Request, route) -> Reply:
        try:
            return auth.serve(self, req, route)
        except ServiceError as e:
            return self._error(req, e.status, e.code, e.message, e.with_resource)

    def _error(self, req: Request, status: int, code: str, message: str,
               with_resource: Optional[bool] = None) -> Reply:
        return exchange.error_reply(req, status, code, message, with_resource, self.ci_errors_with_resource)

    def _log(self, req: Request, status: Optional[int], fault: Optional[Fault]) -> None:
        if not self.log.keep_calls:
            self.log.tally(req.endpoint, req.action, req.bucket, req.path)
            return
        self.log.add(Call(
            service=req.service, endpoint=req.endpoint, action=req.action, method=req.method,
            host=req.host, path=req.path, query=dict(req.query), bucket=req.bucket, region=req.region,
            status=status, request_id=req.request_id, fault=fault.describe() if fault is not None else None,
        ))

    def _unknown(self, req: Request):
        desc = f"{req.method} {req.url}"
        with self.account.lock:
            self.unknown_requests.append(desc)
        if self.strict:
            raise UnknownRequest(f"no route of the fake serves {desc}")
        req.request_id = f"fakereq{next(self._ids):08d}"
        found = urls.match_host(req.host)
        req.service = urls.HOST_SERVICE[found[0]] if found else None
        body = xml_error_body("InvalidUrl", f"No such API: {req.method} {req.path}", req.request_id,
                              f"faketrace{req.request_id[len('fakereq'):]}", None)
        reply = Reply(404, body, XML)
        return reply.status, exchange.headers(req, reply), reply.body
