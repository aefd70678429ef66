"""The report the handler returns, and the JSON log lines: one per bucket, one per run.

Credentials never appear: nothing that carries them is ever put in a record, and as a second
guard every line is scrubbed of the secret values before it is written.
"""

import hashlib
import json
import re
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from .buckets import BucketRef
from .decide import OUTCOMES

# The outcomes whose calls the returned report keeps: the ones a person follows up through the
# service's request ids (a failed check, a refusal). Every other bucket's calls are in its log line
# only: at 10,000 buckets they made the report 8 MB, over the 6 MB SCF returns from a synchronous
# call. A blocked bucket's reasons name each blocker with the request id of the listing that showed
# it, and any check that failed with its own.
CALLS_KEPT_FOR = ("error", "refused")


# The parts of each reason that say what blocks or happened; request ids, messages and timings
# are left out (a refusal's service code is kept, its request id is not).
_STABLE = {
    "workflow": ("id", "state"), "batch_job": ("id", "state"), "service_enabled": ("service",),
    "unbind_refused": ("http_status", "service_code"), "api_error": ("api", "http_status", "service_code"),
    "not_due": ("not_before", "heads_up"), "ci_status": ("status",), "unknown_status": ("status",),
    "unverified": ("status",),
}


@dataclass
class Result:
    ref: BucketRef
    outcome: str
    reasons: list = field(default_factory=list)
    calls: Optional[list] = field(default_factory=list)  # None: left out of the report (see for_report)

    def as_dict(self) -> dict:
        out = {"bucket": self.ref.bucket, "region": self.ref.region, "outcome": self.outcome,
               "reasons": list(self.reasons)}
        if self.calls is not None:
            out["calls"] = list(self.calls)
        return out

    def for_report(self) -> "Result":
        """This result as the returned report holds it: calls only where CALLS_KEPT_FOR says."""
        if self.outcome in CALLS_KEPT_FOR:
            return self
        return Result(self.ref, self.outcome, self.reasons, None)


class CallTally:
    """The number of calls of a run, counted as results come in (the report no longer lists them
    all). A shared call (a service list asked for many buckets) is listed with each bucket; it
    counts once."""

    def __init__(self):
        self._lock = threading.Lock()
        self._own = 0
        self._shared: set = set()

    def add(self, calls) -> None:
        with self._lock:
            for call in calls:
                if call.get("shared"):
                    self._shared.add((call["api"], call["request_id"]))
                else:
                    self._own += 1

    @property
    def total(self) -> int:
        with self._lock:
            return self._own + len(self._shared)


def fingerprint(result: dict) -> str:
    """What a bucket's result says, without what differs on every run (request ids, messages,
    timings): two runs that found the same have the same fingerprint."""
    parts = [result.get("outcome")]
    for reason in result.get("reasons") or []:
        code = reason.get("code")
        parts.append([code] + [reason.get(k) for k in _STABLE.get(code, ())])
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def _outcome(result) -> str:
    return result["outcome"] if isinstance(result, dict) else result.outcome


def summary(results) -> dict:
    """Counts by outcome of Results, or of results already in their report form (dicts)."""
    counts = Counter(_outcome(r) for r in results)
    return {outcome: counts[outcome] for outcome in OUTCOMES if counts[outcome]}


def build(trigger: Optional[str], dry_run: bool, run_id: str, results, error: Optional[dict] = None,
          **extra) -> dict:
    ok = error is None and not any(_outcome(r) == "error" for r in results)
    report = {"ok": ok, "trigger": trigger, "dry_run": dry_run, "run_id": run_id,
              "summary": summary(results),
              "results": [r if isinstance(r, dict) else r.as_dict() for r in results]}
    if error is not None:
        report["error"] = error
    report.update(extra)
    return report


def failed(code: str, message: str, run_id: str, trigger: Optional[str], dry_run: bool, secrets=()) -> dict:
    """The report of an invocation (or one account's part of it) that could not run its buckets."""
    return scrub(build(trigger, dry_run, run_id, [], error={"code": code, "message": message}), secrets)


def log_run(log: "JsonLog", report: dict) -> None:
    """The run line of a report that decided no bucket."""
    log.emit({"msg": "run", **{k: report[k] for k in ("ok", "run_id", "trigger", "dry_run", "summary", "error")},
              **({"notify": report["notify"]} if "notify" in report else {})})


MIN_SECRET = 4  # shorter values would star out ordinary words; no key or token is this short

# json.dumps escapes the control characters below U+0020 and leaves the rest of Unicode as it is,
# so a value from an event or a service could hold U+0085 (NEL), U+2028 or U+2029, which
# str.splitlines, JavaScript and many log readers take for line breaks: one record would read as
# several, some forged. They (and the other C1 controls) are escaped as JSON escapes them anyway;
# json.dumps writes nothing but strings with them, so the line stays the same JSON.
_ONE_LINE = {**{c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}, 0x2028: "\\u2028", 0x2029: "\\u2029"}


class JsonLog:
    """JSON lines to a stream (stdout in the function, where SCF collects them)."""

    def __init__(self, stream=None, secrets=()):
        self._stream = stream
        self._secrets = [s for s in secrets if s and len(s) >= MIN_SECRET]
        self._lock = threading.Lock()

    def add_secrets(self, *values: str) -> None:
        """More values never to write, e.g. a member role's temporary keys."""
        with self._lock:
            self._secrets.extend(v for v in values if v and len(v) >= MIN_SECRET and v not in self._secrets)

    @property
    def secrets(self) -> list:
        return list(self._secrets)

    def emit(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str).translate(_ONE_LINE)
        line = scrub_text(line, self._secrets)
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line + "\n")
            stream.flush()


def scrub(report: dict, secrets) -> dict:
    """The report with any secret value replaced; the same object when none occurs."""
    text = json.dumps(report, ensure_ascii=False, default=str)
    scrubbed = scrub_text(text, secrets)
    return report if scrubbed is text else json.loads(scrubbed)


def scrub_text(text: str, secrets) -> str:
    """`text` with every secret replaced by ***, as written or percent-encoded (an error that
    quotes a URL or a query carries its values encoded, by quote, quote_plus, a browser, or twice);
    the same object when none occurs.

    The one scrubber for keys, tokens and the robot's URL alike. Longest first, so that a key
    inside a URL that is also a secret does not leave the rest of the URL behind.
    """
    usable = tuple(sorted({s for s in secrets if s and len(s) >= MIN_SECRET}, key=lambda s: (-len(s), s)))
    if not usable:
        return text
    # An encoded form needs a % (or a + for a space); most text has neither, and plain
    # replacement is many times faster than the pattern.
    encoded = "%" in text or "+" in text
    for secret in usable:
        if encoded:
            scrubbed, found = _spellings(secret).subn("***", text)
            text = scrubbed if found else text
        elif secret in text:
            text = text.replace(secret, "***")
    return text


@lru_cache(maxsize=64)
def _spellings(secret: str) -> "re.Pattern":
    """Every spelling of `secret` a URL encoder can give, as written included: each character as
    itself or as its UTF-8 bytes in %XX (either case, or %25XX when encoded twice), a space also
    as +."""
    parts = []
    for char in secret:
        escaped = "".join("%(?:25)?" + "".join(f"[{c}{c.lower()}]" if c.isalpha() else c for c in f"{b:02X}")
                          for b in char.encode("utf-8"))
        options = [re.escape(char), escaped] + (["\\+"] if char == " " else [])
        parts.append(f"(?:{'|'.join(options)})")
    return re.compile("".join(parts))
