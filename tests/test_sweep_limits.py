"""One sweep, one set of limits: a fanned-out sweep shares the account's rate and the per-run cap
among its shards (lib/org/fanout.py), each shard takes the smaller of its share and its own setting
(lib/org/shard.py), and a live fan-out without a state bucket starts no shard."""

import json

import pytest

from lib.cloud.scf import FunctionInvoker
from lib.settings import Credentials
from tests.conftest import APPID, REGION, SECRET_ID, SECRET_KEY, TOKEN, SkipClock
from tests.org import Org, add_member
from tests.state_helpers import STATE_ENV, add_state_bucket, keys
from tests.test_fanout import TIMER

SELF_SHARD = {"account": "self", "coordinator_run_id": "c-1", "index": 0, "of": 1}


def one_account_in_shards(cloud, buckets=8, shard_size=2, state=True, **env):
    """The central account's tagged clean buckets, cut into shards of `shard_size`."""
    if state:
        add_state_bucket(cloud)
    for i in range(buckets):
        cloud.add_bucket(f"c{i:02d}-{APPID}", REGION, tags={"ci-unbind": "true"})
    return Org(cloud, {**(STATE_ENV if state else {}), "CI_UNBIND_FANOUT": "on",
                       "CI_UNBIND_SHARD_SIZE": str(shard_size), **env})


@pytest.mark.slow
def test_each_shard_gets_its_share_of_the_accounts_rate_and_of_the_sweeps_cap(cloud):
    org = one_account_in_shards(cloud, buckets=8, CI_UNBIND_MAX_PER_RUN="10", CI_UNBIND_MAX_RPS="50")
    org.deploy()
    cloud.scf.hold()
    shards = org(TIMER)["fanout"]["shards"]
    cloud.scf.release()
    assert len(shards) == 4
    # four shards of one account may run at once: a quarter each of its rate less the coordinator's
    # tenth (its own state-bucket calls); the cap is the sweep's, its slots in the state bucket
    assert [s["max_rps"] for s in shards] == [11, 11, 11, 11]
    assert [s["max_per_run"] for s in shards] == [10, 10, 10, 10]
    events = [json.loads(inv.event) if isinstance(inv.event, str) else inv.event
              for inv in cloud.scf.invocations.values()]
    assert sorted(e["shard"]["max_per_run"] for e in events) == [10, 10, 10, 10]


@pytest.mark.slow
def test_a_members_shards_share_their_own_accounts_rate(cloud):
    add_state_bucket(cloud)
    _account, arn = add_member(cloud, 1, [f"m{i}" for i in range(6)])
    org = Org(cloud, {**STATE_ENV, "CI_UNBIND_ACCOUNTS": arn, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "2",
                      "CI_UNBIND_MAX_RPS": "30", "CI_UNBIND_MAX_INVOCATIONS": "2"})
    org.deploy()
    skip = SkipClock()
    shards = org(TIMER, clock=skip.clock, sleep=skip.sleep)["fanout"]["shards"]
    org.worker_reports()
    # at most two shards run at once (the invocation limit): each gets half of the account's 30,
    # less the coordinator's tenth
    assert {s["account"]: s["max_rps"] for s in shards} == {arn: 13}
    assert len([s for s in shards if s["account"] == arn]) == 3


@pytest.mark.slow
def test_the_cap_holds_for_the_whole_fanned_out_sweep_exactly(cloud):
    org = one_account_in_shards(cloud, buckets=12, shard_size=3, CI_UNBIND_MAX_PER_RUN="5")
    org.deploy()
    skip = SkipClock()
    report = org(TIMER, clock=skip.clock, sleep=skip.sleep)
    workers = org.worker_reports()
    assert report["ok"] is True and len(workers) == 4
    assert cloud.count(endpoint="PUT /?unbind") == 5
    assert sum(w["summary"].get("unbound", 0) for w in workers) == 5
    assert sum(w["summary"].get("deferred", 0) for w in workers) == 7
    assert len(keys(cloud, f"sweeps/{report['run_id']}/cap/")) == 5


@pytest.mark.slow
def test_the_shards_with_the_work_get_the_sweeps_cap(cloud):
    # Only the first shard has buckets to unbind: it takes the whole cap, not a quarter of it.
    add_state_bucket(cloud)
    for i in range(12):
        bucket = cloud.add_bucket(f"c{i:02d}-{APPID}", REGION, tags={"ci-unbind": "true"})
        if i >= 3:
            bucket.add_workflow(state="Paused")
    org = Org(cloud, {**STATE_ENV, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "3", "CI_UNBIND_MAX_PER_RUN": "3"})
    org.deploy()
    skip = SkipClock()
    org(TIMER, clock=skip.clock, sleep=skip.sleep)
    workers = org.worker_reports()
    assert sum(w["summary"].get("unbound", 0) for w in workers) == 3
    assert sum(w["summary"].get("blocked", 0) for w in workers) == 9


def test_a_forged_share_can_only_lower_a_shards_limits(cloud, invoke):
    for i in range(3):
        cloud.add_bucket(f"c{i}-{APPID}", REGION, tags={"ci-unbind": "true"})
    event = {"buckets": [{"bucket": f"c{i}-{APPID}", "region": REGION} for i in range(3)],
             "shard": {**SELF_SHARD, "max_rps": 1000, "max_per_run": 1000}}
    report = invoke(event, env={"CI_UNBIND_MAX_PER_RUN": "1", "CI_UNBIND_MAX_RPS": "7"})
    assert report["summary"] == {"unbound": 1, "deferred": 2}
    (run_line,) = [x for x in invoke.lines if x["msg"] == "run"]
    assert run_line["settings"]["max_rps"] == 7 and run_line["settings"]["max_per_run"] == 1
    lower = invoke({**event, "shard": {**SELF_SHARD, "max_rps": 2, "max_per_run": 0}})
    assert lower["summary"] == {"deferred": 3}  # a cap of 0 defers before any read
    (_, run_line) = [x for x in invoke.lines if x["msg"] == "run"]
    assert run_line["settings"]["max_rps"] == 2 and run_line["settings"]["max_per_run"] == 0


def test_a_share_that_is_not_a_whole_number_in_range_is_an_invalid_event(cloud, invoke):
    for bad in ({"max_rps": 0}, {"max_rps": "5"}, {"max_per_run": -1}, {"max_rps": True}):
        report = invoke({"buckets": [], "shard": {**SELF_SHARD, **bad}})
        assert report["ok"] is False and report["error"]["code"] == "invalid_event", bad
    assert cloud.calls == []


def test_a_live_fanout_without_a_state_bucket_starts_no_shard(cloud):
    org = one_account_in_shards(cloud, buckets=4, state=False)
    org.deploy()
    report = org(TIMER)
    assert report["ok"] is False and report["error"]["code"] == "state_required"
    assert cloud.count(endpoint="scf:Invoke") == 0
    assert all(not s["dispatched"] and s["reasons"][0]["code"] == "state_required"
               for s in report["fanout"]["shards"])
    # a dry fan-out decides nothing irreversible, and needs no state bucket
    dry = org(TIMER, env={"CI_UNBIND_DRY_RUN": "true"})
    assert dry["ok"] is True and cloud.count(endpoint="scf:Invoke") == 2
    org.worker_reports()


def test_invoke_and_status_calls_are_paced_at_their_published_limits(cloud):
    org = one_account_in_shards(cloud, buckets=1)
    org.deploy()
    cloud.scf.hold()
    skip = SkipClock()
    start = skip.clock()
    invoker = FunctionInvoker(Credentials(SECRET_ID, SECRET_KEY, TOKEN), REGION, "cos-ci-unbinder",
                              qualifier="$LATEST", clock=skip.clock, sleep=skip.sleep)
    ids = [invoker.dispatch({"buckets": []}) for _ in range(41)]
    assert skip.clock() - start >= 2.0  # 41 at 20 a second: two full seconds of waiting at least
    polled = skip.clock()
    for request_id in ids[:41]:
        invoker.status(request_id)
    assert skip.clock() - polled >= 2.0
    cloud.scf.release()
