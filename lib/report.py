"""The report the handler returns, and the JSON log lines: one per bucket, one per run.

Credentials never appear: nothing that carries them is ever put in a record, and as a second
guard every line is scrubbed of the secret values before it is written.
"""

import json
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Optional

from .buckets import BucketRef
from .decide import OUTCOMES


@dataclass
class Result:
    ref: BucketRef
    outcome: str
    reasons: list = field(default_factory=list)
    calls: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"bucket": self.ref.bucket, "region": self.ref.region, "outcome": self.outcome,
                "reasons": list(self.reasons), "calls": list(self.calls)}


def summary(results) -> dict:
    counts = Counter(r.outcome for r in results)
    return {outcome: counts[outcome] for outcome in OUTCOMES if counts[outcome]}


def build(trigger: Optional[str], dry_run: bool, run_id: str, results, error: Optional[dict] = None,
          **extra) -> dict:
    ok = error is None and not any(r.outcome == "error" for r in results)
    report = {"ok": ok, "trigger": trigger, "dry_run": dry_run, "run_id": run_id,
              "summary": summary(results), "results": [r.as_dict() for r in results]}
    if error is not None:
        report["error"] = error
    report.update(extra)
    return report


class JsonLog:
    """JSON lines to a stream (stdout in the function, where SCF collects them)."""

    def __init__(self, stream=None, secrets=()):
        self._stream = stream
        self._secrets = [s for s in secrets if s and len(s) >= 4]
        self._lock = threading.Lock()

    def add_secrets(self, *values: str) -> None:
        """More values never to write, e.g. a member role's temporary keys."""
        with self._lock:
            self._secrets.extend(v for v in values if v and len(v) >= 4 and v not in self._secrets)

    @property
    def secrets(self) -> list:
        return list(self._secrets)

    def emit(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
        for secret in self._secrets:
            line = line.replace(secret, "***")
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(line + "\n")
            stream.flush()


def scrub(report: dict, secrets) -> dict:
    """The report with any secret value replaced; the same object when none occurs."""
    secrets = [s for s in secrets if s and len(s) >= 4]
    text = json.dumps(report, ensure_ascii=False, default=str)
    if not any(s in text for s in secrets):
        return report
    for secret in secrets:
        text = text.replace(secret, "***")
    return json.loads(text)
