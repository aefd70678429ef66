"""Request pacing for one invocation: a shared rate for CI and COS, another for the Tag API, and the
end of the time budget that retries must respect.

`GetResources` allows 20 requests per second (Tag API reference, GetResources: "默认接口请求频率限制：
20次/秒"). CI publishes no per-API limits, so CI and COS requests together are held to
`CI_UNBIND_MAX_RPS` (default 50) for the whole invocation, shared by the worker pool.

SCF runs one invocation at a time in an instance, so the invocation's pacing is module state: every
client (cached while the instance is warm) reads it at send time without being rebuilt. Outside an
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

    POLL = 0.01  # how long to wait when every place is held by a request still in flight

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
        self._lock = threading.Lock()

    def _try(self, end: Optional[float]) -> float:
        """Take a place now (0.0), or say how long to wait; ApiError if the wait would reach `end`."""
        with self._lock:
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
            # At least a microsecond: float rounding can leave a wait of ~1e-16, which a clock
            # cannot show passing.
            return max(wait, 1e-6)

    def acquire(self, end: Optional[float] = None) -> None:
        while True:
            wait = self._try(end)
            if wait <= 0:
                return
            before = self._clock()
            self._sleep(wait)
            if self._clock() - before < wait / 2:
                # A sleep that lets no time pass (a test's stand-in): waiting again would only spin.
                with self._lock:
                    self._in_flight += 1
                return

    def release(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._done.append(self._clock())

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


_current: Optional[Pacing] = None
_current_lock = threading.Lock()


def begin(pacing: Optional[Pacing]) -> None:
    """Make `pacing` the invocation's (None: no pacing)."""
    global _current
    with _current_lock:
        _current = pacing


def current() -> Optional[Pacing]:
    return _current


@contextmanager
def cos_slot():
    """A place under CI_UNBIND_MAX_RPS for one CI or COS request (nothing outside an invocation)."""
    current = _current
    if current is None:
        yield
        return
    with current.cos.slot(current.hard_end):
        yield


@contextmanager
def tag_slot():
    """A place under the Tag API's 20 requests a second."""
    current = _current
    if current is None:
        yield
        return
    with current.tag.slot(current.hard_end):
        yield


def retry_allowed(wait: float) -> bool:
    """Whether a retry after `wait` seconds still starts before the time budget ends."""
    pacing = _current
    left = pacing.time_left() if pacing is not None else None
    return left is None or wait < left


class PacedSession(requests.Session):
    """The HTTP session under every CI and COS client: each request, retries included, takes a slot."""

    def send(self, request, **kwargs):
        with cos_slot():
            return super().send(request, **kwargs)
