"""Record of every routed call, for assertions and for counting calls per bucket in benchmarks."""

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional


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
    def __init__(self):
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def all(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def filter(self, endpoint: Optional[str] = None, bucket: Optional[str] = None,
               service: Optional[str] = None, status: Optional[int] = None) -> list[Call]:
        return [c for c in self.all()
                if (endpoint is None or c.endpoint == endpoint)
                and (bucket is None or c.bucket == bucket)
                and (service is None or c.service == service)
                and (status is None or c.status == status)]

    def counts_by_endpoint(self) -> dict[str, int]:
        return dict(Counter(c.endpoint for c in self.all()))

    def actions_seen(self) -> set[str]:
        return {c.action for c in self.all()}
