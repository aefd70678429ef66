"""The state bucket through the function's own path: leases, the daily cap, history, and failures."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from lib import run
from lib.buckets import BucketRef
from lib.cloud.clients import connect
from lib.settings import load
from lib.state.bucket import State
from lib.state.store import StateStore
from tests.conftest import BASE_ENV, CONTEXT, FAST_RETRY, REGION, SECRET_KEY, codes, manual, outcome_of
from tests.events_helpers import UNSET, audit_log, cloud_event, cos_event
from tests.state_helpers import (
    PREFIX,
    STATE_BUCKET,
    STATE_ENV,
    add_state_bucket,
    clean_bucket,
    keys,
    record,
)

A, B, C = "alpha-1250000000", "bravo-1250000000", "charlie-1250000000"


@pytest.fixture
def state(cloud):
    add_state_bucket(cloud)
    return cloud


def direct_state(settings_env, run_id="direct-run", now=None, max_per_day=None):
    settings = load({**BASE_ENV, **settings_env})
    cloud = connect(settings, retry=FAST_RETRY)
    store = StateStore(cloud.clients, STATE_BUCKET, REGION, PREFIX, FAST_RETRY)
    return State(store, settings, run_id, 60.0, now or (lambda: datetime.now(timezone.utc)))


def test_an_unbind_takes_and_releases_a_lease_and_the_run_is_recorded(state, invoke):
    clean_bucket(state, A)
    report = invoke(manual(A), env=STATE_ENV)
    assert report["ok"] is True and outcome_of(report, A)["outcome"] == "unbound"
    assert report["state"] == {"bucket": STATE_BUCKET, "region": REGION, "prefix": PREFIX}
    lease = record(state, f"leases/{REGION}/{A}/0000000001.json")
    assert lease["run_id"] == CONTEXT["request_id"] and lease["released_at"]
    # The lease is taken before the unbind and released after its status was confirmed.
    order = [c.endpoint for c in state.calls if c.bucket in (A, STATE_BUCKET)]
    assert order.index("PUT Object") < order.index("PUT /?unbind")
    (run_key,) = keys(state, "runs/")
    stored = record(state, run_key)
    assert stored["run_id"] == CONTEXT["request_id"] and stored["results"] == report["results"]
    latest = record(state, f"buckets/{REGION}/{A}.json")
    assert latest["outcome"] == "unbound" and latest["run_id"] == CONTEXT["request_id"]


def test_no_state_bucket_makes_no_state_call(cloud, invoke):
    clean_bucket(cloud, A)
    report = invoke(manual(A))
    assert outcome_of(report, A)["outcome"] == "unbound" and "state" not in report
    assert not [c for c in cloud.calls if c.endpoint in ("PUT Object", "GET Bucket", "GET /?versioning")]


def test_a_live_lease_of_another_run_defers_the_bucket(state, invoke):
    clean_bucket(state, A)
    other = direct_state({**STATE_ENV}, run_id="other-run")
    other.claim_lease(BucketRef(REGION, A))
    report = invoke(manual(A), env=STATE_ENV)
    result = outcome_of(report, A)
    assert result["outcome"] == "deferred" and codes(result) == ["lease_held"]
    assert result["reasons"][0]["holder_run_id"] == "other-run" and result["reasons"][0]["lease"] == 1
    assert state.count("PUT /?unbind") == 0 and report["ok"] is True


def test_a_released_lease_is_followed_by_the_next_number(state, invoke):
    clean_bucket(state, A)
    other = direct_state({**STATE_ENV}, run_id="earlier-run")
    other.release_lease(other.claim_lease(BucketRef(REGION, A)))
    report = invoke(manual(A), env=STATE_ENV)
    assert outcome_of(report, A)["outcome"] == "unbound"
    assert keys(state, "leases/") == [f"leases/{REGION}/{A}/0000000001.json", f"leases/{REGION}/{A}/0000000002.json"]


def test_the_status_is_read_again_under_the_lease(state):
    # Another run unbound the bucket after this one read `on`: the read under the lease sees it.
    state.add_bucket(A, REGION, tags={"ci-unbind": "true"}, ci_status="unbinding")
    gate = direct_state({**STATE_ENV})
    cloud = connect(load(BASE_ENV), retry=FAST_RETRY)
    decision = gate.before_unbind(BucketRef(REGION, A), cloud.ci, run.Trace())
    assert decision.outcome == "unbinding"
    assert record(state, f"leases/{REGION}/{A}/0000000001.json")["released_at"]


def test_daily_cap_counts_sent_unbinds_across_runs(state, invoke):
    for name in (A, B, C):
        clean_bucket(state, name)
    state.bucket(C).hidden.add("auto_review")  # CI refuses this one: its slot stays used
    env = {**STATE_ENV, "CI_UNBIND_MAX_PER_DAY": "2", "CI_UNBIND_CONCURRENCY": "1"}
    report = invoke(manual(C, A, B), env=env)
    assert [outcome_of(report, n)["outcome"] for n in (C, A, B)] == ["refused", "unbound", "deferred"]
    assert codes(outcome_of(report, B)) == ["max_per_day"]
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    assert keys(state, "days/") == [f"days/{day}/slot-000001.json", f"days/{day}/slot-000002.json"]
    # The next run, the same day: still full, and nothing is sent.
    again = invoke(manual(B), env=env)
    assert codes(outcome_of(again, B)) == ["max_per_day"] and state.count("PUT /?unbind") == 2


def test_max_per_day_zero_sends_nothing(state, invoke):
    clean_bucket(state, A)
    report = invoke(manual(A), env={**STATE_ENV, "CI_UNBIND_MAX_PER_DAY": "0"})
    assert codes(outcome_of(report, A)) == ["max_per_day"] and state.count("PUT /?unbind") == 0


def test_dry_run_takes_no_lease_and_no_slot_but_is_recorded(state, invoke):
    clean_bucket(state, A)
    report = invoke(manual(A), env={**STATE_ENV, "CI_UNBIND_DRY_RUN": "true", "CI_UNBIND_MAX_PER_DAY": "1"})
    assert outcome_of(report, A)["outcome"] == "would_unbind"
    assert keys(state, "leases/") == [] and keys(state, "days/") == []
    assert len(keys(state, "runs/")) == 1 and keys(state, "buckets/") == [f"buckets/{REGION}/{A}.json"]


@pytest.mark.parametrize("versioning", ["Enabled", "Suspended"])
def test_a_versioned_state_bucket_is_a_run_error(cloud, invoke, versioning):
    add_state_bucket(cloud, versioning=versioning)
    clean_bucket(cloud, A)
    report = invoke(manual(A), env=STATE_ENV)
    assert report["ok"] is False and report["error"]["code"] == "state_bucket_versioned"
    assert report["results"] == [] and cloud.count("PUT /?unbind") == 0
    assert cloud.objects.keys(STATE_BUCKET) == []


def test_a_versioned_state_bucket_in_dry_run_still_reports_the_buckets(cloud, invoke):
    add_state_bucket(cloud, versioning="Enabled")
    clean_bucket(cloud, A)
    report = invoke(manual(A), env={**STATE_ENV, "CI_UNBIND_DRY_RUN": "true"})
    assert report["ok"] is False and report["error"]["code"] == "state_bucket_versioned"
    assert outcome_of(report, A)["outcome"] == "would_unbind"


def test_a_missing_state_bucket_is_a_run_error(cloud, invoke):
    clean_bucket(cloud, A)
    report = invoke(manual(A), env=STATE_ENV)
    assert report["error"]["code"] == "state_bucket_missing" and report["error"]["http_status"] == 404
    assert cloud.count("PUT /?unbind") == 0


def test_a_state_bucket_the_role_may_not_use_is_a_run_error(state, invoke):
    clean_bucket(state, A)
    state.inject("GET /?versioning", status=403, code="AccessDenied")
    report = invoke(manual(A), env=STATE_ENV)
    assert report["error"]["code"] == "state_bucket_denied" and report["error"]["request_id"]
    assert state.count("PUT /?unbind") == 0


# Each step of the state bucket before the unbind, failing: nothing is unbound. (endpoint, after):
# the versioning check; the run's start record; the lease listing; the read of an earlier lease;
# the lease's creation; the day's listing; the slot's creation.
STEPS = [("GET /?versioning", 0), ("PUT Object", 0), ("GET Bucket", 0), ("GET Object", 0), ("PUT Object", 1),
         ("GET Bucket", 1), ("PUT Object", 2)]
RUN_STEPS = (("GET /?versioning", 0), ("PUT Object", 0))


@pytest.mark.parametrize("status,code", [(403, "AccessDenied"), (503, "ServiceUnavailable"), (None, None)])
@pytest.mark.parametrize("endpoint,after", STEPS)
def test_the_state_bucket_failing_at_each_step_unbinds_nothing(state, invoke, endpoint, after, status, code):
    clean_bucket(state, A)
    earlier = direct_state({**STATE_ENV}, run_id="earlier-run")
    earlier.release_lease(earlier.claim_lease(BucketRef(REGION, A)))  # so that lease 1 is read
    state.clear_calls()
    fault = dict(status=status, code=code) if status else dict(connection_error=True)
    state.inject(endpoint, bucket=STATE_BUCKET, after=after, **fault)
    report = invoke(manual(A), env={**STATE_ENV, "CI_UNBIND_MAX_PER_DAY": "5"})
    assert state.count("PUT /?unbind") == 0
    assert report["ok"] is False
    if (endpoint, after) in RUN_STEPS:
        assert report["results"] == [] and report["error"]["code"].startswith("state_")
    else:
        result = outcome_of(report, A)
        assert result["outcome"] == "error"
        assert result["reasons"][0]["code"] == ("state_bucket_denied" if status == 403 else "state_unavailable")


def test_an_unverified_unbind_keeps_its_lease_until_it_expires(state, invoke):
    clean_bucket(state, A)
    # The decision's status read and the one under the lease answer; every read after the PUT fails.
    state.inject("GET /", status=503, code="ServiceUnavailable", times=None, after=2)
    report = invoke(manual(A), env=STATE_ENV)
    assert outcome_of(report, A)["outcome"] == "error" and state.count("PUT /?unbind") == 1
    assert "released_at" not in record(state, f"leases/{REGION}/{A}/0000000001.json")
    # A later delivery that still reads `on` finds the lease held and sends no second PUT.
    state.clear_faults()
    state.bucket(A).ci_status = "on"
    again = invoke(manual(A), env=STATE_ENV, context={**CONTEXT, "request_id": "req-test-0002"})
    assert codes(outcome_of(again, A)) == ["lease_held"] and state.count("PUT /?unbind") == 1


def test_a_fault_mid_unbind_keeps_the_lease(state, invoke):
    clean_bucket(state, A)
    state.inject("GET /", status=503, code="ServiceUnavailable", times=1, after=2)

    def sleep(_seconds):  # the pause before the second confirming read: the run breaks there
        raise RuntimeError("the instance is going away")

    report = invoke(manual(A), env=STATE_ENV, sleep=sleep)
    result = outcome_of(report, A)
    assert result["outcome"] == "error" and codes(result) == ["internal_error"]
    assert state.count("PUT /?unbind") == 1
    assert "released_at" not in record(state, f"leases/{REGION}/{A}/0000000001.json")


def test_a_refused_unbind_releases_its_lease(state, invoke):
    clean_bucket(state, A)
    state.bucket(A).hidden.add("auto_review")  # only the unbind itself shows it
    report = invoke(manual(A), env=STATE_ENV)
    assert outcome_of(report, A)["outcome"] == "refused"
    assert record(state, f"leases/{REGION}/{A}/0000000001.json")["released_at"]


def test_a_failed_history_write_changes_no_decision(state, invoke):
    clean_bucket(state, A)
    # The start record and the lease are written, then every later write fails: the release and
    # the history.
    state.inject("PUT Object", bucket=STATE_BUCKET, after=2, status=503, code="ServiceUnavailable")
    report = invoke(manual(A), env=STATE_ENV)
    assert outcome_of(report, A)["outcome"] == "unbound" and state.count("PUT /?unbind") == 1
    assert report["ok"] is False
    whats = sorted(f["what"] for f in report["state"]["failures"])
    assert whats == ["bucket", "lease_release", "run"]


def test_a_bucket_without_a_region_is_in_the_run_record_only(state, invoke):
    clean_bucket(state, A)
    # B names no region and GET Service does not list it: its result has region None.
    event = cloud_event(audit_log(resourceName=B, eventRegion=UNSET, region=UNSET), id="e-b")
    report = invoke({"EventList": [cos_event(resourceName=A), event]}, env=STATE_ENV)
    assert outcome_of(report, B)["region"] is None and outcome_of(report, B)["outcome"] == "error"
    assert keys(state, "buckets/") == [f"buckets/{REGION}/{A}.json"]
    (run_key,) = keys(state, "runs/")
    assert [r["bucket"] for r in record(state, run_key)["results"]] == [A, B]
    assert "state_failures" not in report and report["state"]["bucket"] == STATE_BUCKET


def test_a_secret_in_a_state_failure_does_not_reach_the_report(state, invoke):
    clean_bucket(state, A)
    # The history writes fail with an answer that quotes the key (a service may echo anything).
    state.inject("PUT Object", bucket=STATE_BUCKET, after=2, status=503, code="ServiceUnavailable",
                 message=f"write refused for {SECRET_KEY}")
    report = invoke(manual(A), env=STATE_ENV)
    assert report["ok"] is False and report["state"]["failures"]
    assert "***" in json.dumps(report) and SECRET_KEY not in json.dumps(report)


def test_a_run_that_dies_stays_in_the_history_as_unfinished(state):
    gate = direct_state({**STATE_ENV}, run_id="dies-run")
    assert gate.check() is None
    (key,) = keys(state, "runs/")
    assert key.endswith("-dies-run.json") and record(state, key)["error"]["code"] == "unfinished"
    gate.record_run({"ok": True, "run_id": "dies-run", "summary": {}, "results": []})
    assert keys(state, "runs/") == [key] and record(state, key)["ok"] is True


def test_a_state_bucket_the_role_may_read_but_not_write_is_a_run_error(state, invoke):
    clean_bucket(state, A)
    state.inject("PUT Object", bucket=STATE_BUCKET, status=403, code="AccessDenied")
    report = invoke(manual(A), env=STATE_ENV)
    assert report["error"]["code"] == "state_bucket_denied" and report["error"]["api"] == "PUT Object"
    assert report["results"] == [] and state.count("PUT /?unbind") == 0


def test_a_lease_left_unreleased_expires(state, invoke):
    clean_bucket(state, A)
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    dead = direct_state({**STATE_ENV}, run_id="killed-run", now=lambda: past)
    dead.claim_lease(BucketRef(REGION, A))
    report = invoke(manual(A), env=STATE_ENV)
    assert outcome_of(report, A)["outcome"] == "unbound"
    assert record(state, f"leases/{REGION}/{A}/0000000002.json")["run_id"] == CONTEXT["request_id"]
    assert "released_at" not in record(state, f"leases/{REGION}/{A}/0000000001.json")


@pytest.mark.parametrize("after,what", [(1, "lease"), (2, "slot")])
def test_a_create_whose_answer_was_lost_is_recognised_as_ours(state, invoke, after, what):
    # The create took effect but its answer never came; the retry meets 409 and the token in the
    # object says it is this run's own: the run goes on, and nothing is taken twice.
    clean_bucket(state, A)
    state.inject("PUT Object", bucket=STATE_BUCKET, after=after, times=1, lost_answer=True)
    report = invoke(manual(A), env={**STATE_ENV, "CI_UNBIND_MAX_PER_DAY": "5"})
    assert outcome_of(report, A)["outcome"] == "unbound" and state.count("PUT /?unbind") == 1
    assert keys(state, "leases/") == [f"leases/{REGION}/{A}/0000000001.json"]
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    (slot,) = keys(state, "days/")  # one slot, whichever its bucket starts at
    assert slot.startswith(f"days/{day}/slot-") and record(state, slot)["run_id"] == CONTEXT["request_id"]
    assert any(c.fault == "lost_answer" for c in state.calls)
