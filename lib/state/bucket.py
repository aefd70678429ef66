"""The state bucket's `State`: what a run with CI_UNBIND_STATE_BUCKET set asks of it (docs/operations.md).

Made by `lib.state.open_state`; a run without a state bucket never imports this module.
"""

import threading
from datetime import datetime
from typing import Callable, Optional, Union

from ..buckets import BucketRef
from ..cloud.cos import Trace
from ..cloud.errors import ApiError
from ..decide import CAP, LEASE_HELD, MAX_PER_DAY, Decision
from ..settings import Settings
from .daycap import DayCap, sweep_cap
from .history import needs_writing, read_index, record_run, run_key, start_record, stored_run
from .leases import Held, Lease, Leases, lease_seconds
from .store import StateError, StateStore


def _status_decision(status: str) -> Decision:
    """What a status read under the lease says, when it is no longer `on`."""
    if status == "off":
        return Decision("not_bound", ({"code": "ci_status", "status": "off"},))
    if status == "unbinding":
        return Decision("unbinding", ({"code": "ci_status", "status": "unbinding"},))
    return Decision("error", ({"code": "unknown_status", "status": status},))


class State:
    def __init__(self, store: StateStore, settings: Settings, run_id: str, time_limit: Optional[float],
                 now: Callable[[], datetime], workers: int = 8):
        self.store = store
        self.run_id = run_id
        self.leases = Leases(store, lease_seconds(time_limit))
        self.daycap = DayCap(store, settings.max_per_day) if settings.max_per_day is not None else None
        self._now = now
        self._workers = workers
        self._held: dict = {}
        self._lock = threading.Lock()
        self.error: Optional[dict] = None       # the bucket cannot be used this run
        self._run_key: Optional[str] = None
        self.failures: list[dict] = []          # writes that failed after a decision was made
        self.index: dict = {}                   # the latest outcomes' fingerprints, read once a run
        self.sweep_cap: Optional[DayCap] = None  # a fan-out shard's share of its sweep's cap
        # A fan-out shard's new index entries, merged once for its sweep (None: written by this run).
        # A shard writes no start record, and its run record only when it has news (sweep_part).
        self.index_delta: Optional[dict] = None
        # Seconds left for the state's writes at the end of the run (None: not known); set by the run.
        self.time_left: Optional[Callable[[], Optional[float]]] = None

    # -- the API others call --------------------------------------------------------------------
    def check(self, write_start: bool = True) -> Optional[dict]:
        """None when the state bucket can be relied on; else the run error (a reason dict).

        Reads the versioning, then writes the run's start record: the role can write, and a run
        that dies is in the history. A fan-out's shard writes none (its coordinator proved the
        role can write and lists the shards it started), nor its coordinator (its mark of the
        sweep, lib/org/sweepnotify.py, is its first write): an unchanged sweep costs no write a shard."""
        try:
            self.store.check()
            now = self._now()
            key = run_key(self.run_id, now)
            if write_start and self.index_delta is None:
                self.store.put_json(key, start_record(self.run_id, now))
            self._run_key = key
            self.index = read_index(self.store)
        except StateError as err:
            self.error = err.as_reason()
        return self.error

    def claim_lease(self, ref: BucketRef, run_id: Optional[str] = None,
                    trace: Optional[Trace] = None) -> Union[Lease, Held]:
        return self.leases.claim(ref, run_id or self.run_id, self._now(), trace)

    def release_lease(self, lease: Lease, trace: Optional[Trace] = None) -> None:
        self.leases.release(lease, self._now(), trace)

    def claim_day_slot(self, ref: BucketRef, run_id: Optional[str] = None,
                       trace: Optional[Trace] = None) -> Optional[int]:
        """The day's slot number taken, None when the day is full; 0 when there is no daily cap."""
        if self.daycap is None:
            return 0
        return self.daycap.claim(ref, run_id or self.run_id, self._now(), trace)

    def record_run(self, report: dict, kind: Optional[str] = None) -> list[dict]:
        """Store a report (this run's goes over its start record) and each bucket's latest outcome."""
        key = self._run_key if report.get("run_id") == self.run_id else None
        return record_run(self.store, report, self._now(), self._workers, kind, key, self.index, self.time_left,
                          self.index_delta, write_run=not (self.sweep_part and key is not None))

    def share_sweep_cap(self, coordinator_run_id: str, cap: int, index: int = 0, of: int = 1) -> None:
        """This run is shard `index` of a fan-out of `of`: its unbinds also take the sweep's slots."""
        self.sweep_cap = sweep_cap(self.store, coordinator_run_id, cap, index, of)
        if self.daycap is not None:
            self.daycap.start_at(index, of)
        self.index_delta = {}

    @property
    def run_key(self) -> Optional[str]:
        return self._run_key

    @property
    def sweep_part(self) -> bool:
        return self.index_delta is not None

    def write_run(self, report: dict, extra: dict) -> Optional[dict]:
        """A shard's run record, with what its sweep needs (`extra`); the failure as a reason."""
        try:
            self.store.put_json(self._run_key or run_key(self.run_id, self._now()),
                                {**stored_run(report, None, self._now()), **extra})
        except StateError as err:
            return {**err.as_reason(), "what": "run"}
        return None

    def will_write(self, result: dict) -> bool:
        """Whether this result will cost a write of its own when the run ends."""
        return self.error is None and needs_writing(result, self.index)

    def get_json(self, key: str, trace: Optional[Trace] = None):
        return self.store.get_json(key, trace)

    def put_json(self, key: str, record, trace: Optional[Trace] = None) -> None:
        self.store.put_json(key, record, trace)

    def create_json(self, key: str, record, trace: Optional[Trace] = None) -> bool:
        return self.store.create_json(key, record, trace)

    # -- the run's hooks ------------------------------------------------------------------------
    def before_unbind(self, ref: BucketRef, ci, trace: Trace) -> Optional[Decision]:
        """None when this run may send PUT /?unbind now; else the bucket's outcome instead."""
        if self.daycap is not None and self.daycap.known_full(self._now()):
            return Decision("deferred", ({"code": MAX_PER_DAY, "max_per_day": self.daycap.max_per_day},))
        try:
            got = self.claim_lease(ref, trace=trace)
        except StateError as err:
            return Decision("error", (err.as_reason(),))
        if isinstance(got, Held):
            return Decision("deferred", ({"code": LEASE_HELD, "holder_run_id": got.run_id, "lease": got.number,
                                          "expires_at": got.expires_at},))
        # What was read before the lease may be stale (another run may have unbound meanwhile):
        # read the status again now that no one else can act on this bucket.
        try:
            status = ci.status(ref, trace)
        except ApiError as err:
            return self._give_up(got, trace, Decision("error", (err.as_reason(),)))
        if status != "on":
            return self._give_up(got, trace, _status_decision(status))
        try:
            slot = self.claim_day_slot(ref, trace=trace)
        except StateError as err:
            return self._give_up(got, trace, Decision("error", (err.as_reason(),)))
        if slot is None:
            return self._give_up(got, trace, Decision(
                "deferred", ({"code": MAX_PER_DAY, "max_per_day": self.daycap.max_per_day},)))
        if self.sweep_cap is not None:
            # Like the day's, a sweep's slot counts a sent unbind and is never given back.
            try:
                taken = self.sweep_cap.claim(ref, self.run_id, self._now(), trace)
            except StateError as err:
                return self._give_up(got, trace, Decision("error", (err.as_reason(),)))
            if taken is None:
                return self._give_up(got, trace, Decision(
                    "deferred", ({"code": CAP, "max_per_run": self.sweep_cap.max_per_day, "sweep": True},)))
        with self._lock:
            self._held[ref] = got
        return None

    def after_unbind(self, ref: BucketRef, trace: Trace, decision: Optional[Decision]) -> None:
        """After PUT /?unbind: the lease is released only when the outcome is known for sure
        (`unbound`, or `refused`: nothing changed). Otherwise (an error, an unconfirmed unbind, a
        fault mid-unbind: `decision` None) the unbind may have happened or be under way, and a later
        delivery that still read `on` would send a second one: the lease holds until it expires."""
        with self._lock:
            lease = self._held.pop(ref, None)
        if lease is not None and decision is not None and decision.outcome in ("unbound", "refused"):
            self._release(lease, trace)

    def finish(self, report: dict) -> dict:
        """Add the state's part to the finished report and store it; a failed write sets ok false."""
        report["state"] = {"bucket": self.store.bucket, "region": self.store.region, "prefix": self.store.prefix}
        if self.error is not None:
            report.setdefault("error", self.error)
            report["ok"] = False
            return report
        # A shard's own record is written after, by its sweep's part (lib/org/sweepnotify.py),
        # and only when it has news.
        failures = self.failures + self.record_run(report)
        if failures:
            report["state"]["failures"] = failures
            report["ok"] = False
        return report

    def _give_up(self, lease: Lease, trace: Trace, decision: Decision) -> Decision:
        self._release(lease, trace)
        return decision

    def _release(self, lease: Lease, trace: Trace) -> None:
        try:
            self.release_lease(lease, trace)
        except StateError as err:  # the lease then holds until it expires; nothing else changes
            with self._lock:
                self.failures.append({**err.as_reason(), "what": "lease_release", "bucket": lease.ref.bucket})
