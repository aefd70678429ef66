"""Record of every routed call, for assertions and for counting calls per bucket in benchmarks."""

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass(frozen=True)
class Call:
    service: str            # 'ci' | 'cos' | 'tag'
    endpoint: str           # e.g. 'GET /workflow', 'tag:GetResources'
    action: str             # CAM action, e.g. 'ci:DescribeMediaWorkflows'
    method: str
    host: str
    path: str
    query: dict[str, str] = field(hash=False)
    bucket: Optional[str]
    region: Optional[str]
    status: Optional[int]   # None when no HTTP answer was given (connection error)
    request_id: str
    fault: Optional[str]    # what an injected fault did to this call, if one hit it


class CallLog:
    """Every call in full (the default: tests assert on them), or counters only.

    A benchmark of thousands of buckets makes tens of thousands of calls; a Call each would weigh
    on the memory and time it measures, so `CallLog.counting(group)` keeps only the counts by
    endpoint, by CAM action and by (group of the bucket, endpoint), `group` mapping a bucket name
    to a label of the caller's choosing (e.g. the kind of bucket).
    """

    def __init__(self, keep_calls: bool = True, group: Optional[Callable[[Optional[str]], object]] = None,
                 key_group: Optional[Callable[[Optional[str], str], object]] = None):
        self._lock = threading.Lock()
        self._key_group = key_group  # (bucket, path) -> a label, or None: what kind of object a call was on
        self._keys: Counter = Counter()
        self._calls: list[Call] = []
        self.keep_calls = keep_calls
        self._group = group
        self._endpoints: Counter = Counter()
        self._actions: Counter = Counter()
        self._groups: Counter = Counter()

    @classmethod
    def counting(cls, group: Optional[Callable[[Optional[str]], object]] = None,
                 key_group: Optional[Callable[[Optional[str], str], object]] = None) -> "CallLog":
        return cls(keep_calls=False, group=group, key_group=key_group)

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._count(call.endpoint, call.action, call.bucket)

    def tally(self, endpoint: str, action: str, bucket: Optional[str], path: str = "") -> None:
        with self._lock:
            self._count(endpoint, action, bucket)
            label = self._key_group(bucket, path) if self._key_group is not None else None
            if label is not None:
                self._keys[(label, endpoint)] += 1

    def _count(self, endpoint, action, bucket) -> None:
        self._endpoints[endpoint] += 1
        self._actions[action] += 1
        if self._group is not None:
            self._groups[(self._group(bucket), endpoint)] += 1

    def by_group(self) -> dict:
        """{(group, endpoint): count}; empty unless the log was given a `group` function."""
        with self._lock:
            return dict(self._groups)

    def by_key(self) -> dict:
        """{(label, endpoint): count} of the calls `key_group` labelled; empty without it."""
        with self._lock:
            return dict(self._keys)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self._endpoints.values())

    def all(self) -> list[Call]:
        if not self.keep_calls:
            raise RuntimeError("this call log keeps counters only; ask counts_by_endpoint() or by_group()")
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._endpoints.clear()
            self._actions.clear()
            self._groups.clear()

    def filter(self, endpoint: Optional[str] = None, bucket: Optional[str] = None,
               service: Optional[str] = None, status: Optional[int] = None) -> list[Call]:
        return [c for c in self.all()
                if (endpoint is None or c.endpoint == endpoint)
                and (bucket is None or c.bucket == bucket)
                and (service is None or c.service == service)
                and (status is None or c.status == status)]

    def counts_by_endpoint(self) -> dict[str, int]:
        with self._lock:
            return dict(self._endpoints)

    def actions_seen(self) -> set[str]:
        with self._lock:
            return set(self._actions)
