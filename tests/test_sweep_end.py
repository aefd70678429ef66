"""A fanned-out sweep's end (lib/org/sweepnotify.py): a shard with nothing new writes nothing, one
that cannot record says its own failure, the sweep's digest goes once however many finish it, and
the record of what was notified forgets only what the shards that ended did not see."""

from datetime import datetime, timezone

from lib.cloud.clients import connect
from lib.notify import changes
from lib.org.sweepnotify import finish
from lib.settings import load
from lib.state.store import StateStore
from tests.conftest import APPID, BASE_ENV, REGION, manual
from tests.org import Org
from tests.state_helpers import PREFIX, STATE_BUCKET, STATE_ENV, add_state_bucket, keys
from tests.test_state import FAST_RETRY


def shard(*buckets, index=0, of=1):
    return {**manual(*buckets), "shard": {"account": "self", "coordinator_run_id": "coord-1", "index": index,
                                          "of": of}}


def blocked(cloud, name):
    cloud.add_bucket(name, REGION, tags={"ci-unbind": "true"}).add_workflow(state="Paused")
    return name


def one_blocked_bucket(cloud):
    """A state bucket, a robot, one blocked bucket, and the function that sweeps it."""
    add_state_bucket(cloud)
    robot = cloud.add_robot("wecom")
    name = blocked(cloud, f"blocked-{APPID}")
    return robot, name, Org(cloud, {**STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url})


def test_a_shard_that_cannot_leave_its_record_says_its_own_failure(cloud):
    robot, name, org = one_blocked_bucket(cloud)
    cloud.inject("PUT Object", bucket=STATE_BUCKET, status=403, code="AccessDenied", message="no writes")
    report = org(shard(name))
    assert report["ok"] is False and report["sweep"]["recorded"] is False
    assert not keys(cloud, "runs/")
    # Its coordinator would see a shard that ended and left nothing: the shard tells a person itself.
    assert len(robot.messages) == 1 and report["notify"]["sent"] is True


def test_a_shard_with_nothing_new_writes_nothing(cloud):
    robot, name, org = one_blocked_bucket(cloud)
    first = org(shard(name))
    assert first["sweep"]["recorded"] is True and len(keys(cloud, "runs/")) == 1
    store = state_store()
    finish(store, org.settings(), "coord-1", [{"request_id": first["run_id"], "status": "FINISHED"}],
           datetime.now(timezone.utc), datetime.now(timezone.utc), False, [f"{REGION}/{name}"])
    assert len(robot.messages) == 1
    before = len(cloud.calls)
    again = org(shard(name), context={"request_id": "shard-2"})
    assert again["ok"] is True and again["sweep"]["recorded"] is False
    assert not [c for c in cloud.calls[before:] if c.endpoint == "PUT Object"]


def state_store() -> StateStore:
    clients = connect(load({**BASE_ENV, **STATE_ENV}), retry=FAST_RETRY).clients
    return StateStore(clients, STATE_BUCKET, REGION, PREFIX, FAST_RETRY)


def test_two_finishers_of_one_sweep_send_one_digest(cloud):
    robot, name, org = one_blocked_bucket(cloud)
    report = org(shard(name))
    now = datetime.now(timezone.utc)
    ends = [finish(state_store(), org.settings(), "coord-1",
                   [{"request_id": report["run_id"], "status": "FINISHED"}], now, now, False) for _ in range(2)]
    assert len(robot.messages) == 1
    assert ends[0]["notify"]["sent"] is True and ends[1] == {"recorded": 1, "quiet": 0, "missing": 0, "claimed": False}


def test_the_record_of_what_was_notified_forgets_only_buckets_no_shard_saw():
    settings = load({**BASE_ENV, "CI_UNBIND_NOTIFY_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}).notify
    seen = {"fp": "x", "outcome": "blocked", "at": "t"}
    previous = {"version": 1, "buckets": {"r/quiet-shard": seen, "r/untagged": seen}}
    sweep = {"trigger": "timer", "results": [], "present": ["r/quiet-shard"]}
    assert set(changes.record(previous, sweep, settings, [], "now")["buckets"]) == {"r/quiet-shard"}
    partial = {"trigger": "timer", "results": [], "partial": True}
    assert set(changes.record(previous, partial, settings, [], "now")["buckets"]) == {"r/quiet-shard", "r/untagged"}
