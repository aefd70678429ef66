"""`inventory`: every bucket of the account (and of each CI_UNBIND_ACCOUNTS member), its CI status,
its request and protect tags, and for a bound bucket what would block an unbind now.

Read-only by construction: it lists (GET Service), reads tags (GET /?tagging), reads the binding
status (GET /) and gathers blockers through the run's own Checker (lib/checks.py), and it decides
through the run's own `decide` (lib/decide.py) what a run would do today. It holds no client that
writes: no tag, no unbind, no state object. Requests are paced like a run (CI_UNBIND_MAX_RPS).
"""

import dataclasses
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from ..buckets import BucketRef
from ..checks import Checker, ServiceIndex
from ..clock import iso_utc, utc_now
from ..cloud import cam as accounts
from ..cloud import pacing
from ..cloud.clients import Cloud, connect
from ..cloud.cos import Trace
from ..cloud.errors import ApiError
from ..decide import (
    GRANTED,
    NEED_BLOCKERS,
    NEED_STATUS,
    NEED_TAGS,
    Decision,
    Facts,
    decide,
    parse_request_value,
)
from ..org.access import Access
from ..org.accounts import SELF

BLOCKER_KINDS = ("workflow", "batch_job", "service_enabled")


@dataclass
class Row:
    """One bucket as the inventory saw it."""

    bucket: str
    region: Optional[str]
    account: str = SELF
    ci_status: Optional[str] = None
    requested: Optional[dict] = None
    protected: bool = False
    could_unbind: bool = False
    blockers: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # checks that could not be made (fail closed)
    why_not: list = field(default_factory=list)  # besides blockers and errors, why it could not be unbound
    run: Optional[dict] = None  # what a run would decide today: {"outcome", "reasons"}
    calls: list = field(default_factory=list)

    def as_dict(self, with_account: bool) -> dict:
        out = {"bucket": self.bucket, "region": self.region}
        if with_account:
            out["account"] = self.account
        out.update(ci_status=self.ci_status, requested=self.requested, protected=self.protected,
                   could_unbind=self.could_unbind, blockers=list(self.blockers), errors=list(self.errors),
                   why_not=list(self.why_not), run=self.run)
        return out


@dataclass
class Inventory:
    rows: list = field(default_factory=list)
    accounts: list = field(default_factory=list)  # {"account", "appid", "buckets", "error"?}
    calls: int = 0

    @property
    def several(self) -> bool:
        return len(self.accounts) > 1

    def summary(self) -> dict:
        rows = self.rows
        by_kind = {kind: sum(1 for r in rows if any(b["code"] == kind for b in r.blockers)) for kind in BLOCKER_KINDS}
        statuses = {}
        for r in rows:
            statuses[r.ci_status or "unknown"] = statuses.get(r.ci_status or "unknown", 0) + 1
        return {"buckets": len(rows), "bound": statuses.get("on", 0), "ci_status": dict(sorted(statuses.items())),
                "requested": sum(1 for r in rows if r.requested), "protected": sum(1 for r in rows if r.protected),
                "could_unbind": sum(1 for r in rows if r.could_unbind),
                "blocked": sum(1 for r in rows if r.blockers), "blocked_by": by_kind,
                "errors": sum(1 for r in rows if r.errors),
                "account_errors": sum(1 for a in self.accounts if a.get("error"))}

    def as_dict(self) -> dict:
        return {"accounts": list(self.accounts), "buckets": [r.as_dict(self.several) for r in self.rows],
                "summary": self.summary(), "calls": self.calls}


def requested_view(tags: dict, tag_key: str) -> Optional[dict]:
    """The request tag as the function reads it: its value, and the date it is due from, if any."""
    if tag_key not in tags:
        return None
    raw = tags[tag_key]
    parsed = parse_request_value(raw)
    if parsed is None:
        return {"value": raw, "valid": False}
    return {"value": raw, "valid": True, "not_before": None if parsed is True else iso_utc(parsed)}


class Taker:
    """One account's buckets, looked at read-only through the run's own checks."""

    def __init__(self, settings, cloud: Cloud, owner: accounts.AccountId, account: str, now: datetime):
        self.settings = settings
        self.cloud = cloud
        self.owner = owner
        self.account = account
        self.now = now

    def one(self, ref: BucketRef, checker: Checker) -> Row:
        trace = Trace()
        facts = Facts(ref=ref, slot=GRANTED,
                      owner_unknown=accounts.unknown_reason(self.owner) if self.owner.unknown else None)
        row = Row(bucket=ref.bucket, region=ref.region, account=self.account)
        try:
            checker.gather(NEED_TAGS, facts, trace)
            checker.gather(NEED_STATUS, facts, trace)
            if facts.status == "on":
                checker.gather(NEED_BLOCKERS, facts, trace)
            self._fill(row, facts)
        except Exception as exc:  # a fault of ours is an error on the row, never a "could unbind"
            row.errors.append({"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"[:300]})
            row.could_unbind = False
        row.calls = trace.calls
        return row

    def _fill(self, row: Row, facts: Facts) -> None:
        settings = self.settings
        tags = facts.tags or {}
        row.ci_status = facts.status
        row.requested = requested_view(tags, settings.tag_key)
        row.protected = settings.protect_tag_key in tags
        row.blockers = list(facts.blockers or [])
        errors = [e.as_reason() for e in (facts.tags_error, facts.status_error) if e is not None]
        errors += [e.as_reason() for e in facts.check_errors]
        if facts.owner_unknown:
            errors.append(dict(facts.owner_unknown))
        row.errors = errors
        verdict = decide(facts, settings, self.now, dry_run=True)
        if not isinstance(verdict, Decision):  # every fact was gathered: a Need here is a fault of ours
            raise RuntimeError(f"the decision asked for {verdict.what} after every fact was gathered")
        row.run = {"outcome": verdict.outcome, "reasons": list(verdict.reasons)}
        # The run's own reason codes, for what keeps a bucket without blockers from being unbound.
        why = []
        if facts.status is not None and facts.status != "on":
            why.append({"code": "ci_status", "status": facts.status})
        if row.protected:
            why.append({"code": "protected", "tag_key": settings.protect_tag_key})
        if settings.appid is not None and facts.ref.appid != settings.appid:
            why.append({"code": "foreign_account", "appid": facts.ref.appid})
        if not settings.region_allowed(facts.ref.region):
            why.append({"code": "region_excluded", "allowed": sorted(settings.regions)})
        row.why_not = why
        row.could_unbind = facts.status == "on" and not (row.blockers or errors or why)


def _unlocated(name: str, account: str, message: str, calls=()) -> Row:
    return Row(bucket=name, region=None, account=account,
               errors=[{"code": "region_unknown", "api": "GET Service", "message": message}], calls=list(calls))


def take(settings, regions=(), *, connect=connect, now=None, log=None, progress=None,
         clock=time.monotonic, sleep=time.sleep) -> Inventory:
    """The inventory of every listed account (CI_UNBIND_ACCOUNTS) and our own, paced as one run."""
    now = now or utc_now()
    out = Inventory()
    current = pacing.Pacing(settings.max_rps, clock=clock, sleep=sleep)
    pacing.begin(current)
    try:
        access = Access(settings, {})
        for account in settings.fanout.names:
            _take_account(settings, access, account, set(regions), connect, now, log, progress, out)
    finally:
        pacing.end(current)
    return out


def _take_account(settings, access, account, regions, connect, now, log, progress, out: Inventory) -> None:
    entry = {"account": account}
    try:
        creds = access.credentials(account)
    except ApiError as err:
        out.accounts.append({**entry, "appid": None, "buckets": 0, "error": {**err.as_reason(),
                                                                            "code": "assume_role_failed"}})
        return
    if log is not None:
        log.add_secrets(creds.secret_id, creds.secret_key, creds.token or "")
    mine = access.settings_for(account, creds)
    cloud = connect(mine)
    owner = accounts.Identity().resolve(mine.appid, cloud.appid)
    if owner.appid and owner.appid != mine.appid:
        mine = dataclasses.replace(mine, appid=owner.appid)
    entry["appid"] = owner.appid
    out.calls += 1 if owner.request_id or owner.error else 0
    trace = Trace()
    try:
        listed = cloud.locator.regions(trace)
    except ApiError as err:
        out.calls += len(trace.calls)
        out.accounts.append({**entry, "buckets": 0, "error": {**err.as_reason(), "code": "listing_failed"}})
        return
    out.calls += len(trace.calls)
    refs, rows = [], []
    for name in sorted(listed):
        region = listed[name]
        if regions and region not in regions:
            continue
        if not region:
            rows.append(_unlocated(name, account, "GET Service lists this bucket with an unusable Location"))
            continue
        try:
            refs.append(BucketRef(region=region, bucket=name))
        except ValueError:  # a name no host may be built from is never called, only reported
            rows.append(_unlocated(name, account, "GET Service lists a bucket name that is not valid"))
    taker = Taker(mine, cloud, owner, account, now)
    services = ServiceIndex(cloud.ci, refs, mine.blocking_services)
    checker = Checker(cloud.ci, cloud.tags, services)
    counter, shared, lock = itertools.count(1), set(), threading.Lock()

    def one(ref):
        row = taker.one(ref, checker)
        with lock:
            # A service list asked once for a group is listed with each of its buckets: counted once.
            shared.update((c["api"], c["request_id"]) for c in row.calls if c.get("shared"))
            out.calls += sum(1 for c in row.calls if not c.get("shared"))
        if log is not None:
            log.emit({"msg": "inventory_bucket", **row.as_dict(True), "calls": row.calls})
        if progress is not None:
            progress(row, next(counter), len(refs))
        return row

    with services:
        if refs:
            with ThreadPoolExecutor(max_workers=min(settings.concurrency, len(refs))) as pool:
                rows += list(pool.map(one, refs))
    out.calls += len(shared)
    rows.sort(key=lambda r: (r.bucket, r.region or ""))
    out.rows += rows
    out.accounts.append({**entry, "buckets": len(rows)})
