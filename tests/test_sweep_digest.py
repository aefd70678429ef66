"""One sweep, one digest (lib/org/sweepnotify.py, lib/org/members.py): a fanned-out or
multi-account sweep sends at most one digest covering every account and shard, and none when
nothing changed since the last."""

import pytest

from tests.conftest import APPID, REGION, SkipClock
from tests.org import Org, add_member
from tests.state_helpers import STATE_ENV, add_state_bucket, keys
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


@pytest.mark.slow
def test_a_fanned_out_sweep_sends_one_digest_from_its_last_shard_and_none_when_nothing_changed(cloud):
    robot, env = blocked_everywhere(cloud)
    org = Org(cloud, {**env, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "1"})
    org.deploy()
    skip = SkipClock()
    report = org(TIMER, clock=skip.clock, sleep=skip.sleep)
    workers = org.worker_reports()
    assert len(workers) == len(report["fanout"]["shards"]) == 6
    assert len(robot.messages) == 1
    senders = [w for w in workers if w.get("notify", {}).get("sent")]
    assert len(senders) == 1 and senders[0]["notify"]["sweep"] == report["run_id"]
    assert all(w["notify"].get("sweep") == report["run_id"] for w in workers)
    text = str(robot.messages[0])
    assert "blocked-1250000101" in text and "blocked-1250000102" in text and f"own-blocked-{APPID}" in text

    second = org(TIMER, context=None, clock=skip.clock, sleep=skip.sleep)
    org.worker_reports()
    assert second["ok"] is True
    assert len(robot.messages) == 1  # three blocked buckets, as before: nothing to say


@pytest.mark.slow
def test_a_sweep_whose_shard_never_recorded_is_told_by_the_next_coordinator(cloud):
    robot, env = blocked_everywhere(cloud, members=1)
    org = Org(cloud, {**env, "CI_UNBIND_FANOUT": "on", "CI_UNBIND_SHARD_SIZE": "1"})
    org.deploy()
    cloud.inject("scf:Invoke", after=2, status=500, code="InternalError")  # the third shard never starts
    skip = SkipClock()
    first = org(TIMER, clock=skip.clock, sleep=skip.sleep)
    org.worker_reports()
    assert first["ok"] is False and len(robot.messages) == 0  # the sweep is not complete: no one sends
    cloud.clear_faults()
    org(TIMER, clock=skip.clock, sleep=skip.sleep)
    # The second coordinator sent what the first sweep left, saying a shard is missing
    assert len(robot.messages) >= 1
    assert "shards" in str(robot.messages[0]) or "shard" in str(robot.messages[0])
    assert [k for k in keys(cloud, "sweeps/") if k.endswith("digest.json")]
