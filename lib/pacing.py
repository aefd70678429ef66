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
from typing import Callable, Optional

import requests

from .errors import ApiError

TAG_RPS = 20


class Window:
    """At most `rate` request starts in any one-second window.

    Each caller reserves the earliest start that keeps the last `rate` starts at least a second
    apart from the next, then waits for it outside the lock; reservations are handed out in order,
    so the pool shares the rate fairly and the bound holds for every window, not just on average.
    """

    def __init__(self, rate: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, name: str = "requests"):
        if rate < 1:
            raise ValueError("rate must be at least 1")
        self.rate = rate
        self.name = name
        self._clock = clock
        self._sleep = sleep
        self._starts: deque = deque(maxlen=rate)
        self._lock = threading.Lock()

    def reserve(self, end: Optional[float] = None) -> float:
        """Reserve the next start and return it; ApiError if waiting for it would reach `end`."""
        with self._lock:
            now = self._clock()
            at = now
            if len(self._starts) == self.rate:
                at = max(now, self._starts[0] + 1.0)
            # Waiting for a slot never runs past the end of the time budget.
            if end is not None and at > now and at >= end:
                raise ApiError(api=self.name, code="TimeBudgetExhausted",
                               message=f"no request slot under {self.rate}/s before the time budget ends")
            self._starts.append(at)
            return at

    def acquire(self, end: Optional[float] = None) -> None:
        at = self.reserve(end)
        wait = at - self._clock()
        if wait > 0:
            self._sleep(wait)


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


def pace_cos() -> None:
    pacing = _current
    if pacing is not None:
        pacing.cos.acquire(pacing.hard_end)


def pace_tag() -> None:
    pacing = _current
    if pacing is not None:
        pacing.tag.acquire(pacing.hard_end)


def retry_allowed(wait: float) -> bool:
    """Whether a retry after `wait` seconds still starts before the time budget ends."""
    pacing = _current
    left = pacing.time_left() if pacing is not None else None
    return left is None or wait < left


class PacedSession(requests.Session):
    """The HTTP session under every CI and COS client: each request, retries included, takes a slot."""

    def send(self, request, **kwargs):
        pace_cos()
        return super().send(request, **kwargs)
