import json
import threading

import pytest
from qcloud_cos import CosServiceError

from lib.fakecloud import FakeCloud

from .sdk import ci_status, ci_unbind, cos_client

B = "target-1250000000"


def _status(cos, bucket=B):
    return json.loads(ci_status(cos, bucket, accept_json=True).content)["CIStatus"]


def _refusal(cos, bucket=B, **kw):
    with pytest.raises(CosServiceError) as err:
        ci_unbind(cos, bucket, **kw)
    return err.value


BLOCKERS = [
    pytest.param(lambda b: b.add_workflow(state="Active"), id="workflow-active"),
    pytest.param(lambda b: b.add_workflow(state="Paused"), id="workflow-paused"),
    *[pytest.param(lambda b, t=t, s=s: b.add_batch_job(type=t, state=s), id=f"batch-{t}-{s}")
      for t in ("Workflow", "Job") for s in ("Submitted", "Running", "Pause")],
    *[pytest.param(lambda b, s=s: b.enable_service(s), id=f"service-{s}")
      for s in ("media", "pic", "doc", "asr", "file", "ai")],
    pytest.param(lambda b: b.hidden.add("auto_review"), id="hidden-auto-review"),
    pytest.param(lambda b: b.hidden.add("historical_review"), id="hidden-historical-review"),
]


@pytest.mark.parametrize("add_blocker", BLOCKERS)
def test_refused_per_blocker_kind(cloud, cos, add_blocker):
    add_blocker(cloud.add_bucket(B, "ap-guangzhou"))
    err = _refusal(cos)
    assert err.get_status_code() == 400
    assert "<Code>PlaceholderUnbindRefused</Code>" in err.get_origin_msg()
    assert cloud.bucket(B).ci_status == "on"
    assert _status(cos) == "on"


def test_finished_batch_jobs_do_not_block(cloud, cos):
    b = cloud.add_bucket(B, "ap-guangzhou")
    for t in ("Workflow", "Job"):
        for s in ("Success", "Failed", "Cancel"):
            b.add_batch_job(type=t, state=s)
    assert ci_unbind(cos, B).status_code == 200


def test_accepted_then_unbinding_then_off(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou")
    resp = ci_unbind(cos, B)
    assert resp.status_code == 200 and resp.content == b""
    assert resp.headers["x-ci-request-id"]
    assert cloud.bucket(B).ci_status == "unbinding"
    assert [_status(cos) for _ in range(3)] == ["unbinding", "off", "off"]
    assert cloud.count(endpoint="PUT /?unbind", bucket=B) == 1
    assert cloud.count(endpoint="GET /") == 3


@pytest.mark.parametrize("reads,expected", [(0, ["off", "off"]), (2, ["unbinding", "unbinding", "off"])])
def test_settle_reads(reads, expected):
    cloud = FakeCloud(unbind_settle_reads=reads)
    cloud.add_bucket(B, "ap-guangzhou")
    with cloud:
        cos = cos_client(cloud)
        ci_unbind(cos, B)
        assert [_status(cos) for _ in expected] == expected


def test_unbind_while_unbinding_is_an_accepted_no_op(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou")
    cloud.unbind_settle_reads = 5
    ci_unbind(cos, B)
    assert _status(cos) == "unbinding"
    assert ci_unbind(cos, B).status_code == 200
    assert cloud.bucket(B).ci_status == "unbinding"


def test_unbind_while_off_is_refused(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou", ci_status="off")
    err = _refusal(cos)
    assert "<Code>PlaceholderUnbindRefused</Code>" in err.get_origin_msg()
    assert "not bound" in err.get_origin_msg()


def test_both_query_forms_and_the_legacy_host(cloud, cos):
    for name in ("a-1250000000", "b-1250000000", "c-1250000000"):
        cloud.add_bucket(name, "ap-guangzhou")
    ci_unbind(cos, "a-1250000000")                                     # ?unbind=
    ci_unbind(cos, "b-1250000000", params={}, url_suffix="?unbind",    # ?unbind, as the Go SDK sends it
              sign_params={"unbind": ""})
    ci_unbind(cos, "c-1250000000", legacy_host=True)
    assert [c.query for c in cloud.calls] == [{"unbind": ""}] * 3
    assert {c.endpoint for c in cloud.calls} == {"PUT /?unbind"}
    assert all(b.ci_status == "unbinding" for b in cloud.buckets)


def test_refusal_status_and_code_are_configurable():
    cloud = FakeCloud(refusal_status=409, refusal_code="StillInUse", ci_errors_with_resource=True)
    cloud.add_bucket(B, "ap-guangzhou").add_workflow()
    with cloud:
        err = _refusal(cos_client(cloud))
    assert err.get_status_code() == 409
    # With <Resource> in the body the SDK can parse the error itself.
    assert err.get_error_code() == "StillInUse"
    assert err.get_request_id() == cloud.calls[0].request_id


def test_bind_after_off(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou")
    cloud.unbind_settle_reads = 0
    ci_unbind(cos, B)
    assert _status(cos) == "off"
    from .sdk import ci_call

    ci_call(cos, "PUT", B)
    assert _status(cos) == "on"


class TestModel:
    def test_blockers_listed(self):
        cloud = FakeCloud()
        b = cloud.add_bucket(B, "ap-guangzhou")
        w = b.add_workflow(name="w", state="Paused")
        j = b.add_batch_job(type="Job", state="Pause")
        b.add_batch_job(type="Job", state="Success")
        b.enable_service("asr")
        b.hidden.add("auto_review")
        assert b.blockers() == [("workflow", w.id), ("batch_job", j.id), ("service", "asr"),
                                ("hidden", "auto_review")]
        outcome = b.request_unbind()
        assert not outcome.accepted and len(outcome.blockers) == 4

    @pytest.mark.parametrize("kw", [{"state": "Stopped"}])
    def test_invalid_states_rejected(self, kw):
        b = FakeCloud().add_bucket(B, "ap-guangzhou")
        with pytest.raises(ValueError):
            b.add_workflow(**kw)
        with pytest.raises(ValueError):
            b.add_batch_job(type="Job", **kw)
        with pytest.raises(ValueError):
            b.enable_service("video")

    def test_bad_bucket_arguments(self):
        cloud = FakeCloud()
        for args in (("noappid", "ap-guangzhou"), ("x-1250000000", "Bad Region")):
            with pytest.raises(ValueError):
                cloud.add_bucket(*args)
        cloud.add_bucket(B, "ap-guangzhou")
        with pytest.raises(ValueError):
            cloud.add_bucket(B, "ap-guangzhou")
        with pytest.raises(KeyError):
            cloud.bucket("nobody-1250000000")

    def test_concurrent_unbinds_accept_once(self):
        cloud = FakeCloud(unbind_settle_reads=1000)
        b = cloud.add_bucket(B, "ap-guangzhou")
        results = []
        threads = [threading.Thread(target=lambda: results.append(b.request_unbind().accepted)) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The first moves the bucket to 'unbinding'; the rest are the accepted no-op.
        assert all(results) and b.ci_status == "unbinding"
        assert [b.read_status() for _ in range(3)] == ["unbinding"] * 3


@pytest.mark.parametrize("reads,expected", [(1, ["unbinding", "off"]), (0, ["off", "off"])])
def test_a_bucket_that_starts_unbinding_settles_too(reads, expected):
    cloud = FakeCloud(unbind_settle_reads=reads)
    cloud.add_bucket(B, "ap-guangzhou", ci_status="unbinding")
    with cloud:
        cos = cos_client(cloud)
        assert [_status(cos) for _ in expected] == expected
