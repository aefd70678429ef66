"""A quiet period for the digests anyone can cause: an invalid event.

Anyone allowed to invoke the function can send it an event it cannot read, and each such event
makes a "needs attention" digest: twenty forged events would make twenty messages, and a robot
limits how many it takes (WeCom and DingTalk 20 a minute). So at most one such digest goes to a
robot within QUIET_SECONDS; the ones held back are counted, and the next one sent says how many.

With the state bucket, the marker is kept there (one small record per robot, under `notify/`), so
the period holds across containers; two invocations that both find the period over race for a
create-if-absent claim, and only the winner sends. Without a state bucket, or when it cannot be
read, the period holds in this container's memory: fewer messages than one per event, never none.
Counts read and written by concurrent invocations may come out low; a digest is never lost to them.
"""

import hashlib
import threading
from dataclasses import dataclass
from typing import Optional, Protocol

QUIET_SECONDS = 3600.0
RECORD_KEY = "notify/invalid-events.json"
CLAIM_PREFIX = "notify/invalid-events/"
VERSION = 1


class Store(Protocol):
    def get_json(self, key: str) -> Optional[dict]: ...

    def put_json(self, key: str, value: dict) -> None: ...

    def create_json(self, key: str, value: dict) -> bool: ...


@dataclass(frozen=True)
class Admission:
    send: bool
    suppressed: int  # held back before this one (send) or so far, this one included (not sent)
    quiet_until: Optional[float] = None  # when not sent: when the next one may be


def robot_id(url: str) -> str:
    """What a record names the robot by: never its URL, which holds its key."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]


def _entry(value) -> tuple[Optional[float], int]:
    if not isinstance(value, dict):
        return None, 0
    sent_at, count = value.get("sent_at"), value.get("suppressed")
    sent_at = float(sent_at) if isinstance(sent_at, (int, float)) and not isinstance(sent_at, bool) else None
    count = count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else 0
    return sent_at, count


def _quiet(sent_at: Optional[float], now: float) -> bool:
    # A marker from the future (a clock that jumped back) holds no longer than one period.
    return sent_at is not None and now - QUIET_SECONDS < sent_at <= now + QUIET_SECONDS


class MemoryGate:
    """The period in this container's memory (shared by its invocations)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._robots: dict = {}

    def admit(self, robot: str, now: float) -> Admission:
        with self._lock:
            sent_at, count = _entry(self._robots.get(robot))
            if _quiet(sent_at, now):
                self._robots[robot] = {"sent_at": sent_at, "suppressed": count + 1}
                return Admission(False, count + 1, sent_at + QUIET_SECONDS)
            self._robots[robot] = {"sent_at": now, "suppressed": count}
            return Admission(True, count)

    def sent(self, robot: str, now: float) -> None:
        with self._lock:
            self._robots[robot] = {"sent_at": now, "suppressed": 0}

    def clear(self) -> None:
        with self._lock:
            self._robots.clear()


MEMORY = MemoryGate()


class StoreGate:
    """The period in the state bucket."""

    def __init__(self, store: Store):
        self._store = store

    def _load(self) -> dict:
        value = self._store.get_json(RECORD_KEY)
        if not isinstance(value, dict) or value.get("version") != VERSION or not isinstance(value.get("robots"), dict):
            return {"version": VERSION, "robots": {}}  # absent or unreadable: the period starts over
        return value

    def _save(self, record: dict, robot: str, sent_at: Optional[float], count: int) -> None:
        robots = dict(record["robots"])
        robots[robot] = {"sent_at": sent_at, "suppressed": count}
        self._store.put_json(RECORD_KEY, {"version": VERSION, "robots": robots})

    def admit(self, robot: str, now: float) -> Admission:
        record = self._load()
        sent_at, count = _entry(record["robots"].get(robot))
        if _quiet(sent_at, now):
            self._save(record, robot, sent_at, count + 1)
            return Admission(False, count + 1, sent_at + QUIET_SECONDS)
        # Everyone who read the same marker races for one claim: the winner sends. The period's
        # number is in the claim, so a winner that could not record its digest blocks no later one.
        claim = f"{CLAIM_PREFIX}{robot}/{int(sent_at or 0)}-{int(now // QUIET_SECONDS)}.json"
        if not self._store.create_json(claim, {"at": now}):
            record = self._load()
            winner_at, count = _entry(record["robots"].get(robot))
            self._save(record, robot, winner_at or now, count + 1)
            return Admission(False, count + 1, (winner_at or now) + QUIET_SECONDS)
        self._save(record, robot, now, count)
        return Admission(True, count)

    def sent(self, robot: str, now: float) -> None:
        record = self._load()
        sent_at, _ = _entry(record["robots"].get(robot))
        self._save(record, robot, sent_at if sent_at is not None else now, 0)
