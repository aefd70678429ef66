"""Invocations that involve member accounts: a shard worker, and a sweep of every listed account
within one invocation (CI_UNBIND_FANOUT=off). The coordinator of a fan-out is lib/org/fanout.py.

A member account's CI, COS and Tag calls go out with that account's assumed-role keys; its buckets
are decided by the same Runner as any other, so every rule (live tags, blockers, caps, dry run)
holds unchanged. A role that cannot be assumed is an error for that account alone.
"""

import dataclasses
import time
from collections import Counter

from .. import notify as notifications
from .. import report as reports
from .. import run as runs
from ..budget import context_value, time_limit
from ..cloud.errors import ApiError
from ..decide import OUTCOMES
from ..settings import Settings
from ..triggers import InvalidEvent, Trigger
from .access import Access, role_error


def applies(trigger: Trigger, settings: Settings) -> bool:
    """Whether this invocation is anything but the single-account run of before."""
    if trigger.shard is not None:
        return True
    return trigger.kind == "timer" and (settings.fanout.fanout or bool(settings.fanout.accounts))


def check_event(trigger: Trigger, settings: Settings) -> None:
    """A shard may name only a listed account: raised as InvalidEvent before anything is called."""
    if trigger.shard is not None:
        from .shard import InvalidShard, check  # loaded already: the event's shard was parsed with it

        try:
            check(trigger.shard, settings.fanout)
        except InvalidShard as err:
            raise InvalidEvent(f"manual event: {err}") from None


def run_shard(trigger: Trigger, context, settings: Settings, access: Access, connect_fn, log, started,
              runner_options) -> dict:
    shard = trigger.shard
    run_id = context_value(context, "request_id")
    from .sweepnotify import after_shard  # a shard's end, with one digest for its whole sweep

    def notify_hook(report, state, **options):
        return after_shard(report, state, settings, shard, **options)

    try:
        runner = access.runner(shard.account, connect_fn, log, {**runner_options, "notify_hook": notify_hook},
                               **shard.limits(settings.max_rps, settings.max_per_run))
    except ApiError as err:
        report = reports.failed("assume_role_failed", str(err), str(run_id or runs.new_run_id()), trigger.kind,
                                settings.dry_run, runs.secrets_of(settings))
        report["error"] = role_error(err)
        report["shard"] = shard.as_dict()
        # No run, so no record for its coordinator to find: the shard says its own failure.
        report = notifications.attach(report, settings, None, sleep=runner_options.get("sleep", time.sleep))
        reports.log_run(log, report)
        return report
    return runner.run(trigger, context, started=started)


def sweep_accounts(trigger: Trigger, context, settings: Settings, access: Access, connect_fn, log, started,
                   runner_options) -> dict:
    """Every account in turn within this invocation, sharing its per-run cap and time budget."""
    from .shard import Shard  # only a sweep of member accounts needs it (cold start)

    clock = runner_options.get("clock")
    results, parts = [], []
    remaining = settings.max_per_run
    dry_run = settings.dry_run
    run_id = str(context_value(context, "request_id") or runs.new_run_id())
    names = settings.fanout.names
    # The parts send nothing: the sweep sends one digest for every account when all are done.
    quiet_parts = {**runner_options, "notify_hook": lambda report, _state, **_o: report}
    for index, name in enumerate(names):
        try:
            runner = access.runner(name, connect_fn, log, quiet_parts, max_per_run=remaining)
        except ApiError as err:
            parts.append({"account": name, "ok": False, "buckets": 0, "error": role_error(err)})
            continue
        # Each account's part is its own run (its own id, in the log and in any stored history),
        # marked as a part of this one as a fan-out's shard is, so that history shows them together.
        part = Shard(name, run_id, index, len(names))
        sub = runner.run(dataclasses.replace(trigger, shard=part), _part_context(context, f"{run_id}.{index}"),
                         started=started)
        for result in sub["results"]:
            results.append({"account": name, **result})
        used = sub["summary"].get("unbound", 0) + sub["summary"].get("would_unbind", 0)
        remaining = max(remaining - used, 0)
        entry = {"account": name, "ok": sub["ok"], "buckets": len(sub["results"])}
        for key in ("discovery", "error"):
            if key in sub:
                entry[key] = sub[key]
        parts.append(entry)
    counts = Counter(r["outcome"] for r in results)
    now = (clock or time.monotonic)()
    report = {"ok": all(a["ok"] for a in parts), "trigger": trigger.kind, "dry_run": dry_run,
              "run_id": run_id,
              "summary": {o: counts[o] for o in OUTCOMES if counts[o]}, "results": results, "accounts": parts,
              "elapsed_ms": int((now - started) * 1000)}
    if context_value(context, "simulated") is True:
        report["simulated"] = True
    report = reports.scrub(report, log.secrets)
    report = _notify_sweep(report, settings, connect_fn, context, started, runner_options)
    # Each account's run wrote its own run line; this one ties them together.
    log.emit({"msg": "accounts", "run_id": report["run_id"], "ok": report["ok"], "summary": report["summary"],
              "accounts": [{k: a[k] for k in ("account", "ok", "buckets")} for a in parts]})
    return report


def _notify_sweep(report: dict, settings: Settings, connect_fn, context, started, runner_options) -> dict:
    """The sweep's one digest, over every account's buckets, quiet when nothing changed since the
    last (the record of what was notified lives in the central state bucket, as a single run's)."""
    if not settings.notify.enabled:
        return report
    store = None
    if settings.state_bucket:
        from ..state.store import StateStore  # only a run with a state bucket loads it (cold start)

        store = StateStore(connect_fn(settings).clients, settings.state_bucket, settings.state_region,
                           settings.state_prefix)
    limit = time_limit(context)
    clock = runner_options.get("clock", time.monotonic)
    return notifications.attach(report, settings, store, sleep=runner_options.get("sleep", time.sleep),
                                monotonic=clock, deadline=None if limit is None else started + limit - 1.0)


def _part_context(context, request_id: str) -> dict:
    keys = ("time_limit_in_ms", "function_name", "namespace", "function_version", "tencentcloud_region", "simulated")
    out = {k: context_value(context, k) for k in keys if context_value(context, k) is not None}
    return {**out, "request_id": request_id}


def handle(trigger: Trigger, context, settings: Settings, *, connect_fn, log, started, identity=None,
           **runner_options) -> dict:
    access = Access(settings, context, identity)
    if trigger.shard is not None:
        return run_shard(trigger, context, settings, access, connect_fn, log, started, runner_options)
    if settings.fanout.fanout:
        from .fanout import coordinate

        return coordinate(trigger, context, settings, access, connect_fn, log, started, runner_options)
    return sweep_accounts(trigger, context, settings, access, connect_fn, log, started, runner_options)
