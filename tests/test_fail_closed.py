"""Fail closed: a list API that cannot be read means `error`, and no PUT /?unbind is ever sent."""

import pytest

from tests.conftest import REGION, codes, manual, outcome_of

LIST_APIS = ["GET /?tagging", "GET /", "GET /workflow", "GET /inventorytriggerjob", "GET /mediabucket",
             "GET /picbucket", "GET /docbucket", "GET /asrbucket", "GET /file_bucket", "GET /ai_bucket"]
FAULTS = {
    "5xx that persists": dict(status=503, code="ServiceUnavailable"),
    "500": dict(status=500, code="InternalError"),
    "throttled": dict(status=429, code="SlowDown"),
    "access denied": dict(status=403, code="AccessDenied"),
    "access denied, no Resource": dict(status=403, code="AccessDenied", with_resource=False),
    "no such bucket": dict(status=404, code="NoSuchBucket"),
    "malformed XML": dict(body="malformed"),
    "truncated XML": dict(body="truncated"),
    "empty body": dict(body="empty"),
    "HTML page with 200": dict(body="html"),
    "error document with 200": dict(body="error_document"),
    "unknown document with 200": dict(body="unexpected_document"),
    "redirect": dict(status=301, code="PermanentRedirect"),
    "connection error": dict(connection_error=True),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
@pytest.mark.parametrize("api", LIST_APIS)
def test_failed_check_gives_error_and_no_unbind(cloud, invoke, api, fault):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject(api, times=None, **FAULTS[fault])
    report = invoke(manual("clean-1250000000"))
    result = outcome_of(report, "clean-1250000000")
    assert result["outcome"] == "error", result
    assert report["ok"] is False
    reason = [r for r in result["reasons"] if r["code"] == "api_error"][0]
    assert reason["api"].startswith(api)
    if "status" in FAULTS[fault]:
        assert reason["http_status"] == FAULTS[fault]["status"]
        assert reason["service_code"] == FAULTS[fault]["code"]
        assert reason["request_id"]
    assert cloud.count(endpoint="PUT /?unbind") == 0
    assert cloud.bucket("clean-1250000000").ci_status == "on"


def test_transient_failures_are_retried(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /workflow", status=503, code="ServiceUnavailable", times=2)
    cloud.inject("GET /", status=429, code="SlowDown", times=1)
    result = outcome_of(invoke(manual("clean-1250000000")), "clean-1250000000")
    assert result["outcome"] == "unbound"
    assert cloud.count(endpoint="GET /workflow") == 3


def test_access_denied_is_not_retried(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /workflow", status=403, code="AccessDenied", times=None)
    invoke(manual("clean-1250000000"))
    assert cloud.count(endpoint="GET /workflow") == 1


def test_a_blocker_is_still_reported_when_another_check_fails(cloud, invoke):
    b = cloud.add_bucket("busy-1250000000", REGION, tags={"ci-unbind": "true"})
    b.add_workflow(name="wf", state="Paused")
    cloud.inject("GET /inventorytriggerjob", status=503, code="ServiceUnavailable", times=None)
    result = outcome_of(invoke(manual("busy-1250000000")), "busy-1250000000")
    assert result["outcome"] == "blocked"
    assert codes(result)[0] == "workflow" and "api_error" in codes(result)


@pytest.mark.parametrize("fault", [dict(status=503, code="ServiceUnavailable"), dict(connection_error=True),
                                   dict(status=403, code="AccessDenied"), dict(status=429, code="SlowDown")])
def test_unbind_call_failure_is_an_error_not_a_refusal(cloud, invoke, fault):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("PUT /?unbind", times=None, **fault)
    result = outcome_of(invoke(manual("clean-1250000000")), "clean-1250000000")
    assert result["outcome"] == "error"
    # Writes are never retried: one attempt only.
    assert cloud.count(endpoint="PUT /?unbind") == 1


def test_one_bad_bucket_does_not_stop_the_others(cloud, invoke):
    cloud.add_bucket("bad-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_bucket("good-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /workflow", bucket="bad-1250000000", status=500, code="InternalError", times=None)
    report = invoke(manual("bad-1250000000", "good-1250000000"))
    assert outcome_of(report, "bad-1250000000")["outcome"] == "error"
    assert outcome_of(report, "good-1250000000")["outcome"] == "unbound"
