"""Numbered leases on a bucket: whoever creates lease n+1 holds the bucket until it ends or expires.

Layout: `leases/<region>/<bucket>/<n>.json` (n zero-padded, so key order is number order). A claim
lists the bucket's leases, reads the highest, n; if that one is live (not released, not expired)
the bucket is held. Otherwise the claimer creates n+1 with create-if-absent. Two claimers that
both find n dead both try to create n+1 and exactly one succeeds; a claimer that saw an older
listing tries a number that already exists and fails too. Nothing is ever deleted, so a number,
once taken, stays taken: there is no moment where two holders can both win (docs/operations.md).

A lease expires `duration` seconds after it was taken: the function's time limit plus a margin,
after which SCF has ended the invocation that took it.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from ..buckets import BucketRef
from ..clock import iso_utc
from ..cloud.cos import Trace
from ..cloud.errors import ApiError
from .store import UNAVAILABLE, StateError, StateStore

_NUMBER_RE = re.compile(r"(?P<n>[0-9]{10})\.json")
# Kept after the time limit: SCF's end of the invocation and the clocks of two containers.
MARGIN_SECONDS = 60.0
# When the context does not give the time limit: the longest an event-triggered function may run.
DEFAULT_LIMIT_SECONDS = 900.0


def lease_seconds(time_limit: Optional[float]) -> float:
    return (time_limit or DEFAULT_LIMIT_SECONDS) + MARGIN_SECONDS


def _parse(text) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Lease:
    """A lease this run holds."""

    ref: BucketRef
    number: int
    record: dict


@dataclass(frozen=True)
class Held:
    """Someone else holds the bucket."""

    run_id: str
    number: int
    expires_at: str


def prefix_of(ref: BucketRef) -> str:
    return f"leases/{ref.region}/{ref.bucket}/"


def key_of(ref: BucketRef, number: int) -> str:
    return f"{prefix_of(ref)}{number:010d}.json"


def live(record, now: datetime) -> bool:
    """A lease holds unless it says it was released or its time is up; an unreadable one holds."""
    if not isinstance(record, dict):
        return True
    if record.get("released_at"):
        return False
    expires = _parse(record.get("expires_at"))
    return expires is None or expires.tzinfo is None or now < expires


class Leases:
    def __init__(self, store: StateStore, duration: float):
        self._store = store
        self._duration = duration

    def claim(self, ref: BucketRef, run_id: str, now: datetime, trace: Optional[Trace] = None):
        """A Lease when this run now holds the bucket, Held when another does. Raises StateError."""
        numbers = []
        for info in self._store.list(prefix_of(ref), trace):
            m = _NUMBER_RE.fullmatch(info.key[len(prefix_of(ref)):])
            if m is None:
                raise StateError(UNAVAILABLE, f"an object that is not a lease among the leases: {info.key}",
                                 ApiError(api="GET Bucket", code="UnexpectedKey", message=info.key[:200]))
            numbers.append(int(m.group("n")))
        top = max(numbers, default=0)
        if top:
            record = self._store.get_json(key_of(ref, top), trace)
            if record is None:
                # Listed but gone: leases are never deleted, so something else is at work here.
                raise StateError(UNAVAILABLE, f"lease {top} of {ref.bucket} was listed but cannot be read")
            if live(record, now):
                return _held(record, top)
        number = top + 1
        record = {"bucket": ref.bucket, "region": ref.region, "number": number, "run_id": run_id,
                  "token": uuid.uuid4().hex, "taken_at": iso_utc(now),
                  "expires_at": iso_utc(now + timedelta(seconds=self._duration))}
        if self._store.create_json(key_of(ref, number), record, trace):
            return Lease(ref, number, record)
        # Taken meanwhile; or our own first attempt, whose answer was lost and was retried.
        found = self._store.get_json(key_of(ref, number), trace)
        if isinstance(found, dict) and found.get("token") == record["token"]:
            return Lease(ref, number, record)
        return _held(found, number)

    def release(self, lease: Lease, now: datetime, trace: Optional[Trace] = None) -> None:
        """Mark the lease ended, so the next claimer need not wait for it to expire. Only the holder
        writes its own lease; claimers only ever create the next number."""
        self._store.put_json(key_of(lease.ref, lease.number), {**lease.record, "released_at": iso_utc(now)}, trace)


def _held(record, number: int) -> Held:
    record = record if isinstance(record, dict) else {}
    return Held(run_id=str(record.get("run_id") or "unknown"), number=number,
                expires_at=str(record.get("expires_at") or ""))
