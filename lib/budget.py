"""An invocation's limits: its time (from the SCF context) and the per-run cap on unbinds, shared
by the workers (`Budget`)."""

import threading
from typing import Callable, Optional

from .decide import CAP, DEADLINE, GRANTED


def context_value(context, key):
    """A field of the SCF context, whether it comes as a dict or as an object."""
    if isinstance(context, dict):
        return context.get(key)
    return getattr(context, key, None)


def simulated(context) -> bool:
    """Whether the operator's command runs this invocation on its fake cloud (`--simulate`): SCF
    never sets the key. It changes words only (a report says "simulated", never "live"), no decision."""
    return context_value(context, "simulated") is True


def time_limit(context) -> Optional[float]:
    """The function's time limit in seconds, from the SCF context; None when it does not say."""
    try:
        limit = float(context_value(context, "time_limit_in_ms")) / 1000.0
    except (TypeError, ValueError):
        return None
    return limit if limit > 0 else None


def margin_for(limit: float) -> float:
    """Time kept back after the last bucket starts: an unbind begun by then is sent (10 s timeout)
    and verified (three reads of at most 10 s, 1.5 s of pauses) before SCF ends the function."""
    return min(max(limit * 0.1, 5.0), 60.0)


class Budget:
    """The per-run cap and the time budget, shared by the workers.

    A slot granted under the cap stays pending until its bucket's outcome is known: an unbind that
    is refused gives its slot back, and a bucket that finds the cap full while slots are pending
    waits for them rather than being deferred, so the cap counts real unbinds, exactly.
    """

    def __init__(self, cap: int, clock: Callable[[], float], start: float, limit: Optional[float],
                 reserve: float = 0.0):
        self._cap = cap
        self._clock = clock
        self._deadline = None if limit is None else start + max(limit - margin_for(limit), 0.0)
        # Time kept for what follows the last bucket (the state's writes, the digest), and grown
        # by each decided bucket that will cost a write: the buckets decided are counted against
        # what is left, so the end of the run always fits.
        self._reserve = reserve
        # After this nothing more is asked, not even the reads that confirm an unbind.
        self._hard_end = None if limit is None else start + max(limit - 1.0, 0.0)
        self._used = 0
        self._pending = 0
        self._cond = threading.Condition()

    def past_deadline(self) -> bool:
        return self._deadline is not None and self._clock() >= self._deadline - self._reserve

    def keep_time(self, seconds: float) -> None:
        with self._cond:
            self._reserve += seconds

    @property
    def hard_end(self) -> Optional[float]:
        return self._hard_end

    def cap_full(self) -> bool:
        """The cap is reached and no granted slot can come back: no later bucket can get one."""
        with self._cond:
            return self._used >= self._cap and not self._pending

    def past_hard_end(self) -> bool:
        return self._hard_end is not None and self._clock() >= self._hard_end

    def reserve(self) -> str:
        with self._cond:
            while self._used >= self._cap and self._pending:
                self._cond.wait()
            if self._used >= self._cap:
                return CAP
            if self.past_deadline():
                return DEADLINE
            self._used += 1
            self._pending += 1
            return GRANTED

    def settle(self, kept: bool) -> None:
        """Once per granted slot: kept for an unbind (or would-unbind, or an unknown result)."""
        with self._cond:
            self._pending -= 1
            if not kept:
                self._used -= 1
            self._cond.notify_all()
