"""One sweep, one digest (lib/org/sweepnotify.py, lib/org/members.py): a fanned-out or
multi-account sweep sends at most one digest covering every account and shard, and none when
nothing changed since the last."""

import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import APPID, REGION, SkipClock
from tests.org import Org, add_member, fanout_context
from tests.state_helpers import STATE_BUCKET, STATE_ENV, add_state_bucket, keys, put_record, record
from tests.test_fanout import TIMER


def blocked_everywhere(cloud, members=2):
    """A state bucket, a robot, and in each account one blocked and one clean bucket."""
    add_state_bucket(cloud)
    robot = cloud.add_robot("wecom")
    cloud.add_bucket(f"own-blocked-{APPID}", REGION, tags={"ci-unbind": "true"}).add_workflow(state="Paused")
    cloud.add_bucket(f"own-clean-{APPID}", REGION, tags={"ci-unbind": "true"})
    arns = []
    for n in range(1, members + 1):
        account, arn = add_member(cloud, n, ["clean"])
        account.add_bucket(f"blocked-{account.appid}", REGION, tags={"ci-unbind": "true"}).add_workflow(
            state="Paused")
        arns.append(arn)
    env = {**STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url, "CI_UNBIND_ACCOUNTS": ",".join(arns)}
    return robot, env


def test_a_sweep_of_several_accounts_sends_one_digest_and_none_when_nothing_changed(cloud):
    robot, env = blocked_everywhere(cloud)
    org = Org(cloud, env)
    first = org(TIMER)
    assert first["summary"]["blocked"] == 3 and first["summary"]["unbound"] == 3
    assert len(robot.messages) == 1 and first["notify"]["sent"] is True
    text = str(robot.messages[0])
    assert all(f"blocked-{a}" in text for a in ("1250000101", "1250000102")) and f"own-blocked-{APPID}" in text
    again = org(TIMER)
    assert again["summary"] == {"blocked": 3, "not_bound": 3}
    assert len(robot.messages) == 1 and again["notify"]["sent"] is False and again["notify"]["unchanged"] == 3


def writes(cloud, since: int) -> list:
    return [c.path for c in cloud.calls[since:] if c.endpoint == "PUT Object" and c.bucket == STATE_BUCKET]


# The coordinator waits for its shards in real time (they run on the fake's threads).
WAITING = {"sleep": time.sleep, "poll_seconds": 0.05}


@pytest.mark.slow
def test_a_fanned_out_sweep_sends_one_digest_from_its_coordinator_and_an_unchanged_one_writes_two_objects(cloud):
    robot, env = blocked_everywhere(cloud)
    org = Org(cloud, {**env, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "1"})
    org.deploy()
    report = org(TIMER, **WAITING)
    workers = org.worker_reports()
    assert len(workers) == len(report["fanout"]["shards"]) == 6 and report["fanout"]["finished"] is True
    assert len(robot.messages) == 1
    assert report["notify"]["sent"] is True and report["notify"]["sweep"] == report["run_id"]
    assert not [w for w in workers if w.get("notify", {}).get("sent")]  # the shards send nothing
    assert report["sweep"] == {"recorded": 6, "quiet": 0, "missing": 0}
    text = str(robot.messages[0])
    assert "blocked-1250000101" in text and "blocked-1250000102" in text and f"own-blocked-{APPID}" in text

    before = len(cloud.calls)
    second = org(TIMER, **WAITING)
    again = org.worker_reports()[6:]
    assert second["ok"] is True and second["sweep"] == {"recorded": 0, "quiet": 6, "missing": 0}
    assert len(robot.messages) == 1  # three blocked buckets, as before: nothing to say
    # Nothing new: the shards wrote nothing; the coordinator its sweep's mark and its record.
    assert all(w["sweep"]["recorded"] is False for w in again) and len(again) == 6
    written = writes(cloud, before)
    assert len(written) == 2 and any(p.endswith("sweeps/last.json") for p in written), written


@pytest.mark.slow
def test_a_shard_that_never_started_is_in_the_sweeps_one_digest(cloud):
    robot, env = blocked_everywhere(cloud, members=1)
    org = Org(cloud, {**env, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "1"})
    org.deploy()
    cloud.inject("scf:Invoke", after=2, times=1, status=500, code="InternalError")  # the third never starts
    first = org(TIMER, **WAITING)
    org.worker_reports()
    assert first["ok"] is False and first["sweep"]["missing"] == 1 and len(robot.messages) == 1
    assert "shards_missing" in str(robot.messages[0]) or "shard" in str(robot.messages[0])


@pytest.mark.slow
def test_a_sweep_its_coordinator_could_not_wait_for_is_finished_by_the_next(cloud):
    robot, env = blocked_everywhere(cloud, members=1)
    org = Org(cloud, {**env, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "1"})
    org.deploy()
    cloud.scf.hold()  # the shards are accepted and wait: the coordinator's time runs out first
    skip = SkipClock()
    first = org(TIMER, clock=skip.clock, sleep=skip.sleep, context=fanout_context(time_limit_in_ms=60000))
    assert first["fanout"]["finished"] is False and "sweep" not in first and not robot.messages
    cloud.scf.release()
    org.worker_reports()
    assert not robot.messages  # the shards leave their records; the digest is the coordinator's
    second = org(TIMER, **WAITING, context=fanout_context(request_id="second-sweep"))
    (earlier,) = second["earlier_sweeps"]
    assert earlier["run_id"] == first["run_id"] and earlier["recorded"] == 4
    assert len(robot.messages) == 1 and "blocked-1250000101" in str(robot.messages[0])
    # The first coordinator's record now says how its shards ended, for `history`.
    (record_key,) = [k for k in keys(cloud, "runs/") if k.endswith(f"-{first['run_id']}.json")]
    stored = record(cloud, record_key)
    assert stored["fanout"]["finished"] is True and {s["status"] for s in stored["fanout"]["shards"]} == {"FINISHED"}


@pytest.mark.slow
@pytest.mark.parametrize("ago,told", [(timedelta(minutes=5), False), (timedelta(hours=2), True)])
def test_a_sweep_whose_coordinator_never_recorded_its_end_is_told_once_it_cannot_be_running(cloud, ago, told):
    robot, env = blocked_everywhere(cloud, members=1)
    org = Org(cloud, {**env, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "1"})
    org.deploy()
    started = datetime.now(timezone.utc) - ago
    put_record(cloud, "sweeps/last.json", {"sweeps": [{
        "run_id": "killed-coordinator", "of": 3, "dry_run": False,
        "record": "runs/2026/01/01/000000-killed-coordinator.json",
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%SZ")}]})
    report = org(TIMER, **WAITING)
    org.worker_reports()
    texts = [str(m) for m in robot.messages]
    # This sweep's own digest (its buckets are news) and, only when the last one cannot still be
    # running, the last sweep's: three shards that never reported.
    assert report["sweep"]["missing"] == 0 and len(texts) == 1 + told
    assert ("earlier_sweeps" in report) is told
    listed = [s["run_id"] for s in record(cloud, "sweeps/last.json")["sweeps"]]
    if told:
        (earlier,) = report["earlier_sweeps"]
        assert earlier["run_id"] == "killed-coordinator" and earlier["missing"] == 3
        assert listed == [report["run_id"]]
    else:  # still waited for, beside this sweep
        assert listed == ["killed-coordinator", report["run_id"]]
