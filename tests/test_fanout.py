"""The coordinator (CI_UNBIND_FANOUT=on): discovery per account, shards started as asynchronous
SCF invocations of this same function (the fake SCF runs them on its own pool of workers), at most
CI_UNBIND_MAX_INVOCATIONS at once, and a report of every shard."""

import itertools
import json
import time

import pytest

from tests.conftest import APPID, REGION
from tests.org import Org, add_member, fanout_context, member_appid, member_uin
from tests.state_helpers import STATE_BUCKET, STATE_ENV, add_state_bucket

TIMER = {"Type": "Timer", "TriggerName": "sweep-hourly", "Time": "2026-11-29T17:17:00Z", "Message": ""}
FUNCTION_CALLS = ("tag:GetResources", "sts:AssumeRole", "scf:Invoke", "scf:GetAsyncEventStatus")


def org_of(cloud, members=2, per_member=3, own=2, **env):
    # A live fan-out needs its state bucket (the run error state_required otherwise).
    add_state_bucket(cloud)
    env = {**STATE_ENV, **env}
    arns = []
    for i in range(own):
        cloud.add_bucket(f"own{i}-{APPID}", REGION, tags={"ci-unbind": "true"})
    for n in range(1, members + 1):
        arns.append(add_member(cloud, n, [f"m{i}" for i in range(per_member)])[1])
    env = {"CI_UNBIND_ACCOUNTS": ",".join(arns), "CI_UNBIND_FANOUT": "on", **env}
    return Org(cloud, env), arns


@pytest.mark.slow
def test_coordinator_dispatches_shards_and_unbinds_nothing_itself(cloud):
    org, arns = org_of(cloud, CI_UNBIND_SHARD_SIZE="2")
    org.deploy()
    cloud.scf.hold()
    report = org(TIMER)
    # What the coordinator itself called: discovery, roles and invocations, and its state bucket;
    # never CI, never another bucket.
    assert set(cloud.counts_by_endpoint()) <= set(FUNCTION_CALLS) | {"GET /?versioning", "GET Object", "PUT Object"}
    assert {c.bucket for c in cloud.calls if c.service in ("ci", "cos")} == {STATE_BUCKET}
    assert report["ok"] is True and report["results"] == [] and report["summary"] == {}
    shards = report["fanout"]["shards"]
    assert [(s["account"], s["buckets"]) for s in shards] == [
        ("self", 2), (arns[0], 2), (arns[0], 1), (arns[1], 2), (arns[1], 1)]
    assert all(s["dispatched"] and s["request_id"].startswith("fakeinv") and s["of"] == 5 for s in shards)
    assert [s["index"] for s in shards] == list(range(5))

    assert cloud.count(endpoint="scf:Invoke") == 5
    cloud.scf.release()
    workers = org.worker_reports()
    assert len(workers) == 5 and all(w["ok"] and w["trigger"] == "manual" for w in workers)
    assert {w["shard"]["coordinator_run_id"] for w in workers} == {report["run_id"]}
    outcomes = sorted((w["shard"]["account"], r["bucket"], r["outcome"]) for w in workers for r in w["results"])
    assert len(outcomes) == 8 and {o for _, _, o in outcomes} == {"unbound"}
    assert cloud.count(endpoint="PUT /?unbind") == 8
    assert {inv.context["request_id"] for inv in cloud.scf.invocations.values()} == {s["request_id"] for s in shards}


@pytest.mark.slow
def test_at_most_max_invocations_shards_run_at_once(cloud):
    org, _ = org_of(cloud, members=3, per_member=4, own=0, CI_UNBIND_SHARD_SIZE="1", CI_UNBIND_MAX_INVOCATIONS="3")
    cloud.inject("GET /?tagging", latency=0.05)  # each worker takes a while, so shards overlap
    org.deploy(sleep=time.sleep)
    report = org(TIMER, sleep=time.sleep, poll_seconds=0.01)
    org.worker_reports()
    assert len(report["fanout"]["shards"]) == 12 and report["ok"] is True
    assert cloud.scf.peak_running == 3  # the fake's own quota (32) would have allowed all twelve
    assert report["fanout"]["status_calls"] > 0
    assert cloud.count(endpoint="PUT /?unbind") == 12


def test_a_failing_role_is_one_error_and_the_other_accounts_are_dispatched(cloud):
    org, arns = org_of(cloud)
    del cloud.sts.roles[arns[0]]
    org.deploy()
    report = org(TIMER)
    accounts = {a["account"]: a for a in report["fanout"]["accounts"]}
    assert report["ok"] is False and not accounts[arns[0]]["ok"]
    assert accounts[arns[0]]["error"]["code"] == "assume_role_failed"
    assert accounts["self"]["ok"] and accounts[arns[1]]["ok"]
    assert {s["account"] for s in report["fanout"]["shards"]} == {"self", arns[1]}
    org.worker_reports()
    assert cloud.count(endpoint="PUT /?unbind") == 5
    assert cloud.members[member_uin(1)].bucket(f"m0-{member_appid(1)}").ci_status == "on"


def test_a_shard_that_cannot_be_dispatched_is_reported_with_its_buckets(cloud):
    org, arns = org_of(cloud, members=1, per_member=2, own=1)
    cloud.inject("scf:Invoke", code="InternalError", times=1)
    org.deploy()
    report = org(TIMER)
    first, second = report["fanout"]["shards"]
    assert report["ok"] is False
    assert first["dispatched"] is False and first["reasons"][0]["service_code"] == "InternalError"
    assert first["bucket_list"] == [{"bucket": f"own0-{APPID}", "region": REGION}]
    assert second["dispatched"] is True and "bucket_list" not in second
    org.worker_reports()
    assert cloud.bucket(f"own0-{APPID}").ci_status == "on" and cloud.count(endpoint="PUT /?unbind") == 2


@pytest.mark.slow
def test_shards_not_started_by_the_time_budget_are_reported(cloud):
    org, _ = org_of(cloud, members=1, per_member=6, own=0, CI_UNBIND_SHARD_SIZE="1")
    org.deploy()
    ticks = itertools.count()
    # One second per clock reading (the coordinator's own paced calls read it too); a 30 s limit
    # keeps 5 s back, so the budget ends after a few shards.
    report = org(TIMER, context=fanout_context(time_limit_in_ms=30000), clock=lambda: float(next(ticks)))
    shards = report["fanout"]["shards"]
    sent = [s for s in shards if s["dispatched"]]
    late = [s for s in shards if not s["dispatched"]]
    assert sent and late and report["ok"] is False
    assert all(s["reasons"] == [{"code": "deadline"}] and len(s["bucket_list"]) == 1 for s in late)
    assert cloud.count(endpoint="scf:Invoke") == len(sent)


def test_without_a_function_name_nothing_is_dispatched(cloud):
    org, _ = org_of(cloud, members=1)
    context = {k: v for k, v in fanout_context().items() if k != "function_name"}
    report = org(TIMER, context=context)
    assert report["ok"] is False and report["error"]["code"] == "fanout_unavailable"
    assert cloud.count(endpoint="scf:Invoke") == 0
    assert all(not s["dispatched"] and s["bucket_list"] for s in report["fanout"]["shards"])


def test_a_shard_event_arriving_at_the_coordinator_setting_is_still_a_worker(cloud):
    """With fan-out on, a shard event is a worker's, never a second coordinator."""
    org, arns = org_of(cloud, members=1, per_member=1, own=0)
    org.deploy()
    report = org({"buckets": [{"bucket": f"m0-{member_appid(1)}", "region": REGION}],
                  "shard": {"account": arns[0], "coordinator_run_id": "c1", "index": 0, "of": 1}})
    assert report["summary"] == {"unbound": 1} and cloud.count(endpoint="scf:Invoke") == 0


def test_a_context_with_unusable_names_dispatches_nothing(cloud):
    org, _ = org_of(cloud, members=1)
    for change in ({"function_name": "cos-ci-unbinder\n"}, {"function_name": "a/b"}, {"namespace": "../x"},
                   {"function_version": "1 OR 1"}, {"tencentcloud_region": "ap-guangzhou.evil.com"}):
        report = org(TIMER, context=fanout_context(**change))
        assert report["error"]["code"] == "fanout_unavailable", change
    assert cloud.count(endpoint="scf:Invoke") == 0


def test_a_shard_is_cut_short_when_its_event_would_pass_what_scf_takes():
    from lib.buckets import BucketRef
    from lib.org.fanout import cut, shard_event

    # The longest names COS allows, in the longest region name: 2,000 of them do not fit in 128 KB.
    refs = [BucketRef("ap-southeast-3", f"{i:05d}" + "n" * 45 + "-1250000000") for i in range(2000)]
    shards = cut(refs, 2000)
    assert len(shards) > 1 and sum(len(s) for s in shards) == 2000
    assert [r for s in shards for r in s] == refs
    for i, part in enumerate(shards):
        event = shard_event("qcs::cam::uin/100000000101:roleName/" + "r" * 128, "x" * 128, i, len(shards), part,
                            True, {"max_rps": 1000, "max_per_run": 10000})
        assert len(json.dumps(event).encode()) <= 128 * 1024
    # Short names: the count is the limit.
    assert [len(s) for s in cut([BucketRef("ap-guangzhou", f"b{i}-1250000000") for i in range(2500)], 1250)] == [1250, 1250]
