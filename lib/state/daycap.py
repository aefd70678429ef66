"""The daily cap: `max_per_day` numbered slots per UTC day, each taken by creating its object.

Layout: `days/<YYYY-MM-DD>/slot-<k>.json`, k from 1 to the cap. A slot is taken just before
`PUT /?unbind` is sent and never given back: it counts a sent unbind, accepted or refused. Giving
it back would take a delete, and the cap exists to bound what reaches CI in a day, which a refused
request did too. Every invocation, shard and account that shares the state bucket shares the day.
"""

import re
import threading
import uuid
from datetime import datetime
from typing import Optional

from ..buckets import BucketRef
from ..clock import iso_utc
from ..cloud.cos import Trace
from .store import StateStore

_SLOT_RE = re.compile(r"slot-(?P<k>[0-9]{6})\.json")


def day_of(now: datetime) -> str:
    return now.strftime("%Y-%m-%d")


def prefix_of(day: str) -> str:
    return f"days/{day}/"


def key_of(day: str, k: int) -> str:
    return f"{prefix_of(day)}slot-{k:06d}.json"


class DayCap:
    def __init__(self, store: StateStore, max_per_day: int):
        self._store = store
        self.max_per_day = max_per_day
        # A full day stays full (slots are never given back): once seen, no more calls this run.
        self._full: set[str] = set()
        self._lock = threading.Lock()

    def known_full(self, now: datetime) -> bool:
        with self._lock:
            return day_of(now) in self._full

    def claim(self, ref: BucketRef, run_id: str, now: datetime, trace: Optional[Trace] = None) -> Optional[int]:
        """The slot number taken for this unbind, or None when the day's slots are all taken.
        Raises StateError when the state bucket cannot say."""
        day = day_of(now)
        if self.known_full(now):
            return None
        taken = set()
        for info in self._store.list(prefix_of(day), trace):
            m = _SLOT_RE.fullmatch(info.key[len(prefix_of(day)):])
            if m:
                taken.add(int(m.group("k")))
        token = uuid.uuid4().hex
        for k in range(1, self.max_per_day + 1):
            if k in taken:
                continue
            record = {"day": day, "slot": k, "run_id": run_id, "bucket": ref.bucket, "region": ref.region,
                      "token": token, "taken_at": iso_utc(now)}
            if self._store.create_json(key_of(day, k), record, trace):
                return k
            found = self._store.get_json(key_of(day, k), trace)  # ours, if a retried create found itself
            if isinstance(found, dict) and found.get("token") == token:
                return k
        with self._lock:
            self._full.add(day)
        return None

