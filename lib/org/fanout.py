"""The coordinator (CI_UNBIND_FANOUT=on): find each account's tagged buckets, cut them into shards
and run this same function once per shard through SCF asynchronous invocations.

The coordinator decides and unbinds nothing. It keeps at most CI_UNBIND_MAX_INVOCATIONS shards
running, asking SCF (GetAsyncEventStatus) when one ends before starting the next, and stops starting
shards at its own time budget. A shard it could not start is reported with its buckets; the next
sweep finds those buckets again. A shard it lost sight of (a status it could not read) still counts
as running: the limit is never exceeded on a guess. With a state bucket it then waits for its
shards to end and finishes the sweep (lib/org/sweepnotify.py): one index merge, one digest.
"""

import json
import os
import re
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from .. import notify as notifications
from .. import preflight
from .. import report as reports
from ..budget import context_value, margin_for, time_limit
from ..clock import utc_now
from ..cloud import pacing
from ..cloud.errors import ApiError
from ..cloud.scf import FINAL_STATES, FunctionInvoker
from ..state import open_state
from .access import Access, region_of, role_error

POLL_SECONDS = 2.0
DEFAULT_LIMIT = 900.0
DISCOVERY_THREADS = 8
# Kept from the coordinator's time for the sweep's end: finding the shards' records, the index
# merge, the digest (3 s) and its own record.
FINISH_SECONDS = 15.0


# What of SCF's 128 KB a shard's bucket list may take: the rest is the shard block and the JSON around.
EVENT_BUCKET_BYTES = 120 * 1024


def cut(refs: list, size: int, max_bytes: int = EVENT_BUCKET_BYTES) -> list[list]:
    """Shards of at most `size` buckets whose event lists take at most `max_bytes`."""
    shards, current, used = [], [], 0
    for ref in refs:
        cost = len(json.dumps({"bucket": ref.bucket, "region": ref.region})) + 2  # ", " between entries
        if current and (len(current) >= size or used + cost > max_bytes):
            shards.append(current)
            current, used = [], 0
        current.append(ref)
        used += cost
    if current:
        shards.append(current)
    return shards


def shard_event(account: str, run_id: str, index: int, of: int, refs, dry_run: bool,
                shares: Optional[dict] = None) -> dict:
    event = {"buckets": [{"bucket": r.bucket, "region": r.region} for r in refs],
             "shard": {"account": account, "coordinator_run_id": run_id, "index": index, "of": of,
                       **(shares or {})}}
    if dry_run:
        event["dry_run"] = True
    return event


# SCF's names: a function 2-60 letters, digits, - and _ (a letter first); a namespace likewise; a
# qualifier $LATEST, $DEFAULT, a version number or an alias name.
_FUNCTION_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]")
_QUALIFIER_RE = re.compile(r"\$LATEST|\$DEFAULT|[0-9]{1,10}|[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]")


def function_of(context) -> Optional[dict]:
    """This function's name, namespace, version and region, for invoking itself: from the SCF
    context, or the environment SCF sets. None when they are missing or not valid names (then
    nothing is dispatched)."""
    value = context_value
    target = {"function": str(value(context, "function_name") or os.environ.get("SCF_FUNCTIONNAME") or ""),
              "namespace": str(value(context, "namespace") or "default"),
              "qualifier": str(value(context, "function_version") or os.environ.get("SCF_FUNCTIONVERSION")
                               or "$LATEST"),
              "region": region_of(context)}
    if not (_FUNCTION_RE.fullmatch(target["function"]) and _FUNCTION_RE.fullmatch(target["namespace"])
            and _QUALIFIER_RE.fullmatch(target["qualifier"]) and target["region"]):
        return None
    return target


def at_once(plans: list, settings) -> dict:
    """How many shards of each account may run at once: the invocation limit, and no more than the
    account's rate can give one request a second each."""
    per_account = Counter(account for account, _refs in plans)
    return {account: max(1, min(settings.fanout.max_invocations, n, settings.max_rps))
            for account, n in per_account.items()}


def coordinator_rps(settings) -> int:
    """The coordinator's own pace on CI and COS (its state bucket, in the central account) while its
    shards run: a tenth of the account's rate, and what it keeps back from the shards' shares."""
    return max(1, settings.max_rps // 10)


def shares(plans: list, settings, running: dict) -> list[dict]:
    """Each shard's part of the sweep's limits. The account's rate is divided by its shards running
    at once, so no second holds more than CI_UNBIND_MAX_RPS of its requests. The sweep's cap is
    the sweep's: a shard may use all of it, and its unbinds take the sweep's slots in the state
    bucket (lib/state/daycap.py, sweep_cap), so that every shard and account together unbind at
    most CI_UNBIND_MAX_PER_RUN, and the shards with the work get the slots."""
    rate = max(1, settings.max_rps - coordinator_rps(settings))  # the coordinator's own calls go on
    return [{"max_rps": max(1, rate // running[account]), "max_per_run": settings.max_per_run}
            for account, _refs in plans]


class Dispatcher:
    """Starts shards, at most `limit` running at once, and at most `per_account[a]` of account a.

    A shard's place is freed a second after it was seen to end: its last requests and the next
    shard's first never fall in the same second of the account's rate."""

    def __init__(self, invoker, limit: int, clock, sleep, poll: float, deadline: Optional[float],
                 per_account: Optional[dict] = None):
        self._invoker, self._limit, self._clock, self._sleep = invoker, limit, clock, sleep
        self._poll, self._deadline = poll, deadline
        self._per_account = per_account or {}
        self._ended: dict = {}  # account -> when its shards were last seen ending
        self.running: dict = {}  # request id -> entry, of the shards not yet seen to end
        self.invocations = 0
        self.status_calls = 0

    def _past(self) -> bool:
        return self._deadline is not None and self._clock() >= self._deadline

    def _refresh(self, running: dict) -> None:
        for request_id, entry in list(running.items()):
            self.status_calls += 1
            try:
                state = self._invoker.status(request_id)
            except ApiError as err:
                entry["status_error"] = err.as_reason()
                continue
            entry["status"] = state
            entry.pop("status_error", None)
            if state in FINAL_STATES:
                del running[request_id]
                self._ended[entry["account"]] = self._clock()

    def _startable(self, pending: deque, running: dict) -> Optional[int]:
        """The position of the first pending shard whose account has room now, or None."""
        if len(running) >= self._limit:
            return None
        now = self._clock()
        busy = Counter(e["account"] for e in running.values())
        for i, (entry, _event) in enumerate(pending):
            account = entry["account"]
            if busy[account] < self._per_account.get(account, self._limit) and (
                    account not in self._ended or now - self._ended[account] >= 1.0):
                return i
        return None

    def run(self, entries: list[dict], events: list[dict]) -> None:
        pending = deque(zip(entries, events))
        running = self.running
        while pending:
            if self._past():
                break
            i = self._startable(pending, running)
            if i is None:
                self._refresh(running)
                if self._startable(pending, running) is None:
                    self._sleep(self._poll if running else 1.0)
                continue
            entry, event = pending[i]
            del pending[i]
            self.invocations += 1
            try:
                entry["request_id"] = self._invoker.dispatch(event)
            except ApiError as err:
                entry.update(dispatched=False, reasons=[err.as_reason()], bucket_list=event["buckets"])
                continue
            entry.update(dispatched=True, status="RUNNING")
            running[entry["request_id"]] = entry
        for entry, event in pending:
            entry.update(dispatched=False, reasons=[{"code": "deadline"}], bucket_list=event["buckets"])

    def wait(self, until: float) -> bool:
        """Wait for the started shards to end, until `until`; whether they all did."""
        while self.running and self._clock() < until:
            self._sleep(min(self._poll, max(until - self._clock(), 0.0)))
            self._refresh(self.running)
        return not self.running


def _discover(access: Access, connect_fn, settings, name: str) -> dict:
    try:
        creds = access.credentials(name)
    except ApiError as err:
        return {"account": name, "ok": False, "error": role_error(err)}
    member = access.settings_for(name, creds)
    try:
        found = connect_fn(member).finder().find(settings.tag_key)
    except ApiError as err:
        return {"account": name, "ok": False, "error": {**err.as_reason(), "code": "discovery_failed"}, "creds": creds}
    return {"account": name, "ok": True, "refs": found.buckets, "creds": creds,
            "discovery": {"resources": found.resources, "buckets": len(found.buckets),
                          "ignored": found.ignored, "request_ids": found.request_ids}}


def coordinate(trigger, context, settings, access: Access, connect_fn, log, started, runner_options,
               invoker_factory=FunctionInvoker) -> dict:
    clock = runner_options.get("clock", time.monotonic)
    sleep = runner_options.get("sleep", time.sleep)
    limit = time_limit(context)
    # The coordinator's own CI and COS calls (its state bucket) keep to the tenth of the account's
    # rate that the shards' shares leave it.
    own = preflight.start_pacing(coordinator_rps(settings), clock, sleep,
                                 None if limit is None else started + max(limit - 1.0, 0.0))
    try:
        return _coordinate(trigger, context, settings, access, connect_fn, log, started, runner_options,
                           invoker_factory, clock, sleep)
    finally:
        pacing.end(own)


def _coordinate(trigger, context, settings, access, connect_fn, log, started, runner_options, invoker_factory,
                clock, sleep) -> dict:
    run_id = str(context_value(context, "request_id") or "")
    names = settings.fanout.names
    with ThreadPoolExecutor(max_workers=min(DISCOVERY_THREADS, len(names))) as pool:
        found = list(pool.map(lambda n: _discover(access, connect_fn, settings, n), names))
    for item in found:
        if item.get("creds") is not None:
            creds = item.pop("creds")
            log.add_secrets(creds.secret_id, creds.secret_key, creds.token or "")

    plans = [(item["account"], refs) for item in found if item["ok"]
             for refs in cut(item["refs"], settings.fanout.shard_size)]
    running = at_once(plans, settings)
    parts = shares(plans, settings, running)
    entries = [{"account": account, "index": i, "of": len(plans), "buckets": len(refs), **parts[i]}
               for i, (account, refs) in enumerate(plans)]
    events = [shard_event(account, run_id, i, len(plans), refs, settings.dry_run, parts[i])
              for i, (account, refs) in enumerate(plans)]

    error = None
    earlier_done, sweep, finished = None, None, None
    target = function_of(context)
    dispatcher = None
    now = runner_options.get("now", utc_now)
    # The state bucket is checked before any shard starts: in live mode a shard would refuse to
    # unbind without it anyway, and the coordinator's own report is stored there. No start record:
    # the sweep's mark is the coordinator's first write (an unchanged sweep writes two objects).
    state = open_state(settings, connect_fn(settings).clients, run_id, time_limit(context), now)
    state_error = state.check(write_start=False)
    stateful = bool(settings.state_bucket) and state_error is None
    if plans and not settings.dry_run and not settings.state_bucket:
        # The sweep's cap and its one digest are kept across shards in the state bucket, and a
        # shard's lease is what stops two of them unbinding one bucket: a live fan-out needs it.
        error = {"code": "state_required", "message": "a live fan-out (CI_UNBIND_FANOUT=on, CI_UNBIND_DRY_RUN=false) "
                 "needs a state bucket: set CI_UNBIND_STATE_BUCKET and CI_UNBIND_STATE_REGION"}
    elif plans and state_error is not None and not settings.dry_run:
        error = state_error
    elif plans and target is None:
        error = {"code": "fanout_unavailable",
                 "message": "the SCF context names no valid function, namespace, version and region to invoke"}
    elif plans:
        from .sweepnotify import before_sweep, finish, mark

        invoker = invoker_factory(settings.credentials, target.pop("region"), **target, clock=clock, sleep=sleep)
        # Without a limit in the context, SCF's longest for an event function: never wait forever.
        limit = time_limit(context) or DEFAULT_LIMIT
        deadline = started + max(limit - margin_for(limit), 0.0)
        begun = now()
        if stateful:
            # Earlier sweeps' ends, if their coordinators could not see them through; then this one's mark.
            earlier_done, earlier = before_sweep(state, settings, invoker.status, begun, sleep=sleep, monotonic=clock)
            try:
                mark(state, earlier, run_id, len(plans), settings.dry_run, state.run_key, begun)
            except Exception as exc:  # a StateError: the role cannot write, or the bucket failed
                stateful = False
                if not settings.dry_run:
                    error = exc.as_reason() if hasattr(exc, "as_reason") else {
                        "code": "state_unavailable", "message": f"{type(exc).__name__}: {exc}"[:300]}
        if error is None:
            dispatcher = Dispatcher(invoker, settings.fanout.max_invocations, clock, sleep,
                                    runner_options.get("poll_seconds", POLL_SECONDS), deadline, running)
            dispatcher.run(entries, events)
            if stateful:
                finished = dispatcher.wait(deadline - FINISH_SECONDS)
                if finished:
                    # What the shards that ended saw, for the record of what was notified to forget the rest.
                    present = [f"{b['region']}/{b['bucket']}" for e, ev in zip(entries, events)
                               if e.get("status") == "FINISHED" for b in ev["buckets"]]
                    try:
                        sweep = finish(state, settings, run_id, entries, begun, now(), settings.dry_run, present,
                                       sleep=sleep, monotonic=clock, deadline=deadline)
                    except Exception as exc:  # nothing was sent: the next coordinator finishes it
                        why = exc.as_reason().get("message") if hasattr(exc, "as_reason") else f"{type(exc).__name__}: {exc}"
                        sweep = {"failed": True, "error": f"finishing the sweep failed: {why}"[:300]}
                        finished = False
    if error is not None:
        for entry, event in zip(entries, events):
            entry.update(dispatched=False, reasons=[error], bucket_list=event["buckets"])

    accounts = [{"account": item["account"], "ok": item["ok"], "buckets": len(item.get("refs", [])),
                 **({"discovery": item["discovery"]} if "discovery" in item else {}),
                 **({"error": item["error"]} if "error" in item else {})} for item in found]
    ok = (error is None and all(a["ok"] for a in accounts)
          and all(e.get("dispatched") and e.get("status") not in ("FAILED", "ABORTED") for e in entries))
    fanout = {"accounts": accounts, "shards": entries, "invocations": dispatcher.invocations if dispatcher else 0,
              "status_calls": dispatcher.status_calls if dispatcher else 0}
    if finished is not None:
        fanout["finished"] = finished  # False: the next coordinator finishes this sweep
    report = reports.build(trigger.kind, settings.dry_run, run_id, [], error=error, fanout=fanout)
    report["ok"] = ok
    if earlier_done:
        report["earlier_sweeps"] = earlier_done
        if any(d.get("failed") or (d.get("notify") or {}).get("failed") for d in earlier_done):
            report["ok"] = ok = False
    if sweep is not None:
        if "notify" in sweep:
            report["notify"] = sweep.pop("notify")
            ok = ok and not (report["notify"].get("failed") or report["notify"].get("state_error"))
        report["sweep"] = sweep
        report["ok"] = ok = ok and not sweep.get("failed")
    if not ok and sweep is None and not any(e.get("dispatched") for e in entries):
        # No shard will say anything: the coordinator's own failure is the sweep's one digest.
        report = notifications.attach(report, settings, state, sleep=sleep, monotonic=clock)
    report["elapsed_ms"] = int((clock() - started) * 1000)
    if context_value(context, "simulated") is True:
        report["simulated"] = True
    # Scrubbed before the state stores it, and again after: its failures quote what services said.
    report = reports.scrub(state.finish(reports.scrub(report, log.secrets)), log.secrets)
    ok = report["ok"]
    log.emit({"msg": "run", "run_id": run_id, "ok": ok, "trigger": trigger.kind, "dry_run": settings.dry_run,
              "summary": {}, "buckets": sum(e["buckets"] for e in entries), "shards": len(entries),
              "dispatched": sum(1 for e in entries if e.get("dispatched")), "elapsed_ms": report["elapsed_ms"],
              "error": error})
    return report
