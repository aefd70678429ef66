"""Run digests to the chat robots teams use (WeCom, DingTalk, Feishu, Slack, or plain JSON).

One digest per run, sent after every decision is made: `attach` builds it from the finished
report, sends it, and writes the outcome into the report as `notify: {sent, failed, error, ...}`.
A failure to notify changes no decision; it makes `ok` false, so it is seen.
"""

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Optional

from .config import NotifySettings

if TYPE_CHECKING:
    from . import changes, quiet
    from .send import Sender

__all__ = ["NotifySettings", "attach", "attach_quietly", "notify"]


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def notify(report: dict, settings: NotifySettings, *, store: Optional["changes.Store"] = None,
           sender: Optional["Sender"] = None, sleep: Callable[[float], None] = time.sleep,
           deadline: Optional[float] = None, monotonic: Callable[[], float] = time.monotonic,
           now_iso: Callable[[], str] = _now_iso, suppressed: int = 0) -> dict:
    """Send the run's digest when it has news; returns what became of it. `suppressed`: digests
    held back by a quiet period since the last one sent (see quiet.py), said in this one."""
    # Here, not at the top: a function without notifications never loads them (cold start).
    from . import changes, digest, robots
    from .send import NotifyFailed, Sender

    out = {"sent": False, "failed": False, "error": None, "host": settings.host, "format": settings.format,
           "buckets": 0}
    last = changes.LastNotified(store) if store is not None else None
    previous = None
    if last is not None:
        try:
            previous = last.load()
        except Exception as exc:  # everything is news, then; and the report says why
            out["state_error"] = f"reading the last digest failed: {type(exc).__name__}: {exc}"[:300]
    chosen, unchanged = changes.select(report, settings, previous)
    data = digest.build(report, settings, chosen, unchanged)
    if suppressed:
        data["suppressed"] = suppressed
    if not digest.has_news(data):
        out["unchanged"] = unchanged
        # Still forget buckets that no longer need a person: when they come back, they are news.
        if last is not None and previous is not None:
            _save(last, previous, changes.record(previous, report, settings, [], now_iso()), out)
        return out
    payload, omitted = robots.render(settings.format, data)
    try:
        (sender or Sender(settings, sleep=sleep, deadline=deadline, monotonic=monotonic)).send(payload)
    except NotifyFailed as failed:
        out.update(failed=True, error=str(failed))
        return out
    shown = len(data["buckets"]) + data["omitted"] - omitted  # the first `shown` buckets made it in
    listed_keys = {(e["region"], e["bucket"]) for e in data["buckets"][:shown]}
    listed = [r for r in chosen if (r["region"], r["bucket"]) in listed_keys]
    out.update(sent=True, buckets=len(listed), omitted=omitted, unchanged=unchanged)
    if last is not None:  # after a failed read too: a fresh record heals an unreadable one
        # Every bucket the digest counted is notified, named or in its "and N more": otherwise a
        # sweep with more blocked buckets than a message holds would send again every hour with
        # nothing changed. The report names them all.
        _save(last, previous, changes.record(previous, report, settings, chosen, now_iso()), out)
    return out


def _save(last: "changes.LastNotified", previous: Optional[dict], record: dict, out: dict) -> None:
    if record == previous:
        return
    try:
        last.save(record)
    except Exception as exc:  # the next run repeats these buckets: noisy, never silent
        failed = f"recording the digest failed: {type(exc).__name__}: {exc}"[:300]
        out["state_error"] = f"{out['state_error']}; {failed}" if out.get("state_error") else failed


def usable_store(state) -> Optional["changes.Store"]:
    """The run's state (docs/operations.md) as the store of the last digest: only a state bucket that
    is set and passed its checks; anything else means no store (every run with news sends)."""
    if state is None or getattr(state, "error", None) is not None:
        return None
    return state if callable(getattr(state, "get_json", None)) and callable(getattr(state, "put_json", None)) else None


def attach(report: dict, settings, state=None, **options) -> dict:
    """Notify for a finished run when notifications are on; the report, with `notify` in it.

    `settings` is the function's Settings (its `notify` part is used); `state` the run's state
    object, when there is one, for "quiet when nothing changed". Never raises: a fault here, even
    one of ours, is reported, and the decisions already made stand.
    """
    ns: NotifySettings = getattr(settings, "notify", None) or NotifySettings()
    if not ns.enabled:
        return report
    try:
        outcome = notify(report, ns, store=usable_store(state), **options)
    except Exception as exc:
        outcome = {"sent": False, "failed": True, "host": ns.host, "format": ns.format,
                   "error": f"internal error: {type(exc).__name__}: {exc}"[:300]}
    try:
        from .send import scrub  # loaded already by `notify`, unless that load is what failed
    except Exception:
        def scrub(_text, _ns):  # nothing can be scrubbed, so nothing of what was said is kept
            return "internal error: the notification module could not be loaded"

    for key in ("error", "state_error"):
        if outcome.get(key):
            outcome[key] = scrub(outcome[key], ns)
    report["notify"] = outcome
    if outcome["failed"] or outcome.get("state_error"):
        report["ok"] = False
    return report


def attach_quietly(report: dict, settings, store: Optional["quiet.Store"] = None, *,
                   clock: Callable[[], float] = time.time, **options) -> dict:
    """`attach` for a digest anyone can cause (an invalid event): at most one per robot within a
    quiet period, the rest counted and the count said in the next one sent (see quiet.py).
    `store`: the state bucket, where the period is kept across containers; else this container's
    memory. Never raises; a fault of the gate itself sends (noisy, never silent)."""
    ns: NotifySettings = getattr(settings, "notify", None) or NotifySettings()
    if not ns.enabled:
        return report
    gate, admission, state_error = None, None, None
    try:
        from . import quiet

        robot, now = quiet.robot_id(ns.url), clock()
        gate = quiet.MEMORY
        if store is not None:
            try:
                stored = quiet.StoreGate(store)
                admission, gate = stored.admit(robot, now), stored
            except Exception as exc:  # the state bucket failed: this container's memory holds the period
                state_error = f"reading the quiet period failed: {type(exc).__name__}: {exc}"[:300]
        if admission is None:
            admission = gate.admit(robot, now)
    except Exception as exc:
        gate, state_error = None, f"the quiet period failed: {type(exc).__name__}: {exc}"[:300]
    if admission is not None and not admission.send:
        report["notify"] = {"sent": False, "failed": False, "error": None, "host": ns.host, "format": ns.format,
                            "buckets": 0, "suppressed": admission.suppressed,
                            "quiet_until": _iso(admission.quiet_until)}
    else:
        report = attach(report, settings, None, suppressed=admission.suppressed if admission else 0, **options)
        if gate is not None and report["notify"].get("sent"):
            try:
                gate.sent(robot, now)
            except Exception as exc:  # the count is said again next time: noisy, never silent
                state_error = f"recording the quiet period failed: {type(exc).__name__}: {exc}"[:300]
    if state_error:
        from .send import scrub

        report["notify"]["state_error"] = scrub(state_error, ns)
        report["ok"] = False
    return report


def _iso(epoch: Optional[float]) -> Optional[str]:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
