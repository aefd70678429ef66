"""The sender against the fake robots: each format delivered and read back as a person sees it,
DingTalk and Feishu signatures checked by the robot, one retry for what is worth one, and an
error that names the host and nothing of the key or the secret."""

import time

import pytest

from lib.notify import robots
from lib.notify.config import load
from lib.notify.send import NotifyFailed, Sender, sign_dingtalk, sign_feishu

SECRET = "SECtest-signing-secret-0123456789"
DIGEST = {"source": "cos-ci-unbinder", "run_id": "r-1", "trigger": "timer", "dry_run": False, "ok": True,
          "error": None, "summary": {"blocked": 1}, "heads_up": 0, "unchanged": 0, "omitted": 0,
          "buckets": [{"bucket": "b-1250000000", "region": "ap-guangzhou", "outcome": "blocked", "heads_up": None,
                       "status": "blocked", "console": "https://console.cloud.tencent.com/ci/bucket",
                       "lines": [{"code": "workflow", "text": "workflow w (w1) is Paused",
                                  "link": {"url": "https://console.cloud.tencent.com/ci/bucket?bucket=b-1250000000"
                                                  "&region=ap-guangzhou", "label": "CI console: Workflow"}}]}]}


def sender(robot, secret=None, fmt=None, **kw):
    env = {"CI_UNBIND_NOTIFY_URL": robot.url, "CI_UNBIND_NOTIFY_FORMAT": fmt or robot.kind}
    if secret:
        env["CI_UNBIND_NOTIFY_SECRET"] = secret
    waits = []
    s = Sender(load(env), sleep=waits.append, **kw)
    s.waits = waits
    return s


def payload(kind):
    return robots.render(kind, DIGEST)[0]


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "slack", "json"])
def test_each_format_reaches_its_robot_and_reads_as_sent(cloud, kind):
    robot = cloud.add_robot(kind, secret=SECRET if kind in ("dingtalk", "feishu") else None)
    sender(robot, SECRET if robot.secret else None).send(payload(kind))
    assert len(robot.messages) == 1 and robot.refusals == []
    text = robot.last.text
    assert "b-1250000000" in text and "workflow w (w1) is Paused" in text
    assert "console.cloud.tencent.com/ci/bucket?bucket=b-1250000000" in text
    assert cloud.count(endpoint=f"robot:{kind}") == 1


@pytest.mark.parametrize("kind,code", [("dingtalk", "310000"), ("feishu", "19021")])
def test_a_wrong_or_missing_signature_is_refused_by_the_robot(cloud, kind, code):
    robot = cloud.add_robot(kind, secret=SECRET)
    for secret in ("SECsome-other-secret", None):
        with pytest.raises(NotifyFailed) as failed:
            sender(robot, secret).send(payload(kind))
        assert code in str(failed.value)
    assert robot.messages == [] and [r.code for r in robot.refusals] == [code, code]
    assert cloud.count(endpoint=f"robot:{kind}") == 2  # a refusal is not retried


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_a_timestamp_over_an_hour_off_is_refused(cloud, kind):
    robot = cloud.add_robot(kind, secret=SECRET)
    with pytest.raises(NotifyFailed):
        sender(robot, SECRET, clock=lambda: time.time() - 3700).send(payload(kind))
    sender(robot, SECRET, clock=lambda: time.time() - 3500).send(payload(kind))
    assert len(robot.messages) == 1


def test_signatures_match_the_documented_examples():
    # The algorithms as the robots' documents give them, recomputed independently here.
    import base64
    import hashlib
    import hmac
    ts = 1700000000123
    expect = base64.b64encode(hmac.new(b"SECx", f"{ts}\nSECx".encode(), hashlib.sha256).digest()).decode()
    assert sign_dingtalk("SECx", ts / 1000) == {"timestamp": str(ts), "sign": expect}
    expect = base64.b64encode(hmac.new(b"1700000000\nabc", b"", hashlib.sha256).digest()).decode()
    assert sign_feishu("abc", 1700000000.9) == {"timestamp": "1700000000", "sign": expect}


@pytest.mark.parametrize("fault", [dict(status=503), dict(connection_error=True), dict(code="45009")])
def test_one_retry_for_a_passing_failure(cloud, fault):
    robot = cloud.add_robot("wecom")
    cloud.inject("robot:wecom", times=1, **fault)
    s = sender(robot)
    s.send(payload("wecom"))
    assert len(robot.messages) == 1 and cloud.count(endpoint="robot:wecom") == 2 and s.waits == [1.0]


def test_only_one_retry(cloud):
    robot = cloud.add_robot("wecom")
    cloud.inject("robot:wecom", status=503)
    with pytest.raises(NotifyFailed) as failed:
        sender(robot).send(payload("wecom"))
    assert cloud.count(endpoint="robot:wecom") == 2 and "HTTP 503" in str(failed.value)


@pytest.mark.parametrize("kind,fault,words", [
    ("wecom", dict(code="40058", message="markdown.content exceed max length 4096"), "code 40058"),
    ("slack", dict(status=400, code="invalid_blocks"), "HTTP 400: invalid_blocks"),
    ("slack", dict(status=404, code="no_service"), "HTTP 404: no_service"),
    ("feishu", dict(code="19024", message="Key Words Not Found"), "code 19024"),
    ("json", dict(status=403, code="Forbidden"), "HTTP 403"),
])
def test_a_refusal_is_not_retried_and_says_why(cloud, kind, fault, words):
    robot = cloud.add_robot(kind)
    cloud.inject(f"robot:{kind}", **fault)
    with pytest.raises(NotifyFailed) as failed:
        sender(robot).send(payload(kind))
    assert words in str(failed.value) and cloud.count(endpoint=f"robot:{kind}") == 1


def test_an_unknown_key_is_refused(cloud):
    robot = cloud.add_robot("wecom")
    other = cloud.add_robot("wecom")
    url = robot.url.replace(robot.key, other.key[::-1])
    with pytest.raises(NotifyFailed) as failed:
        Sender(load({"CI_UNBIND_NOTIFY_URL": url}), sleep=lambda _s: None).send(payload("wecom"))
    assert "93000" in str(failed.value) and other.key[::-1] not in str(failed.value)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu", "slack"])
def test_errors_name_the_host_and_never_the_key_or_secret(cloud, kind):
    # requests quotes the URL, key and all, when a connection fails: the fake does the same.
    robot = cloud.add_robot(kind, secret=SECRET if kind in ("dingtalk", "feishu") else None)
    cloud.inject(f"robot:{kind}", connection_error=True)
    with pytest.raises(NotifyFailed) as failed:
        sender(robot, robot.secret).send(payload(kind))
    text = str(failed.value)
    assert robot.url.split("/")[2] in text and "ConnectionError" in text and "***" in text
    for part in [robot.key, *robot.key.split("/"), SECRET]:
        assert part not in text


def test_no_attempt_outlasts_the_functions_time(cloud):
    robot = cloud.add_robot("wecom")
    now = [100.0]
    with pytest.raises(NotifyFailed) as failed:
        sender(robot, deadline=101.0, monotonic=lambda: now[0]).send(payload("wecom"))
    assert "before the function's time limit" in str(failed.value) and cloud.count(endpoint="robot:wecom") == 0
    s = sender(robot, deadline=103.0, monotonic=lambda: now[0])
    assert s._timeout_now() == (1.5, 2.5)
    s.send(payload("wecom"))
    assert len(robot.messages) == 1
