"""History of fanned-out sweeps: a coordinator's run and the runs of all its shards, shown as one.

Each shard's invocation with news stores its own report (it carries `shard.coordinator_run_id`);
one with nothing new stores none, and its coordinator marks it `quiet`. The coordinator's report
lists its shards under `fanout`. `group` folds them into one run whose
summary and results are the shards', with the coordinator's own fields (ok, errors, shards that
never started) kept. A shard whose coordinator's report is missing still gathers under its id.
"""

from collections import Counter
from typing import Optional

from ..decide import OUTCOMES


def _coordinator_id(report: dict) -> Optional[str]:
    shard = report.get("shard")
    if isinstance(shard, dict) and isinstance(shard.get("coordinator_run_id"), str):
        return shard["coordinator_run_id"]
    return None


def group(reports: list) -> list:
    """The reports with every fan-out folded into one run, in the order their first report came.

    A shard of an older release that began and never recorded its end left only a start record,
    without its `shard` block: it is recognised by its request id among the shards its coordinator
    started. (Shards now write no start record.)"""
    started_by = {}
    for report in reports:
        for entry in (report.get("fanout") or {}).get("shards") or []:
            if entry.get("request_id"):
                started_by[entry["request_id"]] = (report.get("run_id"), entry)
    out, runs = [], {}
    for report in reports:
        if report.get("unfinished") and report.get("run_id") in started_by and "shard" not in report:
            coordinator, entry = started_by[report["run_id"]]
            report = {**report, "shard": {"account": entry.get("account"), "coordinator_run_id": coordinator,
                                          "index": entry.get("index", 0), "of": entry.get("of", 0)}}
        key = _coordinator_id(report) or (report.get("run_id") if "fanout" in report else None)
        if key is None:
            out.append(report)
            continue
        run = runs.get(key)
        if run is None:
            run = runs[key] = {"run_id": key, "trigger": "timer", "dry_run": report.get("dry_run"), "ok": True,
                               "summary": {}, "results": [], "fanout": {"shards": [], "accounts": []},
                               "shard_runs": [], "kind": "fanout"}
            out.append(run)
        if "fanout" in report:  # the coordinator's own report
            for field in ("recorded_at", "elapsed_ms", "error", "dry_run"):
                if field in report:
                    run[field] = report[field]
            run["fanout"] = report["fanout"]
            run["coordinator"] = True
            run["ok"] = run["ok"] and bool(report.get("ok"))
        else:
            run["shard_runs"].append({"run_id": report.get("run_id"), **report["shard"],
                                      "ok": report.get("ok"), "summary": report.get("summary", {}),
                                      "not_stored": {o: n for o, n in (report.get("results_not_stored") or {}).items()
                                                     if isinstance(n, int)},
                                      **({"unfinished": True} if report.get("unfinished") else {})})
            run["results"].extend({"account": report["shard"]["account"], **r} for r in report.get("results", []))
            run["ok"] = run["ok"] and bool(report.get("ok"))
            run.setdefault("recorded_at", report.get("recorded_at"))
    for run in runs.values():
        # A stored run keeps its skipped and deferred buckets as counts only (results_not_stored).
        counts = Counter(r.get("outcome") for r in run["results"])
        for shard in run["shard_runs"]:
            counts.update(shard.pop("not_stored", {}))
        run["summary"] = {o: counts[o] for o in OUTCOMES if counts[o]}
        run["shard_runs"].sort(key=lambda s: s.get("index", 0))
        expected = len(run["fanout"].get("shards", [])) if run.get("coordinator") else None
        run["shards_reported"] = len(run["shard_runs"])
        # A shard that ended with nothing new wrote nothing; its coordinator marked it `quiet`.
        quiet = [s for s in run["fanout"].get("shards", []) if s.get("quiet")]
        run["shards_quiet"] = len(quiet)
        run["buckets_quiet"] = sum(s.get("buckets") or 0 for s in quiet if isinstance(s.get("buckets"), int))
        if expected is not None and run["shards_reported"] < sum(1 for s in run["fanout"]["shards"]
                                                                  if s.get("dispatched") and not s.get("quiet")):
            run["ok"] = False  # a shard that started has not (yet) stored its report
    return out
