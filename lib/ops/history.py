"""`cos-ci-unbinder history`: the runs and the buckets that need a person, from the state bucket
(or from saved report files), as text, JSON or one HTML page."""

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Optional
from urllib.parse import urlencode

from ..clock import iso_utc
from ..state.history import BUCKETS, RUNS, request_ids
from ..state.store import StateStore
from .errors import json_problem
from .text import printable

# Outcomes a person has to act on (docs/design.md#outcomes-and-reasons-what-to-do).
NEEDS_PERSON = ("blocked", "refused", "error")
_SINCE_RE = re.compile(r"(?P<n>[0-9]{1,5})(?P<unit>[mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class HistoryError(ValueError):
    """A history request that cannot be answered (bad option, unreadable file)."""


def parse_since(text: str, now: datetime) -> datetime:
    """`7d`, `12h`, `30m`, or an ISO date (UTC)."""
    m = _SINCE_RE.fullmatch(text.strip())
    if m:
        return now - timedelta(**{_UNITS[m.group("unit")]: int(m.group("n"))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise HistoryError(f"--since takes 7d, 12h, 30m or a date such as 2024-05-01, not {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _when(report: dict) -> Optional[datetime]:
    try:
        return datetime.fromisoformat(str(report.get("recorded_at", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


# -- reading ---------------------------------------------------------------------------------------
def runs_from_state(store: StateStore, since: datetime, now: datetime, workers: int = 8) -> list[dict]:
    """Every run recorded from `since`'s day to `now`'s, read from the state bucket."""
    day, keys = since.date(), []
    while day <= now.date():
        keys += [info.key for info in store.list(f"{RUNS}{day:%Y/%m/%d}/")]
        day += timedelta(days=1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = list(pool.map(store.get_json, keys))
    return [r for r in found if isinstance(r, dict)]


def latest_from_state(store: StateStore, workers: int = 8) -> list[dict]:
    keys = [info.key for info in store.list(BUCKETS)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [r for r in pool.map(store.get_json, keys) if isinstance(r, dict)]


def runs_from_dir(path: str) -> list[dict]:
    """Saved reports (the output of `invoke --json`, or objects copied from runs/): *.json under path."""
    if not os.path.isdir(path):
        raise HistoryError(f"--from: {path} is not a directory")
    runs = []
    for root, _dirs, files in os.walk(path):
        for name in sorted(files):
            if not name.endswith(".json"):
                continue
            full = os.path.join(root, name)
            try:
                with open(full, encoding="utf-8") as fh:
                    report = json.load(fh)
            except (OSError, ValueError) as err:
                raise HistoryError(f"{full}: not a JSON report ({json_problem(err)})") from None
            if not isinstance(report, dict) or "results" not in report or "run_id" not in report:
                raise HistoryError(f"{full}: not a run report (no run_id and results)")
            if "recorded_at" not in report:
                stamp = datetime.fromtimestamp(os.path.getmtime(full), timezone.utc)
                report = {**report, "recorded_at": iso_utc(stamp)}
            runs.append(report)
    return runs


def latest_from_runs(runs: list[dict]) -> list[dict]:
    """Each bucket's outcome in the last run that looked at it."""
    latest: dict = {}
    for report in sorted(runs, key=lambda r: str(r.get("recorded_at", ""))):
        for result in report.get("results") or []:
            latest[(result["region"], result["bucket"])] = {
                "bucket": result["bucket"], "region": result["region"], "outcome": result["outcome"],
                "reasons": result.get("reasons", []), "run_id": report.get("run_id"),
                "trigger": report.get("trigger"), "dry_run": report.get("dry_run"), "at": report.get("recorded_at"),
                **({"simulated": True} if report.get("simulated") else {}),
                "request_ids": request_ids(result)}
    # A result of region_unknown has no region: it sorts first rather than failing the sort.
    return [latest[k] for k in sorted(latest, key=lambda k: (k[0] or "", k[1] or ""))]


# -- choosing --------------------------------------------------------------------------------------
def select(runs: list[dict], latest: list[dict], since: Optional[datetime], bucket: Optional[str],
           outcome: Optional[str]) -> tuple[list[dict], list[dict]]:
    def keep_run(report):
        when = _when(report)
        if since is not None and (when is None or when < since):
            return False
        results = report.get("results") or []
        if bucket and not any(r["bucket"] == bucket for r in results):
            return False
        return not outcome or any(r["outcome"] == outcome for r in results)

    runs = sorted((r for r in runs if keep_run(r)), key=lambda r: str(r.get("recorded_at", "")), reverse=True)
    latest = [b for b in latest if (not bucket or b["bucket"] == bucket) and (not outcome or b["outcome"] == outcome)]
    return runs, latest


def needing_a_person(latest: list[dict]) -> list[dict]:
    return [b for b in latest if b.get("outcome") in NEEDS_PERSON]


def per_day(runs: list[dict]) -> dict[str, dict[str, int]]:
    """Outcomes counted per UTC day, from each run's summary."""
    days: dict[str, dict[str, int]] = {}
    for report in runs:
        when = _when(report)
        if when is None:
            continue
        day = days.setdefault(when.strftime("%Y-%m-%d"), {})
        for outcome, count in (report.get("summary") or {}).items():
            day[outcome] = day.get(outcome, 0) + int(count)
    return dict(sorted(days.items()))


def console_url(bucket: str, region: str) -> str:
    # The CI console's page for one bucket (its blockers: workflows, jobs, services, review).
    query = {"bucket": bucket, **({"region": region} if region else {})}  # a region_unknown result has none
    return "https://console.cloud.tencent.com/ci/bucket?" + urlencode(query)


def reason_text(reason: dict) -> str:
    details = [f"{k}={printable(v)}" for k, v in reason.items() if k != "code" and v not in (None, "", [], {})]
    return printable(reason.get("code", "?")) + (" " + " ".join(details) if details else "")


def mode(report: dict) -> str:
    """How a run changed things: a simulated run never reads as live."""
    if report.get("simulated"):
        return "sim dry" if report.get("dry_run") else "sim"
    return "dry run" if report.get("dry_run") else "live"


def quiet_note(report: dict) -> Optional[str]:
    """What a fanned-out sweep's quiet shards looked at: their buckets are in no summary, because a
    shard with nothing new stores nothing."""
    shards = report.get("shards_quiet")
    if not isinstance(shards, int) or shards <= 0:
        return None
    buckets = report.get("buckets_quiet")
    buckets = f"{buckets} buckets" if isinstance(buckets, int) else "its buckets"
    return f"{buckets} unchanged ({shards} quiet shard{'s' if shards != 1 else ''})"


# -- text ------------------------------------------------------------------------------------------
def as_text(runs: list[dict], latest: list[dict], bucket: Optional[str] = None) -> str:
    lines = [] if not bucket else _bucket_lines(bucket, latest)
    lines += ["RUNS", f"{'WHEN':20}  {'TRIGGER':7}  {'MODE':7}  {'OK':5}  RUN ID / SUMMARY"]
    for r in runs:
        summary = ", ".join(f"{k}: {v}" for k, v in (r.get("summary") or {}).items())
        quiet = quiet_note(r)
        if quiet:
            summary = (summary + ", " if summary else "") + quiet
        if r.get("error"):
            summary = (summary + " " if summary else "") + f"(error: {printable(r['error'].get('code'))})"
        lines.append(f"{printable(str(r.get('recorded_at', '-'))[:19]):20}  {printable(r.get('trigger') or '-'):7}  "
                     f"{mode(r):7}  {str(r.get('ok')).lower():5}  "
                     f"{printable(r.get('run_id'))}  {summary or 'nothing to do'}")
    if not runs:
        lines.append("(no runs)")
    people = needing_a_person(latest)
    lines += ["", f"BUCKETS THAT NEED A PERSON ({len(people)})"]
    for b in people:
        reasons = "; ".join(reason_text(x) for x in b.get("reasons", [])) or "-"
        lines.append(f"{printable(b['bucket'])}  {printable(b['region'] or '-')}  {printable(b['outcome'])}  {reasons}")
        lines.append(f"    {console_url(b['bucket'], b['region'])}")
    if not people:
        lines.append("(none)")
    return "\n".join(lines)


def _bucket_lines(bucket: str, latest: list[dict]) -> list[str]:
    """The bucket asked about, whatever its outcome: what the last run that looked at it decided."""
    lines = [f"LATEST OUTCOME OF {printable(bucket)}"]
    for b in latest:
        reasons = "; ".join(reason_text(x) for x in b.get("reasons", [])) or "-"
        how = mode({"dry_run": b.get("dry_run"), "simulated": b.get("simulated")})
        lines.append(f"{printable(b['region'] or '-')}  {printable(b['outcome'])}  {reasons}  "
                     f"(run {printable(b.get('run_id') or '-')}, {printable(str(b.get('at') or '-')[:19])}, {how})")
    if not latest:
        lines.append("(no recorded run looked at it)")
    return lines + [""]


def as_json(runs: list[dict], latest: list[dict]) -> str:
    return json.dumps({"runs": runs, "buckets": latest, "needs_person": needing_a_person(latest)},
                      indent=2, ensure_ascii=False)
