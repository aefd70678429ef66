"""Notifications through the function's own path: one digest per run, after the decisions; a
failing robot changes no decision but makes `ok` false; a run that is not ok always notifies;
and no URL key or secret leaks into the report, the logs or the message."""

import json

import pytest

from tests.conftest import SECRET_ID, SECRET_KEY, TOKEN, load_event, manual, outcome_of
from tests.events_helpers import UNSET, audit_log, cloud_event

SECRET = "SECrun-test-signing-secret-42"
TIMER = {"Type": "Timer", "TriggerName": "sweep", "Time": "2026-11-29T17:17:00Z"}


def tagged(cloud, name, value="true", **kw):
    return cloud.add_bucket(name, kw.pop("region", "ap-guangzhou"), tags={"ci-unbind": value}, **kw)


def mixed(cloud):
    tagged(cloud, "clean-1250000000")
    tagged(cloud, "paused-1250000000").add_workflow(name="transcode", state="Paused")
    tagged(cloud, "review-1250000000").hidden.add("auto_review")
    cloud.add_bucket("untagged-1250000000", "ap-guangzhou", tags={"team": "x"})


def robot_env(robot, **more):
    env = {"CI_UNBIND_NOTIFY_URL": robot.url}
    if robot.secret:
        env["CI_UNBIND_NOTIFY_SECRET"] = robot.secret
    return {**env, **more}


def decisions(report):
    return sorted((r["bucket"], r["outcome"], tuple(x["code"] for x in r["reasons"])) for r in report["results"])


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "slack", "json"])
def test_one_digest_per_run_with_every_bucket_that_needs_a_person(cloud, invoke, kind):
    mixed(cloud)
    robot = cloud.add_robot(kind, secret=SECRET if kind in ("dingtalk", "feishu") else None)
    report = invoke(TIMER, env=robot_env(robot))
    assert report["ok"] is True and report["notify"]["sent"] is True and report["notify"]["failed"] is False
    assert report["notify"]["host"] == robot.url.split("/")[2] and report["notify"]["buckets"] == 3
    assert len(robot.messages) == 1
    text = robot.last.text
    refusal = outcome_of(report, "review-1250000000")["reasons"][0]
    for needle in ("clean-1250000000", "paused-1250000000", "review-1250000000", "transcode",
                   refusal["request_id"], "console.cloud.tencent.com/ci/bucket?bucket=paused-1250000000"):
        assert needle in text
    assert "untagged-1250000000" not in text
    # Sent after the decisions: the robot's call is the run's last.
    assert cloud.calls[-1].endpoint == f"robot:{kind}"


@pytest.mark.parametrize("fault", [dict(status=503), dict(connection_error=True), dict(code="93000"),
                                   dict(latency=0.01, status=500)])
def test_a_failing_robot_changes_no_decision_and_makes_ok_false(cloud, invoke, fault):
    mixed(cloud)
    robot = cloud.add_robot("wecom")
    cloud.inject("robot:wecom", **fault)
    failed = invoke(TIMER, env=robot_env(robot))
    unbinds_when_failing = cloud.count(endpoint="PUT /?unbind")

    cloud.clear_faults()
    for b in cloud.buckets:  # the same account again, for a run whose robot works
        if b.ci_status != "on":
            b.ci_status = "on"
    cloud.clear_calls()
    worked = invoke(TIMER, env=robot_env(robot))
    assert decisions(failed) == decisions(worked)
    assert unbinds_when_failing == cloud.count(endpoint="PUT /?unbind") == 2
    assert failed["ok"] is False and failed["notify"]["failed"] is True and failed["notify"]["error"]
    assert worked["ok"] is True and worked["notify"]["sent"] is True
    run_line = [line for line in invoke.lines if line["msg"] == "run"][0]
    assert run_line["ok"] is False and run_line["notify"]["failed"] is True


def test_no_url_key_or_secret_anywhere(cloud, invoke):
    mixed(cloud)
    robot = cloud.add_robot("dingtalk", secret=SECRET)
    cloud.inject("robot:dingtalk", connection_error=True, times=2)  # requests' error text quotes the URL
    failed = invoke(TIMER, env=robot_env(robot))
    sent = invoke(TIMER, env=robot_env(robot))
    assert failed["notify"]["failed"] and "oapi.dingtalk.com" in failed["notify"]["error"]
    assert sent["notify"]["sent"]
    everything = json.dumps([failed, sent]) + invoke.stream.getvalue() + robot.last.text + json.dumps(
        robot.last.payload)
    for secret in (robot.key, SECRET, robot.url, SECRET_ID, SECRET_KEY, TOKEN):
        assert secret not in everything


def test_a_run_that_is_not_ok_always_notifies(cloud, invoke):
    robot = cloud.add_robot("wecom")
    report = invoke({"what": "not an event"}, env=robot_env(robot))
    assert report["ok"] is False and report["error"]["code"] == "invalid_event"
    assert report["notify"]["sent"] is True
    assert "NEEDS ATTENTION" in robot.last.text and "invalid_event" in robot.last.text

    tagged(cloud, "broken-1250000000")
    cloud.inject("GET /workflow", status=403, code="AccessDenied")
    report = invoke(manual("broken-1250000000"), env=robot_env(robot, CI_UNBIND_NOTIFY_ON="unbound"))
    assert report["ok"] is False and report["notify"]["sent"] is True
    assert "broken-1250000000" not in robot.last.text and "NEEDS ATTENTION" in robot.last.text


def test_missing_credentials_is_notified_too(cloud, invoke):
    robot = cloud.add_robot("slack")
    report = invoke(manual("a-1250000000"), env=robot_env(robot, TENCENTCLOUD_SECRETID="", TENCENTCLOUD_SECRETKEY=""))
    assert report["error"]["code"] == "missing_credentials" and report["notify"]["sent"] is True
    assert "missing_credentials" in robot.last.text


def test_nothing_to_say_sends_nothing(cloud, invoke):
    cloud.add_bucket("untagged-1250000000", "ap-guangzhou", tags={"ci-unbind": "nope"})
    tagged(cloud, "clean-1250000000")
    robot = cloud.add_robot("wecom")
    report = invoke(manual("untagged-1250000000", "clean-1250000000"), env=robot_env(robot, CI_UNBIND_DRY_RUN="true"))
    assert report["summary"] == {"skipped": 1, "would_unbind": 1}
    assert report["notify"] == {"sent": False, "failed": False, "error": None, "host": "qyapi.weixin.qq.com",
                                "format": "wecom", "buckets": 0, "unchanged": 0}
    assert robot.messages == [] and cloud.count(endpoint="robot:wecom") == 0


def test_without_a_url_there_is_no_notify_key(cloud, invoke):
    mixed(cloud)
    report = invoke(TIMER)
    assert "notify" not in report and report["ok"] is True


def test_the_tagging_event_path_notifies_too(cloud, invoke):
    tagged(cloud, "demo-clean-1250000000").add_batch_job(type="Job", state="Running", name="thumbs")
    robot = cloud.add_robot("feishu", secret=SECRET)
    report = invoke(load_event("cos-put-bucket-tagging.json"), env=robot_env(robot))
    assert report["trigger"] == "event" and report["notify"]["sent"] is True
    assert "batch job thumbs" in robot.last.text


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "slack", "json"])
def test_a_bucket_whose_region_is_unknown_is_notified(cloud, invoke, kind):
    # The event names the bucket but no region, and GET Service does not list it: an error with
    # region None, the run that most needs a person.
    robot = cloud.add_robot(kind)
    event = cloud_event(audit_log(resourceName="gone-1250000000", eventRegion=UNSET, region=UNSET),
                        id="event-0001", region="ap-guangzhou")
    report = invoke(event, env=robot_env(robot))
    (result,) = report["results"]
    assert result["region"] is None and result["reasons"][0]["code"] == "region_unknown"
    assert report["notify"]["sent"] is True and report["notify"]["error"] is None
    assert len(robot.messages) == 1 and "gone-1250000000" in robot.last.text
    if kind != "json":
        assert "region unknown" in robot.last.text and "None" not in robot.last.text
