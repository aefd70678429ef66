"""Quiet when nothing changed: with a store for the last digest, a bucket is listed again only
when its outcome or blockers changed, or its heads-up is new. Request ids and timings, which
change on every run, do not count."""

import copy

import pytest

from lib.notify import changes, notify
from lib.notify.config import NotifySettings
from lib.notify.send import NotifyFailed


class MemoryStore:
    def __init__(self):
        self.records = {}
        self.fail_get = self.fail_put = False

    def get_json(self, key):
        if self.fail_get:
            raise OSError("state bucket unreachable")
        return copy.deepcopy(self.records.get(key))

    def put_json(self, key, value):
        if self.fail_put:
            raise OSError("state bucket unreachable")
        self.records[key] = copy.deepcopy(value)


class Robot:
    """A sender that keeps what it was given (the fake robots are tested elsewhere)."""

    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def send(self, payload):
        if self.fail:
            raise NotifyFailed("wecom robot at qyapi.weixin.qq.com: HTTP 503")
        self.sent.append(payload)

    @property
    def text(self):
        return self.sent[-1]["markdown"]["content"]


NS = NotifySettings(url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-123456", format="wecom")


def res(name, outcome, *reasons):
    return {"bucket": name, "region": "ap-guangzhou", "outcome": outcome, "reasons": list(reasons), "calls": []}


def rep(*results, ok=True, trigger="timer", rid="1"):
    summary = {}
    for r in results:
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
    return {"ok": ok, "trigger": trigger, "dry_run": False, "run_id": f"run-{rid}", "summary": summary,
            "results": list(results)}


def wf(state="Paused", wid="w1"):
    return {"code": "workflow", "id": wid, "name": "t", "state": state}


def refused(request_id):
    return {"code": "unbind_refused", "http_status": 400, "service_code": "AutoAudit", "message": "m",
            "request_id": request_id}


def test_without_a_store_every_run_with_something_to_say_sends():
    robot = Robot()
    for _ in range(2):
        out = notify(rep(res("a-1250000000", "blocked", wf())), NS, sender=robot)
        assert out["sent"] is True
    assert len(robot.sent) == 2


def test_the_same_blockers_again_are_quiet_and_a_change_is_news():
    store, robot = MemoryStore(), Robot()
    first = rep(res("a-1250000000", "blocked", wf()), res("b-1250000000", "refused", refused("r1")))
    assert notify(first, NS, store=store, sender=robot)["buckets"] == 2

    again = rep(res("a-1250000000", "blocked", wf()), res("b-1250000000", "refused", refused("r2")), rid="2")
    out = notify(again, NS, store=store, sender=robot)
    assert out == {"sent": False, "failed": False, "error": None, "host": "qyapi.weixin.qq.com", "format": "wecom",
                   "buckets": 0, "unchanged": 2}
    assert len(robot.sent) == 1  # a new request id is not news

    changed = rep(res("a-1250000000", "blocked", wf("Active")), res("b-1250000000", "refused", refused("r3")),
                  res("c-1250000000", "unbound", {"code": "unbind_accepted", "request_id": "r4"}), rid="3")
    out = notify(changed, NS, store=store, sender=robot)
    assert out["sent"] and out["buckets"] == 2 and out["unchanged"] == 1
    assert "a-1250000000" in robot.text and "c-1250000000" in robot.text and "b-1250000000" not in robot.text
    assert "1 bucket unchanged since the last digest" in robot.text


def test_a_new_heads_up_is_news_once():
    store, robot = MemoryStore(), Robot()
    hu = {"code": "not_due", "not_before": "2026-12-01T00:00:00Z", "heads_up": "would_unbind"}
    for _ in range(2):
        notify(rep(res("a-1250000000", "skipped", hu)), NS, store=store, sender=robot)
    assert len(robot.sent) == 1
    notify(rep(res("a-1250000000", "skipped", {**hu, "heads_up": "blocked"}, wf())), NS, store=store, sender=robot)
    assert len(robot.sent) == 2 and "blocked by" in robot.text


def test_a_bucket_that_stops_needing_a_person_is_news_when_it_comes_back():
    store, robot = MemoryStore(), Robot()
    notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)
    notify(rep(res("a-1250000000", "skipped", {"code": "protected"})), NS, store=store, sender=robot)
    notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)
    assert len(robot.sent) == 2


def test_a_sweep_forgets_buckets_it_no_longer_sees_an_event_run_does_not():
    store, robot = MemoryStore(), Robot()
    notify(rep(res("a-1250000000", "blocked", wf()), res("b-1250000000", "blocked", wf())), NS, store=store,
           sender=robot)
    notify(rep(res("b-1250000000", "blocked", wf()), trigger="event"), NS, store=store, sender=robot)
    assert set(store.records[changes.RECORD_KEY]["buckets"]) == {"ap-guangzhou/a-1250000000",
                                                                 "ap-guangzhou/b-1250000000"}
    notify(rep(res("b-1250000000", "blocked", wf())), NS, store=store, sender=robot)
    assert set(store.records[changes.RECORD_KEY]["buckets"]) == {"ap-guangzhou/b-1250000000"}
    assert len(robot.sent) == 1


def test_a_failed_run_lists_its_errors_every_time():
    store, robot = MemoryStore(), Robot()
    err = {"code": "api_error", "api": "GET /workflow", "http_status": 403, "service_code": "AccessDenied",
           "message": "no", "request_id": "x"}
    for i in range(2):
        out = notify(rep(res("a-1250000000", "error", err), res("b-1250000000", "blocked", wf()), ok=False, rid=i),
                     NS, store=store, sender=robot)
        assert out["sent"]
    assert "a-1250000000" in robot.text and "b-1250000000" not in robot.text and len(robot.sent) == 2


def test_a_failed_send_records_nothing_so_the_next_run_repeats_it():
    store = MemoryStore()
    out = notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=Robot(fail=True))
    assert out["failed"] and changes.RECORD_KEY not in store.records
    robot = Robot()
    assert notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)["sent"]


def test_buckets_counted_in_and_n_more_are_notified_too():
    # Otherwise more blocked buckets than one message holds would send a digest every sweep with
    # nothing changed (issue: one sweep, one digest, none when nothing changed).
    store, robot = MemoryStore(), Robot()
    many = [res(f"bucket-{i:03d}-1250000000", "blocked", wf()) for i in range(120)]
    out = notify(rep(*many), NS, store=store, sender=robot)
    assert out["omitted"] > 0 and len(store.records[changes.RECORD_KEY]["buckets"]) == 120
    sent = len(robot.sent) if hasattr(robot, "sent") else None
    second = notify(rep(*many, rid="2"), NS, store=store, sender=robot)
    assert second["sent"] is False and second["unchanged"] == 120
    if sent is not None:
        assert len(robot.sent) == sent


@pytest.mark.parametrize("where", ["get", "put"])
def test_a_failing_store_still_notifies_and_says_so(where):
    store, robot = MemoryStore(), Robot()
    setattr(store, f"fail_{where}", True)
    out = notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)
    assert out["sent"] and "state bucket unreachable" in out["state_error"]


def test_an_unreadable_record_counts_as_none():
    store, robot = MemoryStore(), Robot()
    store.records[changes.RECORD_KEY] = {"version": 99}
    assert notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)["sent"]
    assert store.records[changes.RECORD_KEY]["version"] == changes.VERSION


def test_fingerprints_ignore_request_ids_and_messages():
    a = res("a-1250000000", "refused", refused("r1"))
    b = res("a-1250000000", "refused", {**refused("r2"), "message": "other words"})
    assert changes.fingerprint(a) == changes.fingerprint(b)
    assert changes.fingerprint(res("a-1250000000", "blocked", wf())) != changes.fingerprint(
        res("a-1250000000", "blocked", wf(wid="w2")))


def test_only_a_state_that_passed_its_checks_keeps_the_record():
    from lib.notify import usable_store

    class State(MemoryStore):
        error = None

    good, broken = State(), State()
    broken.error = {"code": "state_bucket_versioned"}
    assert usable_store(good) is good
    assert usable_store(broken) is None and usable_store(None) is None and usable_store(object()) is None


def test_a_record_the_store_cannot_read_is_replaced_after_the_next_digest():
    class Corrupt(MemoryStore):
        def get_json(self, key):
            if self.records.get(key) == "garbage":
                raise ValueError("the record is not JSON")
            return super().get_json(key)

    store, robot = Corrupt(), Robot()
    store.records[changes.RECORD_KEY] = "garbage"
    out = notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)
    assert out["sent"] and "not JSON" in out["state_error"]
    assert store.records[changes.RECORD_KEY]["version"] == changes.VERSION
    again = notify(rep(res("a-1250000000", "blocked", wf())), NS, store=store, sender=robot)
    assert again["sent"] is False and "state_error" not in again
