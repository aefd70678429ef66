"""Quiet when nothing changed, through the function's own path with the state bucket: a bucket is
listed again only when its outcome or blockers changed; the run's history records the digest."""

import pytest

from lib.notify import changes
from tests.conftest import outcome_of
from tests.state_helpers import STATE_ENV, add_state_bucket, keys, record

TIMER = {"Type": "Timer"}


@pytest.fixture
def state(cloud):
    add_state_bucket(cloud)
    return cloud


def test_an_unchanged_sweep_is_quiet_and_a_change_is_news(state, invoke):
    paused = state.add_bucket("paused-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"})
    wf = paused.add_workflow(name="transcode", state="Paused")
    state.add_bucket("review-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"}).hidden.add("auto_review")
    robot = state.add_robot("wecom")
    env = {**STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url}

    first = invoke(TIMER, env=env)
    assert first["ok"] is True and first["notify"]["sent"] is True and first["notify"]["buckets"] == 2
    assert set(record(state, changes.RECORD_KEY)["buckets"]) == {"ap-guangzhou/paused-1250000000",
                                                                 "ap-guangzhou/review-1250000000"}

    second = invoke(TIMER, env=env)  # the refusal has a new request id: not a change
    assert outcome_of(second, "review-1250000000")["outcome"] == "refused"
    assert second["ok"] is True and second["notify"]["sent"] is False and second["notify"]["unchanged"] == 2
    assert len(robot.messages) == 1

    wf.state = "Active"
    third = invoke(TIMER, env=env)
    assert third["notify"]["sent"] is True and third["notify"]["buckets"] == 1
    assert "paused-1250000000" in robot.last.text and "is Active" in robot.last.text
    assert "review-1250000000**" not in robot.last.text and "1 bucket unchanged" in robot.last.text


def test_a_failed_history_write_is_notified_and_a_failed_digest_records_nothing(state, invoke):
    state.add_bucket("paused-1250000000", "ap-guangzhou", tags={"ci-unbind": "true"}).add_workflow(state="Paused")
    robot = state.add_robot("slack")
    state.inject("robot:slack", status=503)
    report = invoke(TIMER, env={**STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url})
    assert report["ok"] is False and report["notify"]["failed"] is True
    assert changes.RECORD_KEY not in keys(state, "notify/")  # nothing delivered, nothing recorded

    state.clear_faults()
    # The run's start record is written; its history writes (and the last-digest record) fail.
    state.inject("PUT Object", bucket="unbinder-state-1250000000", after=1, status=503, code="ServiceUnavailable")
    report = invoke(TIMER, env={**STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url})
    assert report["state"]["failures"] and report["ok"] is False
    assert report["notify"]["sent"] is True and "NEEDS ATTENTION" in robot.last.text
    assert "recording the digest failed" in report["notify"]["state_error"]


def test_a_state_bucket_that_fails_its_checks_is_not_used_and_the_run_still_notifies(cloud, invoke):
    add_state_bucket(cloud, versioning="Enabled")
    robot = cloud.add_robot("wecom")
    report = invoke(TIMER, env={**STATE_ENV, "CI_UNBIND_NOTIFY_URL": robot.url})
    assert report["ok"] is False and report["notify"]["sent"] is True
    assert "NEEDS ATTENTION" in robot.last.text and report["error"]["code"] in robot.last.text
