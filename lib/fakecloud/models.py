"""State of the fake cloud: one account, its buckets, their CI configuration. No HTTP here.

Everything that reads or changes state takes the account's single re-entrant lock: the product
evaluates buckets from a thread pool, and the HTTP handlers run inside those threads.
"""

import itertools
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

SERVICES = ("media", "pic", "doc", "asr", "file", "ai")
HIDDEN_CONFIGS = ("auto_review", "historical_review")
CI_STATUSES = ("on", "off", "unbinding")
WORKFLOW_STATES = ("Active", "Paused")
BATCH_JOB_TYPES = ("Workflow", "Job")
BATCH_JOB_STATES = ("Submitted", "Running", "Success", "Failed", "Pause", "Cancel")
# Finished batch jobs cannot be deleted through any API, so only these can hold an unbind back.
UNFINISHED_BATCH_JOB_STATES = ("Submitted", "Running", "Pause")

# Deliberately looser than COS naming rules: the fake must be able to hold names the product's
# own validation is expected to reject, but a host can only be built from a DNS-safe label.
_BUCKET_NAME_RE = re.compile(r"^(?P<short>[a-z0-9][a-z0-9-]*)-(?P<appid>[0-9]+)\Z")
_REGION_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")

# CI writes every time with the China offset, e.g. 2022-06-27T15:23:10+0800.
_CI_TZ = timezone(timedelta(hours=8))


def ci_time(epoch: Optional[float]) -> str:
    """A CI-style timestamp, or '-' for an unset time as CI writes it."""
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, _CI_TZ).strftime("%Y-%m-%dT%H:%M:%S%z")


def parse_ci_time(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp()


def _new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def split_bucket_name(name: str) -> tuple[str, str]:
    m = _BUCKET_NAME_RE.match(name or "")
    if not m:
        raise ValueError(f"bucket name {name!r} is not <name>-<APPID>")
    return m.group("short"), m.group("appid")


class Workflow:
    def __init__(self, id: str, name: str, state: str, create_time: float):
        if state not in WORKFLOW_STATES:
            raise ValueError(f"workflow state {state!r} not in {WORKFLOW_STATES}")
        self.id = id
        self.name = name
        self.state = state
        self.create_time = create_time
        self.update_time = create_time

    def __repr__(self):
        return f"Workflow({self.id!r}, name={self.name!r}, state={self.state!r})"


class BatchJob:
    def __init__(self, id: str, type: str, state: str, name: str, creation_time: float,
                 workflow_id: Optional[str] = None, tag: str = "Transcode"):
        if type not in BATCH_JOB_TYPES:
            raise ValueError(f"batch job type {type!r} not in {BATCH_JOB_TYPES}")
        if state not in BATCH_JOB_STATES:
            raise ValueError(f"batch job state {state!r} not in {BATCH_JOB_STATES}")
        self.id = id
        self.type = type
        self.state = state
        self.name = name
        self.creation_time = creation_time
        self.workflow_id = workflow_id
        self.tag = tag

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED_BATCH_JOB_STATES

    def __repr__(self):
        return f"BatchJob({self.id!r}, type={self.type!r}, state={self.state!r})"


class UnbindOutcome:
    """What the model decided about one PUT /?unbind."""

    def __init__(self, accepted: bool, message: str = "", blockers: Optional[list[tuple[str, str]]] = None):
        self.accepted = accepted
        self.message = message
        self.blockers = blockers or []

    def __repr__(self):
        return f"UnbindOutcome(accepted={self.accepted}, message={self.message!r})"


class Bucket:
    """A COS bucket and its CI binding. Create through Account.add_bucket."""

    def __init__(self, account: "Account", name: str, region: str, tags: Optional[dict[str, str]],
                 ci_status: str, create_time: float, seq: int, index: int,
                 tag_resource_form: Optional[int] = None):
        self.short_name, self.appid = split_bucket_name(name)
        if not _REGION_RE.match(region or ""):
            raise ValueError(f"region {region!r} is not a region name")
        if tag_resource_form not in (None, 1, 2, 3):
            raise ValueError("tag_resource_form must be 1, 2, 3 or None")
        self._account = account
        self.name = name
        self.region = region
        self.tags: dict[str, str] = dict(tags or {})
        self.ci_status = ci_status
        self.workflows: dict[str, Workflow] = {}
        self.batch_jobs: dict[str, BatchJob] = {}
        self.services = set()
        # Configurations that no list API shows (auto review, historical review): only the unbind
        # itself reveals them, by refusing.
        self.hidden = set()
        self.create_time = create_time
        self.seq = seq
        self.index = index
        self.tag_resource_form = tag_resource_form
        self._job_seq = itertools.count()

    @property
    def ci_status(self) -> str:
        return self._ci_status

    def answer_status_as(self, value: str) -> None:
        """Make GET / report a status the documentation does not list (a client must not guess)."""
        with self._lock:
            self._ci_status = value
            self._settle_reads_left = 0

    @ci_status.setter
    def ci_status(self, value: str) -> None:
        if value not in CI_STATUSES:
            raise ValueError(f"ci_status {value!r} not in {CI_STATUSES}")
        with self._lock:
            self._ci_status = value
            # However a bucket comes to be 'unbinding' (an accepted unbind, a scenario, a test
            # setting it), it settles after the configured number of status reads.
            self._settle_reads_left = self._account.unbind_settle_reads if value == "unbinding" else 0

    def __repr__(self):
        return f"Bucket({self.name!r}, {self.region!r}, ci_status={self.ci_status!r})"

    @property
    def _lock(self):
        return self._account.lock

    # --- building state -------------------------------------------------------------------

    def add_workflow(self, name: Optional[str] = None, state: str = "Active", id: Optional[str] = None,
                     create_time: Optional[float] = None) -> Workflow:
        with self._lock:
            wid = id or _new_id("w")
            if wid in self.workflows:
                raise ValueError(f"workflow {wid} already exists")
            wf = Workflow(wid, name or f"workflow-{len(self.workflows) + 1}", state,
                          self._account.now() if create_time is None else create_time)
            self.workflows[wid] = wf
            return wf

    def remove_workflow(self, workflow_id: str) -> None:
        with self._lock:
            del self.workflows[workflow_id]

    def add_batch_job(self, type: str = "Workflow", state: str = "Submitted", name: Optional[str] = None,
                      id: Optional[str] = None, creation_time: Optional[float] = None,
                      workflow_id: Optional[str] = None) -> BatchJob:
        with self._lock:
            jid = id or _new_id("b")
            if jid in self.batch_jobs:
                raise ValueError(f"batch job {jid} already exists")
            if creation_time is None:
                # Jobs added in one go would share a second; a microsecond step keeps their order.
                creation_time = self._account.now() + next(self._job_seq) * 1e-6
            job = BatchJob(jid, type, state, name or f"batch-{len(self.batch_jobs) + 1}", creation_time,
                           workflow_id=workflow_id)
            self.batch_jobs[jid] = job
            return job

    def enable_service(self, service: str) -> None:
        if service not in SERVICES:
            raise ValueError(f"service {service!r} not in {SERVICES}")
        with self._lock:
            self.services.add(service)

    def disable_service(self, service: str) -> None:
        with self._lock:
            self.services.discard(service)

    # --- CI binding state machine ---------------------------------------------------------

    def blockers(self) -> list[tuple[str, str]]:
        """(kind, id) of everything that makes the service refuse an unbind."""
        with self._lock:
            found = [("workflow", w.id) for w in self.workflows.values()]
            found += [("batch_job", j.id) for j in self.batch_jobs.values() if j.unfinished]
            found += [("service", s) for s in SERVICES if s in self.services]
            found += [("hidden", h) for h in sorted(self.hidden)]
            return found

    def bind(self) -> None:
        self.ci_status = "on"

    def request_unbind(self) -> UnbindOutcome:
        with self._lock:
            if self.ci_status == "unbinding":
                return UnbindOutcome(True, "unbind already in progress")
            if self.ci_status == "off":
                return UnbindOutcome(False, "The bucket is not bound to Cloud Infinite.")
            found = self.blockers()
            if found:
                detail = ", ".join(f"{kind} {ident}" for kind, ident in found)
                return UnbindOutcome(
                    False, f"The bucket still has task configurations; remove them first ({detail}).", found
                )
            self.ci_status = "unbinding" if self._account.unbind_settle_reads > 0 else "off"
            return UnbindOutcome(True)

    def read_status(self) -> str:
        """The status as GET / reports it; each read moves an unbind in progress on."""
        with self._lock:
            if self._ci_status == "unbinding":
                if self._settle_reads_left > 0:
                    self._settle_reads_left -= 1
                    return "unbinding"
                self.ci_status = "off"
            return self._ci_status


class OtherResource:
    def __init__(self, resource: str, tags: dict[str, str], seq: int):
        self.resource = resource
        self.tags = dict(tags)
        self.seq = seq

    def __repr__(self):
        return f"OtherResource({self.resource!r})"


class Account:
    def __init__(self, appid: str, clock: Optional[Callable[[], float]] = None, unbind_settle_reads: int = 1,
                 uin: Optional[str] = None):
        self.appid = appid
        self.uin = uin
        # Looked up at each call, so a test that freezes time.time freezes the fake as well.
        self.clock = clock or (lambda: time.time())
        self.unbind_settle_reads = unbind_settle_reads
        self.lock = threading.RLock()
        self.buckets: dict[str, Bucket] = {}
        self.other_resources: dict[str, OtherResource] = {}
        # One sequence over buckets and other resources: the Tag API lists them interleaved in
        # the order they were created, as a real account's mixed resources would be.
        self._seq = itertools.count()

    def now(self) -> float:
        return float(self.clock())

    def add_bucket(self, name: str, region: str, tags: Optional[dict[str, str]] = None,
                   ci_status: str = "on", create_time: Optional[float] = None,
                   tag_resource_form: Optional[int] = None) -> Bucket:
        with self.lock:
            if name in self.buckets:
                raise ValueError(f"bucket {name} already exists")
            bucket = Bucket(self, name, region, tags, ci_status,
                            self.now() if create_time is None else create_time,
                            seq=next(self._seq), index=len(self.buckets),
                            tag_resource_form=tag_resource_form)
            self.buckets[name] = bucket
            return bucket

    def add_other_resource(self, resource: str, tags: dict[str, str]) -> OtherResource:
        if not resource.startswith("qcs::"):
            raise ValueError(f"resource {resource!r} is not a six-segment qcs:: string")
        with self.lock:
            res = OtherResource(resource, tags, next(self._seq))
            self.other_resources[resource] = res
            return res

    def bucket(self, name: str) -> Optional[Bucket]:
        with self.lock:
            return self.buckets.get(name)

    def bucket_in_region(self, name: str, region: str) -> Optional[Bucket]:
        """A bucket is reachable only through its own region's host, as on COS."""
        with self.lock:
            b = self.buckets.get(name)
            return b if b is not None and b.region == region else None

    def sorted_buckets(self) -> list[Bucket]:
        with self.lock:
            return sorted(self.buckets.values(), key=lambda b: b.seq)
