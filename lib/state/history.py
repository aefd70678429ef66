"""Run history in the state bucket: each run's report, and each bucket's latest outcome.

Layout: `runs/<YYYY>/<MM>/<DD>/<HHMMSS>-<run id>.json` holds the report as the handler returned it
(already scrubbed of secrets); `buckets/<region>/<bucket>.json` the latest outcome of that bucket.
A write that fails changes no decision: the caller puts it in the report and `ok` becomes false.
"""

import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Optional

from ..clock import iso_utc
from .store import StateError, StateStore

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
RUNS, BUCKETS = "runs/", "buckets/"


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


def record_run(store: StateStore, report: dict, at: datetime, workers: int = 8,
               kind: Optional[str] = None, key: Optional[str] = None) -> list[dict]:
    """Write the run (over its start record when `key` is that record's) and the latest outcome of
    each of its buckets; the failures as reasons."""
    failures: list[dict] = []
    record = dict(report) if kind is None else {**report, "kind": kind}
    record.setdefault("recorded_at", iso_utc(at))
    try:
        store.put_json(key or run_key(str(report.get("run_id")), at), record)
    except StateError as err:
        failures.append({**err.as_reason(), "what": "run"})

    def one(result):
        try:
            store.put_json(bucket_key(result["region"], result["bucket"]), latest_record(report, result, at))
        except StateError as err:
            return {**err.as_reason(), "what": "bucket", "bucket": result["bucket"]}
        return None

    # A bucket whose region is unknown (GET Service could not place it) has no key of its own: its
    # result stays in the run's record only.
    results = [r for r in report.get("results") or [] if r.get("region")]
    if results:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(results)))) as pool:
            failures += [f for f in pool.map(one, results) if f is not None]
    return failures
