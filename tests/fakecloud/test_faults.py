import json
import xml.etree.ElementTree as ET

import pytest
from qcloud_cos import CosClientError, CosServiceError
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from .sdk import ci_status, get_resources

B = "f-1250000000"
OTHER = "g-1250000000"


@pytest.fixture(autouse=True)
def buckets(cloud):
    for name in (B, OTHER):
        cloud.add_bucket(name, "ap-guangzhou", tags={"ci-unbind": "true"}).add_workflow()


def test_status_and_code_always(cloud, cos):
    cloud.inject("GET /workflow", status=503, code="ServiceUnavailable")
    for _ in range(3):
        with pytest.raises(CosServiceError) as err:
            cos.ci_get_workflow(Bucket=B)
        assert err.value.get_status_code() == 503
        assert "<Code>ServiceUnavailable</Code>" in err.value.get_origin_msg()
    assert [c.fault for c in cloud.calls] == ["error 503 ServiceUnavailable"] * 3
    cloud.clear_faults()
    assert cos.ci_get_workflow(Bucket=B)["TotalCount"] == "1"
    assert cloud.calls[-1].fault is None


def test_next_n_calls_only_and_bucket_filter(cloud, cos):
    cloud.inject("GET /workflow", status=500, times=2, bucket=B)
    assert cos.ci_get_workflow(Bucket=OTHER)["TotalCount"] == "1"
    for _ in range(2):
        with pytest.raises(CosServiceError):
            cos.ci_get_workflow(Bucket=B)
    assert cos.ci_get_workflow(Bucket=B)["TotalCount"] == "1"
    assert [c.status for c in cloud.calls] == [200, 500, 500, 200]
    assert cloud.calls[1].fault == "error 500"
    assert len(cloud.faults) == 0


def test_error_fault_does_not_touch_the_model(cloud, cos):
    from .sdk import ci_unbind

    cloud.bucket(B).workflows.clear()
    cloud.inject("PUT /?unbind", status=500, times=1)
    with pytest.raises(CosServiceError):
        ci_unbind(cos, B)
    assert cloud.bucket(B).ci_status == "on"


def test_slowdown_is_429_on_ci_and_503_on_cos(cloud, cos):
    cloud.inject("GET /workflow", code="SlowDown", times=1)
    cloud.inject("GET /?tagging", code="SlowDown", times=1)
    with pytest.raises(CosServiceError) as ci_err:
        cos.ci_get_workflow(Bucket=B)
    with pytest.raises(CosServiceError) as cos_err:
        cos.get_bucket_tagging(Bucket=B)
    assert ci_err.value.get_status_code() == 429
    assert (cos_err.value.get_status_code(), cos_err.value.get_error_code()) == (503, "SlowDown")


def test_resource_element_override(cloud, cos):
    cloud.inject("GET /workflow", status=403, code="AccessDenied", with_resource=True, times=1)
    cloud.inject("GET /?tagging", status=403, code="AccessDenied", with_resource=False, times=1)
    with pytest.raises(CosServiceError) as ci_err:
        cos.ci_get_workflow(Bucket=B)
    with pytest.raises(CosServiceError) as cos_err:
        cos.get_bucket_tagging(Bucket=B)
    assert ci_err.value.get_error_code() == "AccessDenied"
    # Without <Resource> the SDK cannot parse the body at all.
    assert cos_err.value.get_error_code() == "Unknown"
    assert "<Code>AccessDenied</Code>" in cos_err.value.get_origin_msg()
    assert "<Resource>" not in cos_err.value.get_origin_msg()


def test_malformed_truncated_and_empty_bodies(cloud, cos):
    cloud.inject("GET /inventorytriggerjob", bucket=B, body="malformed", times=1)
    cloud.inject("GET /inventorytriggerjob", bucket=B, body="truncated", times=1)
    cloud.inject("GET /inventorytriggerjob", bucket=B, body="empty", times=1)
    for _ in range(3):
        with pytest.raises(ET.ParseError):
            cos.ci_list_inventory_trigger_jobs(Bucket=B)
    assert [c.status for c in cloud.calls] == [200, 200, 200]
    assert [c.fault for c in cloud.calls] == ["body malformed", "body truncated", "body empty"]
    assert "JobsDetail" not in cos.ci_list_inventory_trigger_jobs(Bucket=B)


def test_broken_json_status_body(cloud, cos):
    cloud.inject("GET /", body="truncated", times=1)
    cloud.inject("GET /", body="empty", times=1)
    first = ci_status(cos, B, accept_json=True)
    with pytest.raises(ValueError):
        json.loads(first.content)
    assert ci_status(cos, B, accept_json=True).content == b""
    # A body fault with a success status lets the call take effect: the read was counted.
    assert json.loads(ci_status(cos, B, accept_json=True).content) == {"CIStatus": "on"}


def test_connection_errors(cloud, cos, tag):
    cloud.inject("GET /workflow", connection_error=True, times=1)
    cloud.inject("tag:GetResources", connection_error=True, times=2)
    with pytest.raises(CosClientError):
        cos.ci_get_workflow(Bucket=B)
    for _ in range(2):
        with pytest.raises(TencentCloudSDKException) as err:
            get_resources(tag)
        assert err.value.code == "ClientNetworkError"
    assert get_resources(tag)["ResourceTagMappingList"]
    assert [(c.endpoint, c.status, c.fault) for c in cloud.calls[:3]] == [
        ("GET /workflow", None, "connection_error"),
        ("tag:GetResources", None, "connection_error"),
        ("tag:GetResources", None, "connection_error"),
    ]


def test_tag_api_error_faults(cloud, tag):
    cloud.inject("tag:GetResources", code="RequestLimitExceeded", message="slow down", times=1)
    cloud.inject("tag:GetResources", status=503, times=1)
    cloud.inject("tag:GetResources", body="malformed", times=1)
    with pytest.raises(TencentCloudSDKException) as err:
        get_resources(tag)
    assert (err.value.code, err.value.message) == ("RequestLimitExceeded", "slow down")
    with pytest.raises(TencentCloudSDKException) as err:
        get_resources(tag)
    assert err.value.code == "ServerNetworkError"
    with pytest.raises(TencentCloudSDKException):
        get_resources(tag)
    assert [c.status for c in cloud.calls] == [200, 503, 200]


def test_latency(cloud, cos):
    waits = []
    cloud.sleep = waits.append
    cloud.inject("GET /", latency=0.05, times=1)
    assert ci_status(cos, B).status_code == 200
    assert ci_status(cos, B).status_code == 200
    assert waits == [0.05]
    assert [c.fault for c in cloud.calls] == ["latency 0.05", None]


@pytest.mark.parametrize("kw", [
    {"target": "GET /nothing", "status": 500},
    {"target": "GET /", "body": "weird"},
    {"target": "GET /", "status": 500, "times": 0},
    {"target": "GET /"},
])
def test_inject_validates(cloud, kw):
    with pytest.raises(ValueError):
        cloud.inject(kw.pop("target"), **kw)


def test_after_lets_the_first_calls_through(cloud, cos):
    cloud.inject("GET /workflow", status=500, after=2, times=1)
    assert cos.ci_get_workflow(Bucket=B)["TotalCount"] == "1"
    assert cos.ci_get_workflow(Bucket=OTHER)["TotalCount"] == "1"
    with pytest.raises(CosServiceError):
        cos.ci_get_workflow(Bucket=B)
    assert cos.ci_get_workflow(Bucket=B)["TotalCount"] == "1"
    assert [c.status for c in cloud.calls] == [200, 200, 500, 200]


@pytest.mark.parametrize("kind,root", [("html", "html"), ("error_document", "Error"),
                                       ("unexpected_document", "Response")])
def test_wrong_shape_bodies_keep_the_success_status(cloud, cos, kind, root):
    cloud.inject("GET /workflow", body=kind, times=1)
    from .sdk import ci_call

    resp = ci_call(cos, "GET", B, path="/workflow", raw=True)
    assert resp.status_code == 200
    assert ET.fromstring(resp.content).tag == root
    assert "MediaWorkflowList" not in resp.text


@pytest.mark.parametrize("fmt,accept,expected", [
    ("accept", "application/json", b'{"CIStatus": "on"}'), ("accept", "", b"<CIStatus>on</CIStatus>"),
    ("xml", "application/json", b"<CIStatus>on</CIStatus>"), ("json", "", b'{"CIStatus": "on"}'),
])
def test_status_format(cloud, cos, fmt, accept, expected):
    cloud.status_format = fmt
    body = ci_status(cos, B, accept_json=bool(accept)).content
    assert expected in body


def test_states_filter_can_be_ignored(cloud, cos):
    bucket = cloud.bucket(B)
    bucket.add_batch_job(type="Job", state="Success")
    bucket.add_batch_job(type="Job", state="Running")
    listed = lambda: cos.ci_list_inventory_trigger_jobs(Bucket=B, Type="Job", States="Running")  # noqa: E731
    assert len(listed().get("JobsDetail", [])) == 1
    cloud.honour_states_filter = False
    assert {j["State"] for j in listed()["JobsDetail"]} == {"Success", "Running"}
