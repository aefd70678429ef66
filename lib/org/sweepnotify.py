"""One sweep, one digest: a fanned-out or multi-account sweep notifies once, for all its parts.

A sweep over member accounts within one invocation sends its digest when every account is done
(`lib/org/members.py`). A fan-out cannot: the coordinator does not wait for its shards. So each
shard, once its run is recorded, leaves its part in the state bucket (`sweeps/<run>/shard-<i>.json`:
what a digest may list, never the skipped or deferred buckets) and counts the parts there; the
shard that finds all `of` of them claims `sweeps/<run>/digest.json` (create-if-absent, so exactly one
claims it) and sends the sweep's digest. A sweep whose shards did not all record (one was never
started, or died) is finished by the next coordinator: it claims the last sweep's digest if no one
did and sends what its shards left, saying how many are missing.

Quiet when nothing changed holds across accounts and shards, since the one digest goes through
the same record of what was last notified as a single run's.
"""

import re
from collections import Counter
from typing import Optional

from .. import notify as notifications
from ..decide import OUTCOMES
from ..state.history import merge_index

PREFIX = "sweeps/"
LAST = f"{PREFIX}last.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_PART_RE = re.compile(r"shard-(?P<i>[0-9]{6})\.json")


def _folder(run_id: str) -> str:
    return f"{PREFIX}{_UNSAFE.sub('_', str(run_id))[:100]}/"


def part_key(run_id: str, index: int) -> str:
    return f"{_folder(run_id)}shard-{index:06d}.json"


def claim_key(run_id: str) -> str:
    return f"{_folder(run_id)}digest.json"


def part_of(report: dict, account: str) -> dict:
    """What a shard leaves for the sweep's digest: its verdict, counts, and the buckets a digest
    may name (a skipped bucket only with a heads-up)."""
    keep = [{**r, "account": account} for r in report.get("results", [])
            if r.get("outcome") not in ("skipped", "deferred") or notifications_heads_up(r)]
    part = {k: report[k] for k in ("ok", "dry_run", "summary", "shard", "error", "state") if k in report}
    return {**part, "results": keep}


def notifications_heads_up(result: dict) -> bool:
    return any(isinstance(r, dict) and r.get("heads_up") for r in result.get("reasons") or [])


def combined(run_id: str, parts: list, of: int, dry_run: bool) -> dict:
    """The sweep's report as one digest sees it: every part's buckets and counts, `ok` only when
    every shard recorded and was ok."""
    counts: Counter = Counter()
    results = []
    for part in parts:
        counts.update({o: n for o, n in (part.get("summary") or {}).items() if isinstance(n, int)})
        results.extend(part.get("results") or [])
    report = {"ok": len(parts) == of and all(p.get("ok") for p in parts), "trigger": "timer", "dry_run": dry_run,
              "run_id": run_id, "summary": {o: counts[o] for o in OUTCOMES if counts[o]}, "results": results}
    if len(parts) < of:
        report["error"] = {"code": "shards_missing", "message": f"{of - len(parts)} of {of} shards recorded no result"}
    return report


def _objects(store):
    """The object store under a run's State (or the store itself)."""
    return getattr(store, "store", store)


def _parts(store, run_id: str) -> list:
    store = _objects(store)
    found = []
    for info in store.list(_folder(run_id)):
        if _PART_RE.fullmatch(info.key.rsplit("/", 1)[-1]):
            part = store.get_json(info.key)
            if isinstance(part, dict):
                found.append(part)
    return found


def _merged_index(parts: list) -> dict:
    delta: dict = {}
    for part in parts:
        if isinstance(part.get("index"), dict):
            delta.update(part["index"])
    return delta


def after_shard(report: dict, state, settings, shard, **options) -> dict:
    """A shard's end: leave its part (its buckets for the digest, its new index entries), and if it
    is the last of its sweep, merge the sweep's index entries (one writer: no lost updates) and
    send the sweep's digest. Never raises: a failure is the shard report's `notify` entry (or its
    state failures) and makes it not ok."""
    store = notifications.usable_store(state)
    if store is None:  # no state bucket to meet in: each shard says its own (the old way)
        return notifications.attach(report, settings, state, **options)
    run_id = shard.coordinator_run_id
    objects = _objects(store)
    try:
        objects.put_json(part_key(run_id, shard.index),
                         {**part_of(report, shard.account), "index": getattr(state, "index_delta", None) or {}})
        parts = _parts(objects, run_id)
        last = len(parts) >= shard.of and objects.create_json(claim_key(run_id), {"by": report.get("run_id")})
        if last:
            merge_index(objects, _merged_index(parts))
    except Exception as exc:
        why = exc.as_reason() if hasattr(exc, "as_reason") else f"{type(exc).__name__}: {exc}"
        failure = f"recording the shard for its sweep failed: {why}"[:300]
        if settings.notify.enabled:
            report["notify"] = {"sent": False, "failed": True, "sweep": run_id, "error": failure}
        report.setdefault("state", {}).setdefault("failures", []).append({"what": "sweep", "message": failure})
        report["ok"] = False
        return report
    if not settings.notify.enabled:
        return report
    if not last:
        report["notify"] = {"sent": False, "failed": False, "error": None, "sweep": run_id,
                            "parts": len(parts), "of": shard.of}
        return report
    sweep = notifications.attach(combined(run_id, parts, shard.of, report.get("dry_run", True)), settings, state,
                                 **options)
    report["notify"] = {**sweep.get("notify", {}), "sweep": run_id}
    if report["notify"].get("failed") or report["notify"].get("state_error"):
        report["ok"] = False
    return report


def before_sweep(store, settings, run_id: str, of: int, dry_run: bool, **options) -> Optional[dict]:
    """A coordinator's start: finish the last sweep's digest if none of its shards could, and note
    this sweep as the last. The notify outcome of the last sweep's digest, if one was sent."""
    out = None
    objects = _objects(store)
    try:
        last = objects.get_json(LAST)
        if isinstance(last, dict) and isinstance(last.get("run_id"), str) and isinstance(last.get("of"), int) \
                and last["of"] > 0 and objects.create_json(claim_key(last["run_id"]), {"by": run_id}):
            parts = _parts(objects, last["run_id"])
            merge_index(objects, _merged_index(parts))
            if settings.notify.enabled:
                report = combined(last["run_id"], parts, last["of"], bool(last.get("dry_run", True)))
                out = notifications.attach(report, settings, store, **options).get("notify")
        if of:
            objects.put_json(LAST, {"run_id": run_id, "of": of, "dry_run": dry_run})
    except Exception as exc:
        return {"sent": False, "failed": True,
                "error": f"finishing the last sweep's digest failed: {type(exc).__name__}: {exc}"[:300]}
    return out
