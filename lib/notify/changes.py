"""Quiet when nothing changed: which buckets a digest lists, given what was last notified.

With the state bucket, a bucket is listed only when its outcome or blockers changed since the
last digest that listed it, or it has a new heads-up; without it (`previous` is None) every
wanted bucket is listed. A run whose `ok` is false always sends, and lists its `error` buckets
whether they changed or not.

What is compared is a fingerprint of the outcome and the blockers' identities and states, never
request ids or timings, which differ on every run. The record is one small JSON object,
read through any store with `get_json(key)` and `put_json(key, value)`.
"""

from typing import Optional, Protocol

from ..report import fingerprint
from . import digest

RECORD_KEY = "notify/last-notified.json"
VERSION = 1
class Store(Protocol):
    def get_json(self, key: str) -> Optional[dict]: ...

    def put_json(self, key: str, value: dict) -> None: ...


def bucket_key(result: dict) -> str:
    return f"{result['region']}/{result['bucket']}"


def select(report: dict, settings, previous: Optional[dict]) -> tuple[list, int]:
    """(results to list, how many wanted ones were left out as unchanged)."""
    wanted = [r for r in report.get("results", []) if digest.wanted(r, settings)]
    if previous is None:
        return wanted, 0
    seen = previous.get("buckets", {})
    always = report.get("ok") is False
    chosen = [r for r in wanted if (always and r.get("outcome") == "error")
              or (seen.get(bucket_key(r)) or {}).get("fp") != fingerprint(r)]
    return chosen, len(wanted) - len(chosen)


def record(previous: Optional[dict], report: dict, settings, listed: list, now_iso: str) -> dict:
    """The record after a digest that listed `listed` (results) was delivered.

    Listed buckets get their new fingerprint. A bucket this run saw that no longer belongs in a
    digest is forgotten, so that it is news again if it comes back. A sweep sees every tagged
    bucket, so after one, buckets it did not see (untagged since) are forgotten too. A fan-out's
    digest lists only its shards with news: it names every bucket its shards saw (`present`), or
    is `partial` and forgets nothing. A bucket counted in the message's "and N more" is notified
    as much as one it names.
    """
    buckets = dict((previous or {}).get("buckets", {}))
    results = report.get("results", [])
    if report.get("trigger") == "timer" and not report.get("error") and not report.get("partial"):
        present = {bucket_key(r) for r in results} | set(report.get("present") or ())
        buckets = {k: v for k, v in buckets.items() if k in present}
    for result in results:
        if not digest.wanted(result, settings):
            buckets.pop(bucket_key(result), None)
    for result in listed:
        buckets[bucket_key(result)] = {"fp": fingerprint(result), "outcome": result.get("outcome"),
                                       "at": now_iso}
    return {"version": VERSION, "buckets": buckets}


class LastNotified:
    """The record in a store; an unreadable record counts as none (everything is news)."""

    def __init__(self, store: Store, key: str = RECORD_KEY):
        self._store = store
        self._key = key

    def load(self) -> Optional[dict]:
        value = self._store.get_json(self._key)
        if not isinstance(value, dict) or value.get("version") != VERSION or not isinstance(
                value.get("buckets"), dict):
            return {"version": VERSION, "buckets": {}} if value is None else None
        return value

    def save(self, value: dict) -> None:
        self._store.put_json(self._key, value)
