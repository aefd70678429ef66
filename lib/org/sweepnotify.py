"""One sweep, one digest, and an unchanged sweep that writes next to nothing.

A sweep over member accounts within one invocation sends its digest when every account is done
(`lib/org/members.py`). A fan-out's coordinator sees its sweep through:

- it marks the sweep (`sweeps/last.json`: its run id, shard count, where its record will go), which
  is also its first write to the state bucket, then starts the shards and waits for them to end;
- a shard with news (a bucket written, a bucket a digest would list, anything not ok) writes its
  run record, with its new index entries and its heads-up buckets; a shard with nothing new writes
  nothing at all;
- when every shard has ended, the coordinator finds their records (`runs/<day>/`, by the shards'
  request ids), merges their index entries once, and sends the sweep's one digest. A shard that
  ended (SCF says FINISHED) without a record had nothing new; one that failed, or never started,
  is missing, and the digest says so;
- a coordinator whose time ran out first leaves that to the next one, which finds the last sweep
  through its mark and finishes it (asking SCF how the shards ended) before starting its own.

Quiet when nothing changed holds across accounts and shards: the one digest goes through the same
record of what was last notified as a single run's, and a digest sent twice says nothing new the
second time.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Callable, Optional

from .. import notify as notifications
from ..clock import iso_utc
from ..decide import OUTCOMES
from ..state.history import RUNS, merge_index, safe_id

PREFIX = "sweeps/"
LAST = f"{PREFIX}last.json"
_DAYS_AT_MOST = 3
# How long a coordinator that has not recorded its end may still be running: SCF's longest limit
# for an event-triggered function, and a minute for two clocks.
STILL_RUNNING_SECONDS = 960
MAX_LISTED = 10  # sweeps the mark keeps waiting for, this one included


def _objects(store):
    """The object store under a run's State (or the store itself)."""
    return getattr(store, "store", store)


def heads_up(result: dict) -> bool:
    return any(isinstance(r, dict) and r.get("heads_up") for r in result.get("reasons") or [])


def _wanted(settings):
    """Which of a shard's skipped or deferred buckets its sweep's digest may list."""
    if not settings.notify.enabled:
        return heads_up
    from ..notify import digest  # loaded only when notifications are on

    return lambda r: heads_up(r) or digest.wanted(r, settings.notify)


def _notify_news(report: dict, settings, store) -> bool:
    """Whether the sweep's digest would list any of this shard's buckets; True when it cannot tell."""
    if not settings.notify.enabled:
        return False
    try:
        from ..notify import changes  # loaded only when notifications are on

        chosen, _unchanged = changes.select(report, settings.notify, changes.LastNotified(store).load())
        return bool(chosen)
    except Exception:
        return True


def after_shard(report: dict, state, settings, shard, **options) -> dict:
    """A shard's end: its run record when it has news, nothing when it has none; the digest is the
    coordinator's. A shard that cannot leave its record says its own (noisy, never silent). Never
    raises: a failure to record is the report's state failure and makes it not ok."""
    store = notifications.usable_store(state)
    if store is None or not getattr(state, "sweep_part", False):
        # No state bucket to meet in (a dry run), or one that failed: the shard says its own.
        return notifications.attach(report, settings, state, **options)
    run_id = shard.coordinator_run_id
    delta = state.index_delta or {}
    news = not report.get("ok") or bool(delta) or _notify_news(report, settings, store)
    report["sweep"] = {"run_id": run_id, "recorded": news}
    if news:
        wanted = _wanted(settings)
        extra = {"index": delta, "heads_up": [r for r in report.get("results", [])
                                              if r.get("outcome") in ("skipped", "deferred") and wanted(r)]}
        failure = state.write_run(report, extra)
        if failure is not None:
            report.setdefault("state", {}).setdefault("failures", []).append(failure)
            report["ok"] = False
            report["sweep"]["recorded"] = False
            return notifications.attach(report, settings, None, **options)
    return report


def _days(since: datetime, now: datetime) -> list:
    first = max(since.date(), now.date() - timedelta(days=_DAYS_AT_MOST - 1))
    return [first + timedelta(days=n) for n in range((now.date() - first).days + 1)]


def _records(objects, request_ids: set, since: datetime, now: datetime) -> dict:
    """The shards' run records, by request id: their keys end in the shard's request id."""
    wanted = {f"{safe_id(rid)}.json": rid for rid in request_ids}
    found = {}
    for day in _days(since, now):
        for info in objects.list(f"{RUNS}{day:%Y/%m/%d}/"):
            rid = wanted.get(info.key.rsplit("/", 1)[-1][len("HHMMSS-"):])
            if rid is not None:
                record = objects.get_json(info.key)
                if isinstance(record, dict) and not record.get("unfinished"):
                    found[rid] = record
    return found


def combined(run_id: str, records: list, missing: int, of: int, dry_run: bool,
             present: Optional[list] = None) -> dict:
    """The sweep's report as one digest sees it: every recorded shard's buckets and counts; `ok`
    only when no shard is missing and every record was ok. `present`: every bucket the shards that
    ended saw (`region/bucket`), for the record of what was notified to forget the rest; None when
    not known (then it forgets nothing, `partial`)."""
    counts: Counter = Counter()
    results = []
    for record in records:
        account = (record.get("shard") or {}).get("account")
        counts.update({o: n for o, n in (record.get("summary") or {}).items() if isinstance(n, int)})
        results.extend({**r, "account": account} for r in [*(record.get("results") or []),
                                                           *(record.get("heads_up") or [])])
    report = {"ok": not missing and all(r.get("ok") for r in records), "trigger": "timer", "dry_run": dry_run,
              "run_id": run_id, "summary": {o: counts[o] for o in OUTCOMES if counts[o]}, "results": results}
    if present is None:
        report["partial"] = True
    else:
        report["present"] = present
    if missing:
        report["error"] = {"code": "shards_missing",
                           "message": f"{missing} of {of} shards failed, never started or never ended"}
    return report


def _claim_key(run_id: str) -> str:
    return f"{PREFIX}{safe_id(run_id)}/finished.json"


def finish(state, settings, run_id: str, entries: list, since: datetime, now: datetime, dry_run: bool,
           present: Optional[list] = None, **options) -> dict:
    """Every shard has ended (or will not): merge the shards' index entries, send the sweep's digest.
    Marks each entry `recorded` or `quiet`; returns what the sweep's end did. Raises StateError
    before anything is sent; the digest goes only with the sweep's claim (create-if-absent), so two
    finishers never both send."""
    objects = _objects(state)
    ids = {e["request_id"] for e in entries if e.get("request_id")}
    records = _records(objects, ids, since, now) if ids else {}
    quiet = 0
    for entry in entries:
        if entry.get("request_id") in records:
            entry["recorded"] = True
        elif entry.get("status") == "FINISHED":
            entry["quiet"] = True  # ended and wrote nothing: a shard not ok always records, or says its own
            quiet += 1
    missing = len(entries) - len(records) - quiet
    out = {"recorded": len(records), "quiet": quiet, "missing": missing}
    if not records and not missing:
        return out  # nothing new anywhere: nothing to merge, nothing to say
    delta: dict = {}
    for record in records.values():
        if isinstance(record.get("index"), dict):
            delta.update(record["index"])
    if not objects.create_json(_claim_key(run_id), {"at": iso_utc(now), "by": getattr(state, "run_id", None)}):
        return {**out, "claimed": False}  # another coordinator finished it
    merge_index(objects, delta)
    if settings.notify.enabled:
        report = combined(run_id, list(records.values()), missing, len(entries), dry_run, present)
        out["notify"] = {**notifications.attach(report, settings, state, **options).get("notify", {}),
                         "sweep": run_id}
    return out


def _sweeps(last) -> list:
    """The sweeps the mark lists (an older mark's one sweep is left to its own shards)."""
    if not isinstance(last, dict) or not isinstance(last.get("sweeps"), list):
        return []
    return [s for s in last["sweeps"] if isinstance(s, dict) and isinstance(s.get("record"), str)
            and isinstance(s.get("run_id"), str)]


def before_sweep(state, settings, status: Callable[[str], str], now: datetime, **options) -> tuple:
    """A coordinator's start: finish the earlier sweeps whose coordinators could not, and write what
    became of their shards into those coordinators' records (for `history`). (what that did, the
    sweeps still to finish later). Never raises."""
    objects = _objects(state)
    done, keep = [], []
    try:
        listed = _sweeps(objects.get_json(LAST))
    except Exception as exc:
        return [_failed(exc)], []
    for sweep in listed:
        try:
            outcome = _finish_earlier(state, objects, settings, sweep, status, now, **options)
        except Exception as exc:
            outcome = {"run_id": sweep["run_id"], **_failed(exc)}
        if outcome is False:
            keep.append(sweep)
        elif outcome is not None:
            done.append(outcome)
    return done, keep[-(MAX_LISTED - 1):]  # room for this sweep's own


def _failed(exc) -> dict:
    why = exc.as_reason().get("message") if hasattr(exc, "as_reason") else f"{type(exc).__name__}: {exc}"
    return {"failed": True, "error": f"finishing an earlier sweep failed: {why}"[:300]}


def _finish_earlier(state, objects, settings, sweep: dict, status, now: datetime, **options):
    """None: nothing to do; False: not yet (it may still be running); else what its end did."""
    from ..cloud.scf import FINAL_STATES  # the coordinator's only: a shard never loads SCF's SDK

    record = objects.get_json(sweep["record"])
    fanout = record.get("fanout") if isinstance(record, dict) else None
    if isinstance(fanout, dict) and fanout.get("finished") is not False:
        return None  # it finished its sweep (or was no fan-out)
    since = _when(sweep.get("started_at"), now)
    waited = now - since
    if not isinstance(fanout, dict) or not isinstance(fanout.get("shards"), list):
        if waited < timedelta(seconds=STILL_RUNNING_SECONDS):
            return False  # its coordinator may still be running: it finishes its own sweep
        # Its coordinator never recorded its end: which shards it started is not known.
        of = sweep.get("of") if isinstance(sweep.get("of"), int) else 0
        entries = [{"index": i} for i in range(min(max(of, 0), 100000))]
    else:
        entries = [dict(e) for e in fanout["shards"] if isinstance(e, dict)]
        for entry in entries:
            if entry.get("request_id") and entry.get("status") not in FINAL_STATES:
                try:
                    entry["status"] = status(entry["request_id"])
                except Exception:  # not known: the shard counts as missing
                    entry["status"] = "UNKNOWN"
        if any(e.get("request_id") and e.get("status") not in FINAL_STATES for e in entries) and \
                waited < timedelta(seconds=2 * STILL_RUNNING_SECONDS):
            return False  # a shard may still be running: its record is still to come
    done = finish(state, settings, sweep["run_id"], entries, since, now, bool(sweep.get("dry_run", True)), **options)
    if isinstance(fanout, dict):
        objects.put_json(sweep["record"], {**record, "fanout": {**fanout, "shards": entries, "finished": True,
                                                                "finished_by": getattr(state, "run_id", None)}})
    return {"run_id": sweep["run_id"], **done}


def mark(store, earlier: list, run_id: str, of: int, dry_run: bool, record_key: str, at: datetime) -> None:
    """Note this sweep (where its coordinator's record will go) beside the earlier ones still to
    finish. Raises StateError."""
    _objects(store).put_json(LAST, {"sweeps": [*earlier, {"run_id": run_id, "of": of, "dry_run": dry_run,
                                                          "record": record_key, "started_at": iso_utc(at)}]})


def _when(text, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return default - timedelta(days=1)
