"""History at the cost of what changed (lib/state/history.py): a sweep writes its run record, the
index of latest outcomes, and one object per bucket only when that bucket's outcome is news."""

from collections import Counter
from datetime import datetime, timezone

import pytest

from lib.cloud.clients import connect
from lib.settings import load
from lib.state import history
from lib.state.store import StateStore
from tests.conftest import BASE_ENV, REGION
from tests.state_helpers import PREFIX, STATE_BUCKET, STATE_ENV, add_state_bucket, keys, record
from tests.test_state import FAST_RETRY

LIVE = {**STATE_ENV, "CI_UNBIND_DRY_RUN": "false", "CI_UNBIND_MAX_PER_RUN": "20"}
TIMER = {"Type": "Timer"}


@pytest.fixture
def state(cloud):
    add_state_bucket(cloud)
    return cloud


def writes(cloud) -> Counter:
    """State-bucket writes by the first part of their key (runs, buckets, leases, latest.json)."""
    out = Counter()
    for call in cloud.calls:
        if call.endpoint == "PUT Object" and call.bucket == STATE_BUCKET:
            out[call.path.lstrip("/")[len(PREFIX):].split("/")[0]] += 1
    return out


def state_store() -> StateStore:
    clients = connect(load({**BASE_ENV, **STATE_ENV}), retry=FAST_RETRY).clients
    return StateStore(clients, STATE_BUCKET, REGION, PREFIX, FAST_RETRY)


def population(cloud, clean=30, blocked=10, protected=5):
    for i in range(clean):
        cloud.add_bucket(f"clean-{i:03d}-1250000000", REGION, tags={"ci-unbind": "true"})
    for i in range(blocked):
        cloud.add_bucket(f"blocked-{i:03d}-1250000000", REGION, tags={"ci-unbind": "true"}).add_workflow(
            state="Paused")
    # A sweep goes in name order, and a full cap with nothing pending defers a bucket before its
    # tags are read: the protected ones sort first so that they are always read, and skipped.
    for i in range(protected):
        cloud.add_bucket(f"a-protected-{i:03d}-1250000000", REGION,
                         tags={"ci-unbind": "true", "ci-unbind-protect": "yes"})


def test_a_sweep_writes_one_object_per_bucket_that_changed_and_none_for_skipped_or_deferred(state, invoke):
    population(state)
    report = invoke(TIMER, env=LIVE)
    assert report["ok"] is True, report
    assert report["summary"] == {"unbound": 20, "blocked": 10, "skipped": 5, "deferred": 10}, report
    got = writes(state)
    assert got["buckets"] == 20 + 10, got       # unbound and newly blocked; not skipped, not deferred
    assert got["runs"] == 2                     # the start record, then the run over it
    assert got["latest.json"] == 1
    assert got["leases"] == 2 * 20              # each unbind claims its lease and releases it, as before
    stored = keys(state, "buckets/")
    assert len(stored) == 30 and not [k for k in stored if "protected" in k]
    (run_key,) = keys(state, "runs/")
    run = record(state, run_key)
    assert {r["outcome"] for r in run["results"]} == {"unbound", "blocked"}
    assert run["results_not_stored"] == {"skipped": 5, "deferred": 10}
    assert run["summary"] == report["summary"]


def test_an_unchanged_sweep_writes_only_its_run(state, invoke):
    population(state, clean=0)
    invoke(TIMER, env=LIVE)
    before = writes(state)
    again = invoke(TIMER, env=LIVE)
    assert again["ok"] is True and again["summary"] == {"blocked": 10, "skipped": 5}
    assert writes(state) - before == Counter({"runs": 2})


def test_a_blocker_that_changes_is_news_and_one_that_stays_is_not(state, invoke):
    population(state, clean=0, blocked=2, protected=0)
    invoke(TIMER, env=LIVE)
    state.account.bucket("blocked-000-1250000000").add_workflow(state="Active")
    before = writes(state)
    invoke(TIMER, env=LIVE)
    assert writes(state) - before == Counter({"runs": 2, "buckets": 1, "latest.json": 1})
    latest = record(state, f"buckets/{REGION}/blocked-000-1250000000.json")
    assert len(latest["reasons"]) == 2


def test_an_unbound_bucket_is_always_stored(state, invoke):
    state.add_bucket("again-1250000000", REGION, tags={"ci-unbind": "true"})
    manual = {"buckets": [{"bucket": "again-1250000000", "region": REGION}]}
    invoke(manual, env=LIVE)
    state.account.bucket("again-1250000000").ci_status = "on"  # bound again meanwhile
    before = writes(state)
    invoke(manual, env=LIVE)
    assert (writes(state) - before)["buckets"] == 1


def test_writes_past_the_time_are_one_entry_not_one_per_bucket(state):
    store = state_store()
    results = [{"bucket": f"b-{i}-1250000000", "region": REGION, "outcome": "blocked",
                "reasons": [{"code": "workflow", "id": f"w{i}", "state": "Paused"}]} for i in range(50)]
    report = {"ok": True, "run_id": "late", "trigger": "timer", "summary": {"blocked": 50}, "results": results}
    failures = history.record_run(store, report, datetime(2026, 1, 2, tzinfo=timezone.utc), index={},
                                  time_left=lambda: 0.2)
    assert failures == [{"code": "TimeBudgetExhausted", "message": "not written: the invocation's time was up",
                         "what": "bucket", "count": 50, "examples": [r["bucket"] for r in results[:3]]}]
    assert keys(state, "runs/")  # the run's record is still written
    assert keys(state, "buckets/") == [] and "latest.json" not in keys(state)


def test_an_index_that_cannot_be_read_makes_every_outcome_news(state):
    store = state_store()
    store.put(history.INDEX, b"not json")
    assert history.read_index(store) == {}
    result = {"bucket": "x-1250000000", "region": REGION, "outcome": "blocked", "reasons": []}
    assert history.needs_writing(result, {}) is True
    assert history.needs_writing({**result, "outcome": "deferred"}, {}) is False
    assert history.needs_writing({**result, "region": None}, {}) is False


@pytest.mark.slow
def test_a_sweep_with_more_news_than_time_decides_what_it_can_write_and_returns_in_time(state, invoke):
    # At 10 requests a second, 200 newly blocked buckets cannot all be checked and written in 30 s:
    # each decided one keeps time for its write, and the rest are left to the next sweep.
    population(state, clean=0, blocked=200, protected=0)
    env = {**LIVE, "CI_UNBIND_MAX_RPS": "10"}
    report = invoke(TIMER, env=env, context={"request_id": "busy", "time_limit_in_ms": 30000})
    assert report["ok"] is True, report.get("state")
    assert report["elapsed_ms"] <= 30000
    decided = report["summary"]["blocked"]
    assert 0 < decided < 200 and report["summary"]["deferred"] == 200 - decided
    assert len(keys(state, "buckets/")) == decided  # every decided bucket's news was written
    assert "failures" not in report["state"]


def test_a_bucket_first_seen_not_bound_is_no_news(state, invoke):
    state.add_bucket("off-1250000000", REGION, tags={"ci-unbind": "true"}, ci_status="off")
    assert invoke({"buckets": [{"bucket": "off-1250000000", "region": REGION}]}, env=LIVE)["summary"] == {
        "not_bound": 1}
    assert keys(state, "buckets/") == []


def test_not_bound_after_an_unbind_is_no_news(state, invoke):
    state.add_bucket("done-1250000000", REGION, tags={"ci-unbind": "true"})
    manual = {"buckets": [{"bucket": "done-1250000000", "region": REGION}]}
    assert invoke(manual, env=LIVE)["summary"] == {"unbound": 1}
    before = writes(state)
    assert invoke(manual, env=LIVE)["summary"] == {"not_bound": 1}
    assert writes(state) - before == Counter({"runs": 2})  # the bucket's object still says unbound
    assert record(state, f"buckets/{REGION}/done-1250000000.json")["outcome"] == "unbound"
