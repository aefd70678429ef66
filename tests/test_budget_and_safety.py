"""The cap under refusals, the verify loop's time bound, shared service-list failures, refusal
classification, the handler never raising, and secrets kept out of every log."""

import json
import logging

import pytest

import handler
from lib import invocation
from lib.cloud.ci import _is_refusal
from lib.cloud.clients import connect
from lib.cloud.errors import ApiError
from tests.conftest import BASE_ENV, CONTEXT, REGION, TOKEN, manual, outcome_of

TIMER = {"Type": "Timer", "TriggerName": "sweep", "Time": "2026-11-28T00:00:00Z"}


@pytest.mark.parametrize("attempt", range(5))
def test_a_refused_unbind_gives_its_slot_to_the_next_bucket(cloud, invoke, attempt):
    # Cap 1, two buckets at once: the service refuses one of them. Whichever goes first, the
    # clean one must still be unbound: a refusal does not use up the cap.
    cloud.add_bucket("a-review-1250000000", REGION, tags={"ci-unbind": "true"}).hidden.add("auto_review")
    cloud.add_bucket("b-clean-1250000000", REGION, tags={"ci-unbind": "true"})
    report = invoke(manual("a-review-1250000000", "b-clean-1250000000"),
                    env={"CI_UNBIND_MAX_PER_RUN": "1", "CI_UNBIND_CONCURRENCY": "2"})
    assert outcome_of(report, "b-clean-1250000000")["outcome"] == "unbound"
    assert outcome_of(report, "a-review-1250000000")["outcome"] in ("refused", "deferred")
    assert cloud.count(endpoint="PUT /?unbind") in (1, 2)


def test_cap_of_zero_unbinds_nothing(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    report = invoke(manual("clean-1250000000"), env={"CI_UNBIND_MAX_PER_RUN": "0"})
    assert report["summary"] == {"deferred": 1} and cloud.count(endpoint="PUT /?unbind") == 0


class CallClock:
    def __init__(self, cloud, step):
        self.cloud, self.step = cloud, step

    def __call__(self):
        return float(len(self.cloud.calls) * self.step)


def test_verification_stops_before_the_function_times_out(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /", status=503, code="ServiceUnavailable", times=None, after=1)
    # Two simulated seconds per call: the slot is taken at 22 s (11 calls), the deadline is 23 s
    # (28 s limit, 5 s margin), the last second is kept free (27 s): the PUT ends at 24 s, the
    # first confirming read at 26 s, the second at 28 s, and no third read is made.
    report = invoke(manual("clean-1250000000"), clock=CallClock(cloud, 2),
                    context={"request_id": "r", "time_limit_in_ms": 28000})
    result = outcome_of(report, "clean-1250000000")
    assert result["outcome"] == "error" and [r["code"] for r in result["reasons"]][:2] == [
        "unbind_accepted", "unverified"]
    apis = [c["api"] for c in result["calls"]]  # an error keeps its calls in the report
    assert apis == [c["api"] for c in invoke.calls("clean-1250000000")]
    assert apis[apis.index("PUT /?unbind"):] == ["PUT /?unbind", "GET /", "GET /"]


def test_a_failed_service_list_fails_every_bucket_of_its_group_once(cloud, invoke):
    for name in ("one-1250000000", "two-1250000000", "three-1250000000"):
        cloud.add_bucket(name, REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /docbucket", status=403, code="AccessDenied", times=None)
    report = invoke(TIMER)
    assert report["summary"] == {"error": 3} and report["ok"] is False
    assert cloud.count(endpoint="GET /docbucket") == 1
    assert cloud.count(endpoint="PUT /?unbind") == 0
    for result in report["results"]:
        assert [r["api"] for r in result["reasons"]] == ["GET /docbucket"]


@pytest.mark.parametrize("status,code,refusal", [
    (400, "PlaceholderUnbindRefused", True),
    (403, "TasksExist", True),
    (400, "InvalidArgument", True),
    (403, "AccessDenied", False),
    (403, "SignatureDoesNotMatch", False),
    (404, "NoSuchBucket", False),
    (429, "SlowDown", False),
    (411, "MissingContentLength", False),
    (403, "UserNotBucketOwner", False),
    (400, "HTTP400", False),
    (400, "Unknown", False),
    (400, "", False),
    (500, "InternalError", False),
    (503, "ServiceUnavailable", False),
    (None, "ConnectionError", False),
])
def test_refusal_or_error(status, code, refusal):
    assert _is_refusal(ApiError(api="PUT /?unbind", http_status=status, code=code)) is refusal


def test_handler_returns_a_report_for_credentials_with_white_space(cloud, monkeypatch):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    env = {**BASE_ENV, "TENCENTCLOUD_SECRETID": BASE_ENV["TENCENTCLOUD_SECRETID"] + "\n",
           "TENCENTCLOUD_SECRETKEY": " " + BASE_ENV["TENCENTCLOUD_SECRETKEY"]}
    monkeypatch.setattr(handler, "SETTINGS", invocation.cold_start(env))
    report = handler.main_handler(TIMER, CONTEXT)
    assert report["ok"] is True and report["summary"] == {"unbound": 1}


def test_no_secret_in_any_log_even_at_debug(cloud, monkeypatch, capsys, caplog):
    """The production logger and the SDKs' loggers, at DEBUG, on a manual run and a sweep."""
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_bucket("busy-1250000000", REGION, tags={"ci-unbind": "true"}).add_workflow(name="w", state="Active")
    cloud.inject("GET /workflow", status=403, code="AccessDenied", bucket="clean-1250000000", times=1)
    monkeypatch.setattr(handler, "SETTINGS", invocation.cold_start(BASE_ENV))
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    reports = [handler.main_handler(manual("clean-1250000000", "busy-1250000000"), CONTEXT),
               handler.main_handler(TIMER, CONTEXT)]
    out = capsys.readouterr()
    text = out.out + out.err + caplog.text + json.dumps(reports)
    assert '"msg": "bucket"' in out.out and '"msg": "run"' in out.out
    for secret in (BASE_ENV["TENCENTCLOUD_SECRETID"], BASE_ENV["TENCENTCLOUD_SECRETKEY"], TOKEN):
        assert secret not in text
    assert "q-signature" not in text and "TC3-HMAC-SHA256" not in text


def test_a_bucket_that_reaches_its_unbind_after_the_deadline_is_deferred(cloud, invoke):
    cloud.add_bucket("late-1250000000", REGION, tags={"ci-unbind": "true"})
    # One simulated second per call. The bucket starts at 0 s, before the deadline (10 s limit,
    # 5 s margin: 5 s); its checks take 11 calls, so it asks for its slot at 11 s: too late.
    report = invoke(manual("late-1250000000"), clock=CallClock(cloud, 1),
                    context={"request_id": "r", "time_limit_in_ms": 10000})
    result = outcome_of(report, "late-1250000000")
    assert result["outcome"] == "deferred" and result["reasons"] == [{"code": "deadline"}]
    assert "calls" not in result  # in the log line only
    assert len(invoke.calls("late-1250000000")) == 11 and cloud.count(endpoint="PUT /?unbind") == 0


def test_a_fault_of_ours_in_one_bucket_is_an_internal_error(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})

    def broken_clock():
        raise OSError("clock unavailable")

    report = invoke(manual("clean-1250000000"), now=broken_clock)
    result = outcome_of(report, "clean-1250000000")
    assert result["outcome"] == "error" and result["reasons"][0]["code"] == "internal_error"
    assert "clock unavailable" in result["reasons"][0]["message"]
    assert report["ok"] is False and cloud.count(endpoint="PUT /?unbind") == 0


def test_a_fault_of_ours_in_the_run_is_reported_not_raised(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "false"})

    def broken_progress(*_args):
        raise RuntimeError("progress display failed")

    report = invoke(TIMER, progress=broken_progress)
    assert report["ok"] is False and report["error"]["code"] == "internal_error"
    assert "progress display failed" in report["error"]["message"]


def test_clients_and_their_connection_pool_are_kept_while_warm():
    settings = invocation.cold_start(BASE_ENV)
    first = connect(settings)
    assert connect(settings) is first
    # The CI and COS clients share one pooled session.
    assert first.ci._clients is first.tags._clients
    rotated = invocation.cold_start({**BASE_ENV, "TENCENTCLOUD_SESSIONTOKEN": "rotated-token-0001"})
    assert connect(rotated) is not first
