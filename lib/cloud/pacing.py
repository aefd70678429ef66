"""Request pacing for one invocation: a shared rate for CI and COS, another for the Tag API, and the
end of the time budget that retries must respect.

`GetResources` allows 20 requests per second (Tag API reference, GetResources: "默认接口请求频率限制：
20次/秒"). CI publishes no per-API limits, so CI and COS requests together are held to
`CI_UNBIND_MAX_RPS` (default 50) for the whole invocation, shared by the worker pool.

SCF runs one invocation at a time in an instance, so the invocation's pacing is module state: every
client (cached while the instance is warm, and shared by the invocations it serves) reads it at
send time without being rebuilt. That is the one-invocation-per-instance assumption: where several
runs share one process (tests, benchmarks), each run's pacing is in force from its start to its end
and the latest started one paces them all; a run that ends takes only its own away. Outside an
invocation (a client used directly, as in the clients' own tests) nothing is paced.
"""

import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Optional

import requests

from .errors import ApiError

TAG_RPS = 20


class Window:
    """At most `rate` requests in any one-second window, wherever in its flight a request is seen.

    A request holds its place from the moment it is let go until a second after its answer: a new
    one goes only while fewer than `rate` are in flight or answered within the last second. Then
    however late a request reaches the wire (a stalled thread, a slow signature), no second sees
    more than `rate` of them: a bound on the starts alone would not hold once sends jitter.
    """

    POLL = 0.01  # the longest wait, in real time, for a request in flight to end before looking again

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, name: str = "requests"):
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._in_flight = 0
        self._done: deque = deque()  # answer times within the last second
        self._cond = threading.Condition()
        self._waiting = 0  # threads waiting on _cond for a request in flight to end

    def _try(self, end: Optional[float]) -> float:
        """Take a place now (0.0), or say how long to sleep; ApiError if the wait would reach `end`."""
        with self._cond:
            while True:
                now = self._clock()
                while self._done and self._done[0] <= now - 1.0:
                    self._done.popleft()
                if self._in_flight + len(self._done) < self.rate:
                    self._in_flight += 1
                    return 0.0
                wait = self._done[0] + 1.0 - now if self._done else self.POLL
                # Waiting for a place never runs past the end of the time budget.
                if end is not None and now + wait >= end:
                    raise ApiError(api=self.name, code="TimeBudgetExhausted",
                                   message=f"no request slot under {self.rate}/s before the time budget ends")
                if self._done:
                    # At least a microsecond: float rounding can leave a wait of ~1e-16, which a
                    # clock cannot show passing.
                    return max(wait, 1e-6)
                # Every place is held by a request still in flight: its answer frees it, so wait
                # for that (a release notifies) rather than for a time.
                self._waiting += 1
                try:
                    self._cond.wait(self.POLL)
                finally:
                    self._waiting -= 1

    def acquire(self, end: Optional[float] = None) -> None:
        while True:
            wait = self._try(end)
            if wait <= 0:
                return
            self._sleep(wait)

    def release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._done.append(self._clock())
            if self._waiting:  # a notify with no one waiting still costs a lock round per request
                self._cond.notify_all()

    @contextmanager
    def slot(self, end: Optional[float] = None):
        self.acquire(end)
        try:
            yield
        finally:
            self.release()


class Pacing:
    """One invocation's limits: CI+COS window, Tag window, and the time after which nothing retries."""

    def __init__(self, max_rps: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, hard_end: Optional[float] = None):
        self.clock = clock
        self.hard_end = hard_end
        self.cos = Window(max_rps, clock, sleep, name="ci/cos requests")
        self.tag = Window(TAG_RPS, clock, sleep, name="tag:GetResources")

    def time_left(self) -> Optional[float]:
        return None if self.hard_end is None else self.hard_end - self.clock()


_active: list = []  # the pacings of the runs under way in this process, latest last
_active_lock = threading.Lock()


def begin(pacing: Pacing) -> None:
    """Make `pacing` the invocation's, until `end(pacing)`."""
    with _active_lock:
        _active.append(pacing)


def end(pacing: Optional[Pacing]) -> None:
    """The invocation that began `pacing` is over: only its own pacing goes (None: nothing to end)."""
    with _active_lock:
        if pacing in _active:
            _active.remove(pacing)


def current() -> Optional[Pacing]:
    active = _active
    return active[-1] if active else None


@contextmanager
def _slot(window: str):
    pacing = current()
    if pacing is None:  # outside an invocation nothing is paced
        yield
        return
    with getattr(pacing, window).slot(pacing.hard_end):
        yield


def cos_slot():
    """A place under CI_UNBIND_MAX_RPS for one CI or COS request."""
    return _slot("cos")


def tag_slot():
    """A place under the Tag API's 20 requests a second."""
    return _slot("tag")


def retry_allowed(wait: float) -> bool:
    """Whether a retry after `wait` seconds still starts before the time budget ends."""
    pacing = current()
    left = pacing.time_left() if pacing is not None else None
    return left is None or wait < left


class PacedSession(requests.Session):
    """The HTTP session under every CI and COS client: each request, retries included, takes a slot."""

    def send(self, request, **kwargs):
        with cos_slot():
            return super().send(request, **kwargs)
