"""Many accounts with the state bucket: the daily cap holds across every shard and account (the
state bucket is the central account's, reached with the central keys), and `history` shows a
fanned-out sweep with all its shards as one run."""

import json
from collections import Counter

import pytest

from lib.ops.cli import main
from tests.conftest import APPID, BASE_ENV, REGION, SECRET_KEY
from tests.org import Org, add_member
from tests.state_helpers import STATE_BUCKET, STATE_ENV, add_state_bucket, keys

# Slow: left to the full run (CI); the quick run must fit its time.
pytestmark = pytest.mark.slow

TIMER = {"Type": "Timer", "TriggerName": "sweep-hourly", "Time": "2026-11-29T17:17:00Z", "Message": ""}


def org_with_state(cloud, **env):
    add_state_bucket(cloud)
    for i in range(2):
        cloud.add_bucket(f"own{i}-{APPID}", REGION, tags={"ci-unbind": "true"})
    arns = [add_member(cloud, n, [f"m{i}" for i in range(4)])[1] for n in (1, 2, 3)]
    return Org(cloud, {**STATE_ENV, "CI_UNBIND_ACCOUNTS": ",".join(arns), "CI_UNBIND_MAX_PER_DAY": "5", **env}), arns


def outcomes(reports):
    return Counter(r["outcome"] for rep in reports for r in rep["results"])


def test_daily_cap_holds_exactly_across_shards_and_accounts(cloud):
    org, _ = org_with_state(cloud, CI_UNBIND_FANOUT="on", CI_UNBIND_SHARD_SIZE="2", CI_UNBIND_MAX_INVOCATIONS="4")
    org.deploy()
    report = org(TIMER)
    assert report["ok"] is True and len(report["fanout"]["shards"]) == 7
    workers = org.worker_reports()
    assert len(workers) == 7 and all(w["ok"] for w in workers)
    assert outcomes(workers) == {"unbound": 5, "deferred": 9}
    assert {r["reasons"][0]["code"] for w in workers for r in w["results"] if r["outcome"] == "deferred"} == {
        "max_per_day"}
    assert cloud.count(endpoint="PUT /?unbind") == 5
    # Every state object went to the central account's bucket: no member key was refused there.
    assert cloud.count(service="cos", status=403) == 0
    assert len(keys(cloud, "days/")) == 5  # the day's slots, in the central bucket


def test_daily_cap_holds_across_accounts_in_one_invocation(cloud):
    org, _ = org_with_state(cloud, CI_UNBIND_MAX_PER_RUN="100")
    report = org(TIMER)
    assert report["ok"] is True and report["summary"] == {"unbound": 5, "deferred": 9}
    assert cloud.count(endpoint="PUT /?unbind") == 5


def test_a_broken_state_bucket_starts_no_shard(cloud):
    org, _ = org_with_state(cloud, CI_UNBIND_FANOUT="on")
    cloud.objects.set_versioning("unbinder-state-1250000000", "Enabled")
    org.deploy()
    report = org(TIMER)
    assert report["ok"] is False and report["error"]["code"] == "state_bucket_versioned"
    assert cloud.count(endpoint="scf:Invoke") == 0
    assert all(not s["dispatched"] and s["bucket_list"] for s in report["fanout"]["shards"])


def test_a_secret_in_the_coordinators_state_failure_does_not_reach_its_report(cloud):
    org, _ = org_with_state(cloud, CI_UNBIND_FANOUT="on")
    org.deploy()
    # After the sweep's mark every state write fails, quoting the key.
    cloud.inject("PUT Object", bucket=STATE_BUCKET, after=1, status=503, code="ServiceUnavailable",
                 message=f"write refused for {SECRET_KEY}")
    report = org(TIMER)
    assert report["ok"] is False and report["state"]["failures"]
    assert "***" in json.dumps(report) and SECRET_KEY not in json.dumps(report)


def test_history_shows_a_fanout_with_all_its_shards_as_one_run(cloud, monkeypatch, capsys):
    org, arns = org_with_state(cloud, CI_UNBIND_FANOUT="on", CI_UNBIND_SHARD_SIZE="3")
    org.deploy()
    report = org(TIMER)
    workers = org.worker_reports()
    for key, value in {**BASE_ENV, **STATE_ENV}.items():
        monkeypatch.setenv(key, value)
    main(["history", "--json"])
    data = json.loads(capsys.readouterr().out)
    (run,) = data["runs"]
    assert run["run_id"] == report["run_id"] and run["kind"] == "fanout" and run["ok"] is True
    # A shard that had nothing new (only deferred buckets) wrote nothing, and its coordinator says so.
    recorded = [w for w in workers if w["sweep"]["recorded"]]
    assert len(report["fanout"]["shards"]) == len(workers) == 7
    assert run["shards_reported"] == len(recorded) and run["shards_quiet"] == 7 - len(recorded) > 0
    # What the quiet shards looked at is told, though no shard of them stored a summary.
    quiet = [s for s in report["fanout"]["shards"] if s.get("quiet")]
    assert run["buckets_quiet"] == sum(s["buckets"] for s in quiet) > 0
    main(["history"])
    (row,) = [line for line in capsys.readouterr().out.splitlines() if report["run_id"] in line]
    assert row.endswith(f"{run['buckets_quiet']} buckets unchanged ({len(quiet)} quiet shards)")
    assert sorted(s["run_id"] for s in run["shard_runs"]) == sorted(w["run_id"] for w in recorded)
    assert run["summary"] == {"unbound": 5, "deferred": sum(w["summary"].get("deferred", 0) for w in recorded)}
    assert sum(w["summary"].get("deferred", 0) for w in workers) == 9
    # Every account's shards are there; a bucket only deferred is counted, not stored one by one.
    assert {s["account"] for s in run["fanout"]["shards"]} == {"self", *arns}
    assert {s["account"] for s in run["shard_runs"]} <= {"self", *arns}
    assert {r["account"] for r in run["results"]} <= {"self", *arns}
