"""The run digest as data: what a person must know from one run, built from its report.

Pure: the same report and settings give the same digest. Formatting for each robot, and cutting
to its size limit, is `robots`' job; deciding which buckets changed since they were last notified
is `changes`' job.
"""

from typing import Optional

from . import consolelinks
from .config import NotifySettings

SOURCE = "cos-ci-unbinder"
# Most urgent first, so that a digest cut to a robot's size limit drops the least urgent.
_RANK = ("error", "refused", "blocked", "heads_up", "unbound", "would_unbind", "deferred", "unbinding",
         "not_bound", "skipped")
_TEXT_CAP = 300


def _clip(value, cap: int = _TEXT_CAP) -> str:
    text = " ".join(str(value).split())  # no line breaks: one reason is one line in every format
    return text if len(text) <= cap else text[: cap - 1] + "…"


def _request_id(reason: dict) -> str:
    rid = reason.get("request_id")
    return f" (request id {rid})" if rid else ""


def _http(reason: dict) -> str:
    status = reason.get("http_status")
    return f"HTTP {status}" if status is not None else "no response"


def describe(reason: dict) -> str:
    """One line a person can read, for one reason of the report."""
    r = reason.get
    code = r("code")
    if code == "workflow":
        name = f"{_clip(r('name'), 80)} " if r("name") else ""
        return f"workflow {name}({r('id')}) is {r('state')}"
    if code == "batch_job":
        name = f"{_clip(r('name'), 80)} " if r("name") else ""
        return f"batch job {name}({r('id')}, type {r('type')}) is {r('state')}"
    if code == "service_enabled":
        return f"the {r('service')} processing service is enabled"
    if code == "unbind_refused":
        return (f"CI refused the unbind: {_http(reason)} {r('service_code') or ''}: "
                f"{_clip(r('message') or '', 160)}{_request_id(reason)}")
    if code == "api_error":
        return (f"{r('api')} failed: {_http(reason)} {r('service_code') or ''}: "
                f"{_clip(r('message') or '', 160)}{_request_id(reason)}")
    if code == "unbind_accepted":
        return f"unbind accepted{_request_id(reason)}"
    if code == "ci_status":
        return f"CI status is now {r('status')}"
    if code == "unverified":
        status = f" (status still {r('status')})" if r("status") else ""
        return f"the unbind was accepted but not confirmed{status}"
    if code == "unknown_status":
        return f"CI gave an unknown binding status {_clip(r('status'), 40)!r}"
    if code == "internal_error":
        return f"internal error: {_clip(r('message') or '', 200)}"
    if code == "dry_run":
        return "nothing blocks it (dry run: not unbound)"
    if code in ("max_per_run", "max_per_day", "deadline", "lease_held"):
        return {"max_per_run": "waits for the next run: the run's cap was reached",
                "max_per_day": "waits: the day's cap was reached",
                "deadline": "waits for the next run: this run's time ran out",
                "lease_held": "another run is acting on it"}[code]
    if code == "not_due":
        return f"due on {_day(r('not_before'))}"
    details = " ".join(f"{k}={_clip(v, 80)}" for k, v in reason.items() if k != "code" and v not in (None, ""))
    return _clip(f"{code} {details}".strip())


def _day(iso: Optional[str]) -> str:
    text = str(iso or "?")
    return text[:10] if text.endswith("T00:00:00Z") else text.replace("T", " ")


def heads_up(result: dict) -> Optional[dict]:
    """The heads-up a not-yet-due bucket carries (see decide: the read-only check), else None."""
    reasons = result.get("reasons") or []
    if result.get("outcome") != "skipped" or not reasons or reasons[0].get("code") != "not_due":
        return None
    first = reasons[0]
    if "heads_up" not in first:
        return None
    return {"due": first.get("not_before"), "state": first["heads_up"]}


def _status(outcome: str, hu: Optional[dict]) -> str:
    """What the bucket's line says after its name: the outcome, or the heads-up."""
    if hu is None:
        return outcome.replace("_", " ")
    due = f"due on {_day(hu['due'])}"
    state = hu["state"]
    if state == "would_unbind":
        return f"{due}: would unbind"
    if state == "blocked":
        return f"{due}: blocked by"
    if state in ("not_bound", "unbinding"):
        return f"{due}: CI is already {'off' if state == 'not_bound' else 'unbinding'}"
    return f"{due}: could not be checked"


def item(result: dict) -> dict:
    """One bucket of the digest: its status, each reason as a line, and a console link per blocker."""
    bucket, region = result["bucket"], result.get("region")
    hu = heads_up(result)
    reasons = list(result.get("reasons") or [])
    if hu is not None:
        reasons = reasons[1:]  # the not_due reason is the status line itself
    page = consolelinks.bucket_page(bucket, region)
    lines = [{"code": reason.get("code"), "text": describe(reason),
              "link": consolelinks.link(bucket, region, reason, page)} for reason in reasons]
    return {"bucket": bucket, "region": region, "outcome": result["outcome"], "heads_up": hu,
            "status": _status(result["outcome"], hu), "lines": lines, "console": page}


# No robot's message holds more (JSON, the largest, fits about 800 of the shortest): beyond this
# many, buckets are counted, not described, so a run of thousands costs no more than one of 1,000.
MAX_DESCRIBED = 1000


def _rank(result: dict) -> tuple:
    key = "heads_up" if heads_up(result) is not None else result.get("outcome")
    return (_RANK.index(key) if key in _RANK else len(_RANK), result.get("bucket", ""))


def wanted(result: dict, settings: NotifySettings) -> bool:
    """Whether a bucket belongs in a digest at all: its outcome is one the team asked for, or it
    carries a heads-up."""
    return result.get("outcome") in settings.on or heads_up(result) is not None


def build(report: dict, settings: NotifySettings, results: Optional[list] = None, unchanged: int = 0) -> dict:
    """The digest for a run. `results` are the buckets to list (default: every wanted one);
    `unchanged` counts the wanted ones left out because nothing changed since the last digest."""
    chosen = [r for r in report.get("results", []) if wanted(r, settings)] if results is None else results
    ranked = sorted(chosen, key=_rank)
    entries = [item(r) for r in ranked[:MAX_DESCRIBED]]
    error = report.get("error")
    return {
        "source": SOURCE,
        "run_id": report.get("run_id"),
        "trigger": report.get("trigger"),
        "dry_run": report.get("dry_run"),
        **({"simulated": True} if report.get("simulated") is True else {}),  # only ever said when it is so
        "ok": report.get("ok"),
        "error": None if not error else {"code": error.get("code"), "text": describe(
            {**error, "code": "api_error"}) if error.get("api") else _clip(error.get("message") or "")},
        "summary": dict(report.get("summary") or {}),
        "heads_up": sum(1 for e in entries if e["heads_up"] is not None),
        "buckets": entries,
        "unchanged": unchanged,
        "omitted": len(ranked) - len(entries),  # not described at all (see MAX_DESCRIBED)
    }


def title(digest: dict) -> str:
    """What ran, and whether it needs attention."""
    mode = "dry run" if digest.get("dry_run") else "live"
    if digest.get("simulated"):  # the fake cloud of `--simulate`: nothing real changed either way
        mode = "simulated, dry run" if digest.get("dry_run") else "simulated"
    trouble = "NEEDS ATTENTION: " if digest.get("ok") is False else ""
    return f"{trouble}{SOURCE} {digest.get('trigger') or ''} run ({mode})".replace("  ", " ")


def headline(digest: dict) -> str:
    """The title with the counts, for where one line must say it all (a chat list, a card header)."""
    counts = ", ".join(f"{n} {outcome.replace('_', ' ')}" for outcome, n in digest["summary"].items()
                       if outcome != "skipped") or "no bucket acted on"
    return f"{title(digest)}: {counts}"


def has_news(digest: dict) -> bool:
    """Whether the digest says anything worth a message: a bucket to list, or a failed run."""
    return bool(digest["buckets"]) or digest.get("ok") is False
