"""Run history in the state bucket: each run's report, and each bucket's latest outcome.

Layout: `runs/<YYYY>/<MM>/<DD>/<HHMMSS>-<run id>.json` holds the report as the handler returned it
(already scrubbed of secrets), less the buckets that were only `skipped` or `deferred` (counted in
its summary); `buckets/<region>/<bucket>.json` the latest outcome of that bucket that a person may
look up; `latest.json` one compact index of those outcomes' fingerprints.

History costs what changed: a bucket's object is written when it is unbound or refused, or when
its outcome or reasons differ from the index. `skipped`, `deferred` and unchanged outcomes write
nothing, so a sweep of thousands of tagged buckets writes a handful of objects, and the index
(one read, at most one write a run) tells what changed. A write that fails changes no decision: the
caller puts it in the report and `ok` becomes false; writes that do not fit in the invocation's
time are one entry (how many, of which kind), never one per bucket.
"""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Callable, Optional

from ..clock import iso_utc
from ..report import fingerprint
from .store import StateError, StateStore

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
RUNS, BUCKETS = "runs/", "buckets/"
INDEX = "latest.json"
INDEX_VERSION = 1
# Outcomes that are never a bucket's news: a skipped bucket was not asked about, a deferred one
# will be decided by a later run.
NEVER_STORED = ("skipped", "deferred")
# Outcomes a person looks up even when they repeat: each is a change made, or refused, by the service.
ALWAYS_STORED = ("unbound", "refused")


def safe_id(run_id: str) -> str:
    return (_UNSAFE.sub("_", str(run_id or ""))[:100].strip("._") or uuid.uuid4().hex)


def run_key(run_id: str, at: datetime) -> str:
    return f"{RUNS}{at:%Y/%m/%d}/{at:%H%M%S}-{safe_id(run_id)}.json"


def bucket_key(region: str, bucket: str) -> str:
    return f"{BUCKETS}{region}/{bucket}.json"


def latest_record(report: dict, result: dict, at: datetime) -> dict:
    return {"bucket": result["bucket"], "region": result["region"], "outcome": result["outcome"],
            "reasons": result.get("reasons", []), "run_id": report.get("run_id"), "trigger": report.get("trigger"),
            "dry_run": report.get("dry_run"), "at": iso_utc(at),
            **({"simulated": True} if report.get("simulated") else {}),
            "request_ids": request_ids(result)}


def request_ids(result: dict) -> list[str]:
    """The service request ids of a bucket's calls and reasons, for a person to quote to support."""
    ids = [r.get("request_id") for r in result.get("reasons", [])] + [c.get("request_id") for c in result.get("calls", [])]
    return list(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def start_record(run_id: str, at: datetime) -> dict:
    """What a run writes first, where its report will go: a run that never ends (killed, timed
    out) stays in the history as unfinished. Writing it also proves the role can write."""
    return {"run_id": run_id, "ok": False, "trigger": None, "summary": {}, "results": [], "unfinished": True,
            "recorded_at": iso_utc(at),
            "error": {"code": "unfinished", "message": "the run began here and never recorded its end: "
                      "it was killed, ran out of time, or is still running"}}


def index_key(result: dict) -> str:
    return f"{result.get('region')}/{result.get('bucket')}"


def read_index(store: StateStore) -> dict:
    """The latest fingerprints by bucket; an index that is missing or unreadable is empty (every
    outcome is then news, and written once more)."""
    try:
        value = store.get_json(INDEX)
    except StateError:
        return {}
    if not isinstance(value, dict) or value.get("version") != INDEX_VERSION or not isinstance(
            value.get("buckets"), dict):
        return {}
    return value["buckets"]


def needs_writing(result: dict, index: dict) -> bool:
    """Whether this bucket's outcome goes into its own object this run."""
    outcome = result.get("outcome")
    if outcome in NEVER_STORED or not result.get("region"):
        # A bucket whose region is unknown (GET Service could not place it) has no key of its own:
        # its result stays in the run's record only.
        return False
    if outcome in ALWAYS_STORED:
        return True
    entry = index.get(index_key(result))
    if outcome == "not_bound" and (not isinstance(entry, dict) or entry.get("outcome") in ("unbound", "not_bound")):
        # A tagged bucket that is not bound, as an unbind leaves it, every sweep until the tag goes:
        # no news; only one whose stored outcome said otherwise (it was blocked) is written again.
        return False
    if not isinstance(entry, dict):
        return True
    return entry.get("fp") != fingerprint(result)


def stored_run(report: dict, kind: Optional[str], at: datetime) -> dict:
    """The run's record: the report less its skipped and deferred buckets, which the summary counts."""
    record = {k: v for k, v in report.items() if k != "results"}
    results = report.get("results") or []
    kept = [r for r in results if r.get("outcome") not in NEVER_STORED]
    record["results"] = kept
    if len(kept) != len(results):
        record["results_not_stored"] = {o: sum(1 for r in results if r.get("outcome") == o) for o in NEVER_STORED}
    if kind is not None:
        record["kind"] = kind
    record.setdefault("recorded_at", iso_utc(at))
    return record


def _summarised(failures: list) -> list:
    """Failed bucket writes as one entry per kind of failure: how many, and a few of the buckets."""
    by_code: dict = {}
    for failure in failures:
        by_code.setdefault(failure.get("code"), []).append(failure)
    out = []
    for group in by_code.values():
        entry = {k: v for k, v in group[0].items() if k != "bucket"}
        entry.update({"what": "bucket", "count": len(group)})
        if len(group) == 1:
            entry["bucket"] = group[0].get("bucket")
        else:
            entry["examples"] = [f.get("bucket") for f in group[:3]]
        out.append(entry)
    return out


def record_run(store: StateStore, report: dict, at: datetime, workers: int = 8,
               kind: Optional[str] = None, key: Optional[str] = None, index: Optional[dict] = None,
               time_left: Optional[Callable[[], Optional[float]]] = None,
               index_delta: Optional[dict] = None, write_run: bool = True) -> list[dict]:
    """Write what changed: each bucket whose outcome is news (against `index`, read once by the
    caller), then the run (over its start record when `key` is that record's), then the index.
    `time_left` (seconds, None when unknown) stops the bucket writes in time for the last two.
    With `index_delta` (a dict), the index is not written: its new entries go there, for one
    writer to merge for a whole sweep (merge_index); without `write_run`, the run's record is left to
    the caller (a fan-out's shard writes it only when it has news). The failures as reasons."""
    results = [r for r in report.get("results") or [] if needs_writing(r, index or {})]
    written, failures, skipped = [], [], []

    def one(result):
        # The run's record and the index come after: they keep a second (at the shared rate, a
        # paced write takes a fraction of it) however many buckets changed.
        left = time_left() if time_left else None
        if left is not None and left < 1.0:
            return {"code": "TimeBudgetExhausted", "message": "not written: the invocation's time was up",
                    "bucket": result["bucket"]}
        try:
            store.put_json(bucket_key(result["region"], result["bucket"]), latest_record(report, result, at))
        except StateError as err:
            return {**err.as_reason(), "bucket": result["bucket"]}
        return result

    if results:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(results)))) as pool:
            for got in pool.map(one, results):
                (written if got.get("outcome") else skipped).append(got)
    failures += _summarised(skipped)
    if write_run:
        try:
            store.put_json(key or run_key(str(report.get("run_id")), at), stored_run(report, kind, at))
        except StateError as err:
            failures.insert(0, {**err.as_reason(), "what": "run"})
    delta = {index_key(r): {"fp": fingerprint(r), "outcome": r.get("outcome")} for r in written}
    if index_delta is not None:
        index_delta.update(delta)
    elif delta:
        try:
            merge_index(store, delta)
        except StateError as err:
            failures.append({**err.as_reason(), "what": "index"})
    return failures


def merge_index(store: StateStore, delta: dict) -> None:
    """Add entries to the index, read again just before the write. COS has no compare-and-swap, so
    two runs writing it at once can drop each other's entries (those buckets are then written once
    more by a later run, never left unwritten); a fan-out's shards avoid it by leaving their
    entries in their run records for the coordinator, which merges them once (lib/org/sweepnotify.py)."""
    if not delta:
        return
    latest = read_index(store)
    latest.update(delta)
    store.put_json(INDEX, {"version": INDEX_VERSION, "buckets": latest})
