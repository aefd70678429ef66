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

    A start is recorded when its caller is let go, not when it asked: a thread that wakes late
    does not leave room for a burst behind it. The window is measured as one second plus a guard,
    so the few milliseconds between being let go and the request reaching the wire (signing, the
    pool, the GIL) cannot push `rate + 1` requests into one second either.
    """

    GUARD = 0.05

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

    def _try(self, end: Optional[float]) -> float:
        """Take a start now (0.0), or say how long to wait; ApiError if the wait would reach `end`."""
        with self._lock:
            now = self._clock()
            if len(self._starts) == self.rate:
                wait = self._starts[0] + 1.0 + self.GUARD - now
                if wait > 0:
                    # Waiting for a slot never runs past the end of the time budget.
                    if end is not None and now + wait >= end:
                        raise ApiError(api=self.name, code="TimeBudgetExhausted", message=(
                            f"no request slot under {self.rate}/s before the time budget ends"))
                    return wait
            self._starts.append(now)
            return 0.0

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
                    self._starts.append(self._clock())
                return


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
