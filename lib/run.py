"""One run: the buckets to look at, each decided and acted on, the report. The entry around it
(settings, the event, failures) is lib/invocation.py; its limits are lib/budget.py.

Every trigger goes through `Runner.run`; the timer differs only in where its buckets come from, and
dry run differs only in the last step (`decide` answers `would_unbind` instead of `unbind`).
"""

import itertools
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable, Optional

from . import notify as notifications
from . import preflight
from . import report as reports
from .buckets import BucketRef
from .budget import Budget, context_value, margin_for, simulated, time_limit
from .checks import Checker, ServiceIndex
from .clock import utc_now
from .cloud import cam as accounts
from .cloud import pacing
from .cloud.ci import CIClient, UnbindRefused
from .cloud.clients import Cloud
from .cloud.cos import NO_RETRY, Trace
from .cloud.errors import ApiError
from .decide import (
    GRANTED,
    NEED_SLOT,
    UNBIND,
    Decision,
    Facts,
    Need,
    after_unbind,
    decide,
    failed_unbind,
    heads_up_window,
    refused,
)
from .settings import Settings, public_view
from .state import NO_STATE, open_state

# Status reads after an accepted unbind, and the pause before each one after the first.
VERIFY_PAUSES = (0.0, 0.5, 1.0)
_MAX_STEPS = 16
# What the end of a run is given beyond the margin for buckets in flight: the state's run record,
# index and reads (a few paced calls), a digest (one POST and a retry), and each write a decided
# bucket will cost (a COS PUT's round trip, shared by the writing threads).
STATE_END_SECONDS = 2.0
DIGEST_SECONDS = 3.0
WRITE_SECONDS = 0.15


class Runner:
    def __init__(self, settings: Settings, cloud: Cloud, *, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = utc_now, sleep: Callable[[float], None] = time.sleep,
                 log: Optional[reports.JsonLog] = None, progress=None,
                 account: Optional[accounts.AccountId] = None, secrets: Sequence[str] = (),
                 notify_hook: Optional[Callable] = None):
        """`secrets`: values never to show besides this run's own keys, e.g. the central keys a
        member account's run signs its state-bucket calls with."""
        # Without an account the settings' APPID (or none) is all there is, as before identity lookup.
        self.account = account or accounts.AccountId(settings.appid, "settings")
        self.settings = settings
        self.cloud = cloud
        self._clock = clock
        self._now = now
        self._sleep = sleep
        self._secrets = [*secrets_of(settings), *secrets]
        self._log = log or reports.JsonLog(secrets=self._secrets)
        self._progress = progress
        # How the finished report is notified: its own digest, unless the run is a part of a sweep
        # that sends one for all its parts (lib/org/members.py, lib/org/sweepnotify.py).
        self._notify_hook = notify_hook or (
            lambda report, state, **o: notifications.attach(report, settings, state, **o))
        self._simulated = False
        self.state = NO_STATE
        self.heads_up = None  # set per run: how far ahead dated requests get a read-only heads-up
        self._hard_end = None  # set per run: when the function's time is up (None: not known)
        self._pacing = None  # set per run: its request pacing (lib/cloud/pacing.py)

    # -- one bucket ---------------------------------------------------------------------
    def evaluate(self, ref: BucketRef, checker: Checker, budget: Budget, dry_run: bool) -> reports.Result:
        trace = Trace()
        try:
            decision = self._decide(ref, checker, budget, dry_run, trace)
        except Exception as exc:  # a fault of ours must end in `error`, never in an unbind
            decision = Decision("error", ({"code": "internal_error",
                                           "message": f"{type(exc).__name__}: {exc}"[:300]},))
        return reports.Result(ref, decision.outcome, list(decision.reasons), trace.calls)

    def _decide(self, ref, checker, budget, dry_run, trace) -> Decision:
        facts = Facts(ref=ref, started_after_deadline=budget.past_deadline(), cap_full=budget.cap_full(),
                      heads_up=self.heads_up,
                      owner_unknown=accounts.unknown_reason(self.account) if self.account.unknown else None)
        kept = True  # what a granted slot counts as if anything goes wrong: an unbind, maybe
        try:
            for _ in range(_MAX_STEPS):
                decision = decide(facts, self.settings, self._now(), dry_run)
                if not isinstance(decision, Need):
                    break
                if decision.what == NEED_SLOT:
                    facts.slot = budget.reserve()
                else:
                    checker.gather(decision.what, facts, trace)
            else:
                raise RuntimeError("the decision did not settle")
            if decision.action == UNBIND:
                held_back = self.state.before_unbind(ref, checker.ci, trace)  # lease, daily cap
                if held_back is not None:
                    kept = False
                    return held_back
                decision = None  # what after_unbind sees if the unbind breaks off
                try:
                    decision = self._unbind(ref, checker.ci, budget, trace)
                finally:
                    self.state.after_unbind(ref, trace, decision)
                kept = decision.outcome != "refused"  # a refusal changed nothing
            return decision
        finally:
            if facts.slot == GRANTED:
                budget.settle(kept)

    def _unbind(self, ref, ci: CIClient, budget: Budget, trace: Trace) -> Decision:
        try:
            request_id = ci.unbind(ref, trace)
        except UnbindRefused as no:
            return refused(no.http_status, no.code, no.message, no.request_id)
        except ApiError as err:
            return failed_unbind(err)
        # Confirm by reading the status back. Each read is tried once: the loop is the retry, and
        # it stops before the function's time runs out.
        status, error = None, None
        for pause in VERIFY_PAUSES:
            if pause:
                if budget.past_hard_end():
                    break
                self._sleep(pause)
            try:
                status, error = ci.status(ref, trace, retry=NO_RETRY), None
            except ApiError as err:
                status, error = None, err
            if status in ("unbinding", "off"):
                break
        return after_unbind(request_id, status, error)

    # -- one invocation -----------------------------------------------------------------
    def run(self, trigger, context, started: Optional[float] = None) -> dict:
        try:
            return self._run(trigger, context, started)
        finally:
            pacing.end(self._pacing)  # this invocation's pacing only: another run's stays

    def _run(self, trigger, context, started: Optional[float] = None) -> dict:
        started = self._clock() if started is None else started
        self._simulated = simulated(context)
        run_id = str(context_value(context, "request_id") or new_run_id())
        dry_run = self.settings.dry_run or trigger.dry_run is True
        extra = {}
        if trigger.shard is not None:
            extra["shard"] = trigger.shard.as_dict()
        if trigger.kind == "event":
            extra["event_ids"] = list(trigger.event_ids)
            if trigger.ignored:
                extra["ignored"] = list(trigger.ignored)
            if trigger.unreadable:
                extra["unreadable_events"] = list(trigger.unreadable)
        limit = preflight.budget_limit(trigger.kind, time_limit(context))
        short = preflight.too_short(limit, margin_for)
        if short is not None:
            return self._finish(reports.build(trigger.kind, dry_run, run_id, [], error=short), started)
        self._pacing = preflight.start_pacing(self.settings.max_rps, self._clock, self._sleep,
                               None if limit is None else started + max(limit - 1.0, 0.0))
        located = preflight.locate(self.cloud.locator, getattr(trigger, "unlocated", ()))
        if located.calls or located.failures:
            extra["located"] = {"asked": len(located.refs) + len(located.failures), "found": len(located.refs),
                                "calls": located.calls}
        self.state = open_state(self.settings, self.cloud.clients, run_id, time_limit(context), self._now,
                                self.cloud.retry)
        if trigger.shard is not None and trigger.kind == "manual":  # a fan-out's shard
            shard = trigger.shard
            self.state.share_sweep_cap(shard.coordinator_run_id, self.settings.max_per_run, shard.index, shard.of)
        if self.state.check() is not None and not dry_run:  # no unbind without a working state bucket
            return self._finish(reports.build(trigger.kind, dry_run, run_id, [], **extra), started)

        if trigger.kind == "timer":
            try:
                found = self.cloud.finder().find(self.settings.tag_key)
            except Exception as exc:  # an ApiError, or the SDK refusing the credentials before any call
                err = exc if isinstance(exc, ApiError) else ApiError(
                    api="tag:GetResources", code="ClientError", message=f"{type(exc).__name__}: {exc}"[:300])
                error = {**err.as_reason(), "code": "discovery_failed"}
                return self._finish(reports.build("timer", dry_run, run_id, [], error=error), started)
            refs = found.buckets
            extra["discovery"] = {"resources": found.resources, "buckets": len(refs),
                                  "ignored": found.ignored, "request_ids": found.request_ids}
        else:
            refs = list(dict.fromkeys([*trigger.buckets, *located.refs]))

        budget = Budget(self.settings.max_per_run, self._clock, started, limit, reserve=self._end_reserve())
        self.heads_up = heads_up_window(self.settings.notify.notice_days, trigger.kind)
        self._hard_end = budget.hard_end
        write_cost = self._write_cost()
        if self.state is not NO_STATE and budget.hard_end is not None:
            self.state.time_left = lambda: budget.hard_end - self.digest_reserve() - self._clock()
        services = ServiceIndex(self.cloud.ci, [r for r in refs if self.settings.region_allowed(r.region)],
                                self.settings.blocking_services)
        checker = Checker(self.cloud.ci, self.cloud.tags, services)

        finished = itertools.count(1)
        tally = reports.CallTally()

        def one(ref):
            result = self.evaluate(ref, checker, budget, dry_run)
            as_dict = result.as_dict()
            self._log.emit({"msg": "bucket", "run_id": run_id, **as_dict})  # every call, always
            if self.state.will_write(as_dict):
                budget.keep_time(write_cost)
            tally.add(result.calls)
            if self._progress:
                self._progress(result, next(finished), len(refs))
            # Kept as the report holds it: one object per bucket until the run ends, not two.
            return result.for_report().as_dict()

        with services:
            results = each(one, refs, self.settings.concurrency)
        not_offered = services.not_offered()  # known only once the lists have answered
        if not_offered:
            extra["services_not_offered"] = not_offered
        for failure in located.failures:
            tally.add(failure.calls or [])
        report = reports.build(trigger.kind, dry_run, run_id, results + located.failures, **extra)
        if "unreadable_events" in extra:
            report["ok"] = False  # records of the batch were not acted on
        return self._finish(report, started, tally.total)

    # -- the end of a run, inside its time ----------------------------------------------------
    def digest_reserve(self) -> float:
        """Seconds kept for the digest: one send with its retry pause."""
        return DIGEST_SECONDS if self.settings.notify.enabled else 0.0

    def _end_reserve(self) -> float:
        # With a state bucket: its own records, and the writes of the buckets still in flight when
        # the deadline passes (each worker's), which decide after it and so keep no time themselves.
        state = STATE_END_SECONDS + self.settings.concurrency * self._write_cost() if self.settings.state_bucket else 0.0
        return state + self.digest_reserve()

    def _write_cost(self) -> float:
        """What one more state write adds to the end of the run: a slot at the shared rate, or a
        round trip shared by the writing threads, whichever is longer. A slot is held a second
        after its answer (lib/cloud/pacing.py), so at the rate a write takes a little more than
        1/rate: a quarter more is kept."""
        return max(1.25 / self.settings.max_rps, WRITE_SECONDS / max(self.settings.concurrency, 1))

    def _finish(self, report: dict, started: float, calls: int = 0) -> dict:
        report["elapsed_ms"] = int((self._clock() - started) * 1000)
        report["account"] = self.account.as_dict()
        if self._simulated:
            report["simulated"] = True
        secrets = self._secrets
        # Scrubbed before the state stores it, and again after: its failures quote what services said.
        report = reports.scrub(self.state.finish(reports.scrub(report, secrets)), secrets)
        # The digest last, after every decision and the state's own verdict (a state bucket that
        # failed makes `ok` false, and a run that is not ok always notifies), within the time.
        report = self._notify_hook(report, self.state, sleep=self._sleep, monotonic=self._clock,
                                   deadline=self._hard_end)
        for key in ("notify", "state"):  # what the end of the run adds may quote what a service said
            if key in report:
                report[key] = reports.scrub(report[key], secrets)
        report["elapsed_ms"] = int((self._clock() - started) * 1000)  # the whole invocation, its end included
        total = calls + len(report.get("discovery", {}).get("request_ids", []))
        total += 1 if self.account.request_id or self.account.error else 0
        self._log.emit({"msg": "run", "run_id": report["run_id"], "ok": report["ok"],
                        "trigger": report["trigger"], "dry_run": report["dry_run"],
                        "summary": report["summary"], "buckets": len(report["results"]), "calls": total,
                        "account": report["account"],
                        "elapsed_ms": report["elapsed_ms"], "error": report.get("error"),
                        "notify": report.get("notify"), "settings": public_view(self.settings)})
        return report


def each(fn, items: list, workers: int) -> list:
    """fn over items on `workers` threads, the answers in order. Each thread takes the next item
    when it is free: a pool's map would make a future per item up front, about a kilobyte each,
    which for an event of 200,000 buckets is most of the function's memory."""
    if not items:
        return []
    out: list = [None] * len(items)
    order = iter(range(len(items)))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                i = next(order, None)
            if i is None:
                return
            out[i] = fn(items[i])

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        for done in [pool.submit(work) for _ in range(min(workers, len(items)))]:
            done.result()  # a fault of ours in one worker is the run's, not a silent gap
    return out


def new_run_id() -> str:
    # Only for a context without a request id (SCF always gives one). No cold-start saving in
    # importing it here: cos-python-sdk-v5 imports uuid at load (qcloud_cos/streambody.py).
    import uuid

    return str(uuid.uuid4())


def secrets_of(settings: Settings) -> list:
    """Every value the run's logs, reports and stored records must never show."""
    cred = settings.credentials
    return [cred.secret_id, cred.secret_key, cred.token or ""] + settings.notify.secrets()
