"""What an invocation settles before its first bucket: how long it may run, its request pacing, and
the region of each bucket the event named without one. `run.Runner.run` calls these hooks."""

from typing import Callable, Optional

from .cloud import pacing
from .cloud.service import BucketLocator, Located

# EventBridge waits at most 300 s for a function it invokes, whatever the function's own timeout
# (EventBridge "SCF target" limits); an event run that budgets more is cut off mid-bucket.
EVENTBRIDGE_LIMIT_S = 300.0


def budget_limit(kind: str, context_limit: Optional[float]) -> Optional[float]:
    """The time limit to budget: the function's, and no more than EventBridge allows for events."""
    if kind != "event":
        return context_limit
    return EVENTBRIDGE_LIMIT_S if context_limit is None else min(context_limit, EVENTBRIDGE_LIMIT_S)


def too_short(limit: Optional[float], margin: Callable[[float], float]) -> Optional[dict]:
    """The run error for a limit that leaves no time for a bucket (at or under the safety margin)."""
    if limit is None or limit > margin(limit):
        return None
    return {"code": "time_limit_too_short", "time_limit_s": round(limit, 3), "margin_s": round(margin(limit), 3),
            "message": f"a time limit of {limit:g} s leaves nothing after the {margin(limit):g} s safety margin; "
                       "give the function a longer timeout"}


def start_pacing(max_rps: int, clock, sleep, hard_end: Optional[float]) -> pacing.Pacing:
    current = pacing.Pacing(max_rps, clock=clock, sleep=sleep, hard_end=hard_end)
    pacing.begin(current)
    return current


def locate(locator: Optional[BucketLocator], names) -> Located:
    """Refs for the named buckets, or a failure each; nothing is asked when no name needs it."""
    if not names:
        return Located()
    return locator.locate(list(names))
