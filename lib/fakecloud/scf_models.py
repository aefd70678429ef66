"""SCF state: deployed functions and their asynchronous invocations.

An Event invocation is queued and run on a bounded pool of workers (the account's concurrency
quota), each with its own context (request id, time limit, function name, namespace, region) as
SCF gives one. The fake cannot stop a thread at the time limit; a run that outlasts it is marked
FAILED, as SCF reports a timed-out invocation.
"""

import itertools
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable, Optional

from .wire import ServiceError

MAX_EVENT_BYTES = 128 * 1024


@dataclass
class Function:
    name: str
    namespace: str
    handler: Callable
    account: object
    time_limit: float = 900.0
    region: str = "ap-guangzhou"
    # What GetFunction shows of its configuration (the handler above is what runs).
    runtime: str = "Python3.9"
    entry: str = "handler.main_handler"
    memory: int = 256
    environment: dict = field(default_factory=dict)
    role: str = ""
    triggers: list = field(default_factory=list)  # TriggerInfo dicts, as ListTriggers answers them


def timer_trigger(name: str, cron: str, enable: bool = True) -> dict:
    """A timer trigger as ListTriggers shows one (TriggerDesc is a JSON string holding the cron)."""
    import json

    return {"TriggerName": name, "Type": "timer", "Enable": 1 if enable else 0, "Qualifier": "$DEFAULT",
            "TriggerDesc": json.dumps({"cron": cron}), "AvailableStatus": "Available",
            "AddTime": "2026-01-01 00:00:00", "ModTime": "2026-01-01 00:00:00"}


@dataclass
class Invocation:
    request_id: str
    function: Function
    event: dict
    status: str = "RUNNING"
    result: object = None
    error: Optional[str] = None
    started: Optional[float] = None
    ended: Optional[float] = None
    context: dict = field(default_factory=dict)


class Scf:
    def __init__(self, concurrency: int = 32, clock: Callable[[], float] = time.monotonic):
        self.concurrency = concurrency
        self._clock = clock
        self._lock = threading.Lock()
        self._pool: Optional[ThreadPoolExecutor] = None
        self._futures = []
        self._ids = itertools.count(1)
        self.functions: dict[tuple[str, str], Function] = {}
        self.invocations: dict[str, Invocation] = {}
        self.peak_running = 0
        self._running = 0
        # Cleared by hold(): invocations are accepted and queued but none starts until release().
        self._go = threading.Event()
        self._go.set()

    def hold(self) -> None:
        self._go.clear()

    def release(self) -> None:
        self._go.set()

    def deploy(self, name: str, handler: Callable, account, namespace: str = "default",
               time_limit: float = 900.0, region: str = "ap-guangzhou") -> Function:
        fn = Function(name, namespace, handler, account, time_limit, region)
        self.functions[(namespace, name)] = fn
        return fn

    def function(self, caller, namespace: str, name: str) -> Function:
        fn = self.functions.get((namespace or "default", name))
        if fn is None or fn.account is not caller:
            raise ServiceError(200, "ResourceNotFound.Function", f"function {name} does not exist")
        return fn

    def invoke_event(self, caller, namespace: str, name: str, qualifier: str, event: dict, size: int) -> str:
        fn = self.functions.get((namespace or "default", name))
        if fn is None or fn.account is not caller:
            raise ServiceError(200, "ResourceNotFound.Function", f"function {name} does not exist")
        if size > MAX_EVENT_BYTES:
            raise ServiceError(200, "InvalidParameterValue.ClientContext", "ClientContext is over 128 KB")
        with self._lock:
            request_id = f"fakeinv{next(self._ids):08d}"
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="fake-scf")
            context = {"request_id": request_id, "time_limit_in_ms": int(fn.time_limit * 1000),
                       "function_name": fn.name, "namespace": fn.namespace, "function_version": qualifier,
                       "tencentcloud_region": fn.region, "tencentcloud_uin": caller.uin,
                       "tencentcloud_appid": caller.appid, "memory_limit_in_mb": 256}
            inv = Invocation(request_id, fn, event, context=context)
            self.invocations[request_id] = inv
            self._futures.append(self._pool.submit(self._run, inv))
        return request_id

    def _run(self, inv: Invocation) -> None:
        self._go.wait()
        with self._lock:
            self._running += 1
            self.peak_running = max(self.peak_running, self._running)
        inv.started = self._clock()
        try:
            inv.result = inv.function.handler(inv.event, dict(inv.context))
            status = "FINISHED"
        except Exception:
            inv.error = traceback.format_exc(limit=3)
            status = "FAILED"
        inv.ended = self._clock()
        if inv.ended - inv.started > inv.function.time_limit:
            inv.error, status = "timed out", "FAILED"
        with self._lock:
            self._running -= 1
        inv.status = status

    def status(self, caller, request_id: str) -> Invocation:
        inv = self.invocations.get(request_id or "")
        if inv is None or inv.function.account is not caller:
            raise ServiceError(200, "ResourceNotFound.AsyncEvent", "no such asynchronous event")
        return inv

    def drain(self, timeout: Optional[float] = None) -> None:
        """Wait for every invocation started so far (and those they start) to end."""
        while True:
            with self._lock:
                futures = [f for f in self._futures if not f.done()]
            if not futures:
                return
            wait(futures, timeout=timeout)

    def shutdown(self) -> None:
        self.release()
        self.drain()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
