"""The CI client's reading of every documented answer form, and its error translation."""

import pytest

from lib.cloud.ci import parse_status
from lib.cloud.cos import parse_error_body
from lib.cloud.errors import ApiError
from tests.conftest import REGION, codes, manual, outcome_of


@pytest.mark.parametrize("body,status", [
    (b'{"CIStatus":"on"}', "on"),
    (b'{"CIStatus": "unbinding"}', "unbinding"),
    (b"<CIStatus>off</CIStatus>", "off"),
    (b"<?xml version='1.0' encoding='utf-8'?>\n<CIStatus>on</CIStatus>", "on"),
    (b"<Response><CIStatus>off</CIStatus></Response>", "off"),
])
def test_status_forms(body, status):
    assert parse_status(body) == status


def test_unknown_status_value_is_passed_on():
    assert parse_status(b'{"CIStatus":"frozen"}') == "frozen"


@pytest.mark.parametrize("body", [b"", b"{}", b'{"CIStatus":""}', b"<CIStatus>", b"on", b"<x/>",
                                  b'{"CIStatus": 1}', b"[]", b"<CIStatus/>"])
def test_unreadable_status_raises(body):
    with pytest.raises(ApiError) as info:
        parse_status(body)
    assert info.value.code == "MalformedResponse"


@pytest.mark.parametrize("body,expected", [
    ("<Error><Code>AccessDenied</Code><Message>m</Message><RequestId>r</RequestId></Error>",
     {"Code": "AccessDenied", "Message": "m", "RequestId": "r"}),
    ("<?xml version='1.0'?><Error><Code>X</Code><Message>m</Message><Resource>res</Resource>"
     "<RequestId>r</RequestId><TraceId>t</TraceId></Error>", {"Code": "X", "Message": "m", "RequestId": "r"}),
    ('{"Error": {"Code": "J", "Message": "m"}, "RequestId": "r"}', {"Code": "J", "Message": "m", "RequestId": ""}),
    ("", {"Code": "", "Message": "", "RequestId": ""}),
    ("<Error><Code>", {"Code": "", "Message": "", "RequestId": ""}),
])
def test_error_bodies(body, expected):
    assert parse_error_body(body) == expected


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_either_status_form_from_the_service(cloud, invoke, fmt):
    cloud.status_format = fmt
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    result = outcome_of(invoke(manual("clean-1250000000")), "clean-1250000000")
    assert result["outcome"] == "unbound"


def test_ci_error_without_resource_keeps_the_service_code(cloud, invoke):
    # The SDK's own parser says "Unknown" for this body; the report must not.
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /workflow", status=403, code="AccessDenied", message="no ci:DescribeMediaWorkflows",
                 with_resource=False, times=None)
    reason = outcome_of(invoke(manual("clean-1250000000")), "clean-1250000000")["reasons"][0]
    assert reason["service_code"] == "AccessDenied" and reason["message"] == "no ci:DescribeMediaWorkflows"
    assert reason["request_id"].startswith("fake")


def test_unreadable_refusal_is_an_error_not_a_refusal(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("PUT /?unbind", status=400, body="malformed", times=None)
    result = outcome_of(invoke(manual("clean-1250000000")), "clean-1250000000")
    assert result["outcome"] == "error" and codes(result) == ["api_error"]


def test_configurable_refusal_code_is_passed_through(cloud, invoke):
    cloud.refusal_status, cloud.refusal_code = 403, "PlaceholderTasksExist"
    cloud.add_bucket("review-1250000000", REGION, tags={"ci-unbind": "true"}).hidden.add("historical_review")
    (reason,) = outcome_of(invoke(manual("review-1250000000")), "review-1250000000")["reasons"]
    assert (reason["http_status"], reason["service_code"]) == (403, "PlaceholderTasksExist")


def test_temporary_credentials_send_the_token(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    # Without the token the fake treats the temporary key as unknown: every call fails, nothing unbinds.
    result = outcome_of(invoke(manual("clean-1250000000"), env={"TENCENTCLOUD_SESSIONTOKEN": ""}),
                        "clean-1250000000")
    assert result["outcome"] == "error"
    assert result["reasons"][0]["service_code"] == "InvalidAccessKeyId"


def test_wrong_secret_is_a_signature_error(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    result = outcome_of(invoke(manual("clean-1250000000"), env={"TENCENTCLOUD_SECRETKEY": "wrong-key"}),
                        "clean-1250000000")
    assert result["outcome"] == "error"
    assert result["reasons"][0]["service_code"] == "SignatureDoesNotMatch"
    assert cloud.count(endpoint="PUT /?unbind") == 0
