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
from typing import Callable, Optional

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
    """`max_per_day` slots under `folder(day)`: by default the UTC day's; a fan-out sweep's cap
    (sweep_cap) uses the same slots under the sweep's own folder."""

    def __init__(self, store: StateStore, max_per_day: int, folder: Optional[Callable[[str], str]] = None):
        self._store = store
        self.max_per_day = max_per_day
        self._folder = folder or prefix_of
        # Where this claimer looks first: the slot after the last it tried. A fan-out's shards
        # start in slots of their own (sweep_cap), so concurrent claimers seldom try the same slot
        # (a lost try is a write that takes nothing).
        self._cursor = 0
        # A full day stays full (slots are never given back): once seen, no more calls this run.
        self._full: set[str] = set()
        self._lock = threading.Lock()

    def start_at(self, index: int, of: int) -> None:
        """Shard `index` of `of`: look first in its own part of the slots."""
        self._cursor = index * self.max_per_day // max(of, 1)

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
        folder = self._folder(day)
        for info in self._store.list(folder, trace):
            m = _SLOT_RE.fullmatch(info.key[len(folder):])
            if m:
                taken.add(int(m.group("k")))
        token = uuid.uuid4().hex
        free = [k for k in range(1, self.max_per_day + 1) if k not in taken]
        with self._lock:
            pivot = next((n for n, k in enumerate(free) if k > self._cursor), 0)
            order = free[pivot:] + free[:pivot]
            if order:
                self._cursor = order[0]  # the next claimer (another thread) tries the slot after
        for k in order:
            record = {"day": day, "slot": k, "run_id": run_id, "bucket": ref.bucket, "region": ref.region,
                      "token": token, "taken_at": iso_utc(now)}
            key = f"{folder}slot-{k:06d}.json"
            if self._store.create_json(key, record, trace):
                return k
            found = self._store.get_json(key, trace)  # ours, if a retried create found itself
            if isinstance(found, dict) and found.get("token") == token:
                return k
        with self._lock:
            self._full.add(day)
        return None


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def sweep_cap(store: StateStore, run_id: str, cap: int, index: int = 0, of: int = 1) -> DayCap:
    """A fan-out sweep's cap (CI_UNBIND_MAX_PER_RUN for all its shards together): its slots under
    `sweeps/<run>/cap/`, taken as the day's are, so the shards with the work get the slots. Shard
    `index` of `of` looks first in its own part of them."""
    folder = f"sweeps/{_UNSAFE.sub('_', str(run_id))[:100]}/cap/"
    slots = DayCap(store, cap, folder=lambda _day: folder)
    slots.start_at(index, of)
    return slots
