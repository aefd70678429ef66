"""Invalid events cannot flood a robot: at most one "needs attention" digest per robot within the
quiet period, the others counted, and the count said in the next digest sent. With the state
bucket the period holds across containers; without it, within one."""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from lib.notify import quiet
from tests.conftest import manual
from tests.state_helpers import STATE_BUCKET, STATE_ENV, add_state_bucket, keys, record

START = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


def forged(n):
    return {"what": f"forged-{n}", "<b>evil</b>": "x"}


class Wall:
    def __init__(self):
        self.at = START

    def __call__(self):
        return self.at


def held_back(robot):
    """The count of held-back digests the robot's last message says (0: none said)."""
    if robot.kind == "json":
        return robot.last.payload.get("suppressed", 0)
    found = re.search(r"(\d+) more digests? like this held back", robot.last.text)
    return int(found.group(1)) if found else 0


def robot_env(robot, **more):
    return {"CI_UNBIND_NOTIFY_URL": robot.url, **more}


@pytest.mark.parametrize("kind", ["wecom", "json"])
def test_twenty_forged_events_make_one_message_without_a_state_bucket(cloud, invoke, kind):
    robot = cloud.add_robot(kind)
    wall = Wall()
    reports = []
    for n in range(20):
        reports.append(invoke(forged(n), env=robot_env(robot), now=wall))
        wall.at += timedelta(minutes=2)
    assert all(r["ok"] is False and r["error"]["code"] == "invalid_event" for r in reports)
    assert len(robot.messages) == 1 and "invalid_event" in robot.last.text
    assert reports[0]["notify"]["sent"] is True
    assert [r["notify"]["suppressed"] for r in reports[1:]] == list(range(1, 20))
    assert all(r["notify"]["sent"] is False and r["notify"]["failed"] is False for r in reports[1:])
    assert reports[1]["notify"]["quiet_until"] == "2026-12-04T10:00:00Z"
    # The quiet period over, the next one is sent and counts the ones held back.
    wall.at = START + timedelta(hours=1, minutes=1)
    report = invoke(forged(20), env=robot_env(robot), now=wall)
    assert report["notify"]["sent"] is True and len(robot.messages) == 2
    assert held_back(robot) == 19
    # ... and the count starts over.
    wall.at += timedelta(hours=2)
    invoke(forged(21), env=robot_env(robot), now=wall)
    assert len(robot.messages) == 3 and held_back(robot) == 0


def test_with_a_state_bucket_the_period_holds_across_containers(cloud, invoke):
    add_state_bucket(cloud)
    robot = cloud.add_robot("dingtalk")
    env = robot_env(robot, **STATE_ENV)
    wall = Wall()
    for n in range(5):
        invoke(forged(n), env=env, now=wall)
        quiet.MEMORY.clear()  # each event in a new container
        wall.at += timedelta(minutes=5)
    assert len(robot.messages) == 1
    (marker,) = [k for k in keys(cloud) if k == quiet.RECORD_KEY]
    stored = record(cloud, marker)
    (entry,) = stored["robots"].values()
    assert entry["suppressed"] == 4
    assert robot.key not in json.dumps(stored) and robot.url not in json.dumps(stored)

    wall.at = START + timedelta(hours=1, seconds=1)
    report = invoke(forged(9), env=env, now=wall)
    assert report["notify"]["sent"] is True and len(robot.messages) == 2
    assert held_back(robot) == 4 and "4 more digests like this held back" in robot.last.text
    (entry,) = record(cloud, marker)["robots"].values()
    assert entry["suppressed"] == 0


def test_a_state_bucket_that_fails_falls_back_to_the_containers_memory(cloud, invoke):
    add_state_bucket(cloud)
    robot = cloud.add_robot("json")
    cloud.inject("GET Object", bucket=STATE_BUCKET, status=503, code="ServiceUnavailable", times=None)
    wall = Wall()
    reports = [invoke(forged(n), env=robot_env(robot, **STATE_ENV), now=wall) for n in range(3)]
    assert len(robot.messages) == 1  # fewer than one per event, never none
    assert all("quiet period failed" in r["notify"]["state_error"] for r in reports)


def test_valid_runs_are_not_held_back(cloud, invoke):
    robot = cloud.add_robot("json")
    cloud.add_bucket("clean-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"})
    wall = Wall()
    invoke(forged(0), env=robot_env(robot), now=wall)
    report = invoke(manual("clean-1250000000"), env=robot_env(robot), now=wall)
    assert report["notify"]["sent"] is True and len(robot.messages) == 2


def test_concurrent_invalid_events_send_one_digest_through_the_state_bucket(cloud, invoke):
    add_state_bucket(cloud)
    robot = cloud.add_robot("feishu")
    wall = Wall()
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda n: invoke(forged(n), env=robot_env(robot, **STATE_ENV), now=wall), range(8)))
    assert len(robot.messages) == 1
    assert sum(r["notify"]["sent"] for r in reports) == 1
    assert all(r["notify"]["failed"] is False and "state_error" not in r["notify"] for r in reports)
