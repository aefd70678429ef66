import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from qcloud_cos import CosClientError, CosServiceError

from lib.fakecloud import DEMO_SCENARIO, ENDPOINTS, FakeCloud, UnknownRequest, load_scenario

from .sdk import all_resources, ci_call, ci_status, ci_unbind, cos_client, tag_client

B = "core-1250000000"


class TestStrictMode:
    def test_unknown_request_raises_in_the_call_and_on_exit(self):
        cloud = FakeCloud()
        cloud.add_bucket(B, "ap-guangzhou")
        with pytest.raises(UnknownRequest) as on_exit:
            with cloud:
                client = cos_client(cloud)
                # GET /queue exists on the real service but the fake does not serve it.
                with pytest.raises(CosClientError) as in_call:
                    client.ci_get_media_queue(Bucket=B)
        # Checked outside: the exit's own UnknownRequest would otherwise hide a failed assert.
        assert "no route of the fake serves GET" in str(in_call.value)
        assert "/queue" in str(on_exit.value)
        assert len(cloud.unknown_requests) == 1 and cloud.calls == []

    def test_an_unknown_request_raised_directly_is_not_raised_twice(self):
        cloud = FakeCloud()
        with pytest.raises(UnknownRequest):
            with cloud:
                raise UnknownRequest("already")

    def test_mistyped_sub_resource_is_never_a_bind(self):
        cloud = FakeCloud()
        cloud.add_bucket(B, "ap-guangzhou", ci_status="off")
        with pytest.raises(UnknownRequest):
            with cloud:
                with pytest.raises(CosClientError):
                    ci_call(cos_client(cloud), "PUT", B, params={"unbnd": ""})
        assert cloud.bucket(B).ci_status == "off"

    def test_non_strict_answers_404(self):
        cloud = FakeCloud(strict=False)
        cloud.add_bucket(B, "ap-guangzhou")
        with cloud:
            with pytest.raises(CosServiceError) as err:
                cos_client(cloud).ci_get_media_queue(Bucket=B)
        assert err.value.get_status_code() == 404
        assert "<Code>InvalidUrl</Code>" in err.value.get_origin_msg()
        assert len(cloud.unknown_requests) == 1

    def test_start_stop(self):
        cloud = FakeCloud()
        cloud.add_bucket(B, "ap-guangzhou")
        cloud.start()
        try:
            with pytest.raises(RuntimeError):
                cloud.start()
            assert ci_status(cos_client(cloud), B).status_code == 200
        finally:
            cloud.stop()
        cloud.stop()  # idempotent


def test_call_log_helpers(cloud, cos, tag):
    cloud.add_bucket(B, "ap-guangzhou", tags={"ci-unbind": "true"})
    cloud.add_bucket("second-1250000000", "ap-guangzhou")
    cos.get_bucket_tagging(Bucket=B)
    ci_status(cos, B)
    ci_status(cos, "second-1250000000")
    cos.ci_get_workflow(Bucket=B)
    cos.ci_list_inventory_trigger_jobs(Bucket=B, Type="Job")
    cos.ci_get_media_bucket(BucketNames=B)
    ci_unbind(cos, B)
    all_resources(tag)
    assert cloud.count() == 8
    assert cloud.count(endpoint="GET /") == 2 and cloud.count(endpoint="GET /", bucket=B) == 1
    assert cloud.count(service="cos") == 1 and cloud.count(bucket=B) == 5
    assert cloud.counts_by_endpoint() == {
        "GET /?tagging": 1, "GET /": 2, "GET /workflow": 1, "GET /inventorytriggerjob": 1,
        "GET /mediabucket": 1, "PUT /?unbind": 1, "tag:GetResources": 1}
    assert cloud.actions_seen() == {
        "cos:GetBucketTagging", "ci:DescribeCIBuckets", "ci:DescribeMediaWorkflows",
        "ci:DescribeInventoryTriggerJobs", "ci:DescribeMediaBuckets", "ci:DeleteCIBucket", "tag:GetResources"}
    call = cloud.calls[0]
    assert (call.service, call.method, call.host, call.path, call.query, call.bucket, call.region, call.status) == (
        "cos", "GET", f"{B}.cos.ap-guangzhou.myqcloud.com", "/", {"tagging": ""}, B, "ap-guangzhou", 200)
    assert len({c.request_id for c in cloud.calls}) == 8
    cloud.clear_calls()
    assert cloud.calls == []


def test_endpoint_names():
    assert set(ENDPOINTS) == {
        "GET /", "PUT /", "PUT /?unbind", "GET /workflow", "GET /inventorytriggerjob", "GET /mediabucket",
        "GET /picbucket", "GET /docbucket", "GET /asrbucket", "GET /file_bucket", "GET /ai_bucket",
        "GET /cibuckets", "GET /?tagging", "PUT /?tagging", "DELETE /?tagging", "GET Service", "tag:GetResources",
        "GET /?versioning", "GET Bucket", "PUT Object", "GET Object", "HEAD Object", "DELETE Object",
        "eb:ListEventBuses", "eb:ListRules", "eb:GetRule", "eb:CreateRule", "eb:UpdateRule", "eb:ListTargets",
        "eb:CreateTarget", "eb:DeleteTarget", "eb:DeleteRule", "cam:GetUserAppId", "cam:GetRole", "cam:CreateRole",
        "cam:UpdateAssumeRolePolicy", "cam:DeleteRole", "cam:ListPolicies", "cam:GetPolicy", "cam:CreatePolicy",
        "cam:UpdatePolicy", "cam:DeletePolicy", "cam:AttachRolePolicy", "cam:DetachRolePolicy",
        "cam:ListAttachedRolePolicies",
        "robot:wecom", "robot:dingtalk", "robot:feishu", "robot:slack", "robot:json", "sts:AssumeRole", "scf:Invoke", "scf:GetAsyncEventStatus",
        "scf:GetFunction", "scf:ListTriggers"}


def test_concurrent_sdk_calls_from_a_thread_pool(cloud):
    names = [f"p{i}-1250000000" for i in range(24)]
    for i, name in enumerate(names):
        b = cloud.add_bucket(name, "ap-guangzhou")
        if i % 2:
            b.add_workflow()
    cloud.unbind_settle_reads = 0

    def evaluate(name):
        client = cos_client(cloud)
        if client.ci_get_workflow(Bucket=name)["TotalCount"] != "0":
            return "blocked"
        ci_unbind(client, name)
        return json.loads(ci_status(client, name, accept_json=True).content)["CIStatus"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(evaluate, names))
    assert results == ["off", "blocked"] * 12
    assert cloud.count(endpoint="GET /workflow") == 24 and cloud.count(endpoint="PUT /?unbind") == 12
    assert len({c.request_id for c in cloud.calls}) == len(cloud.calls)


class TestScenario:
    def test_demo_scenario(self):
        cloud = load_scenario(FakeCloud(), DEMO_SCENARIO)
        with cloud:
            rows = all_resources(tag_client(cloud), TagFilters=[{"TagKey": "ci-unbind"}])
            client = cos_client(cloud, region="ap-guangzhou")
            refused = None
            try:
                ci_unbind(client, "demo-hidden-review-1250000000")
            except CosServiceError as e:
                refused = e
        assert refused is not None and refused.get_status_code() == 400
        forms = {r["Resource"].split(":", 5)[-1].split("/")[0] for r in rows if r["Resource"].startswith("qcs::cos:")}
        assert forms == {"prefix", "demo-legacy-12500000"}
        assert any(":prefix//" in r["Resource"] for r in rows)
        assert any(r["Resource"].startswith("qcs::cvm:") for r in rows)
        assert cloud.bucket("demo-paused-workflow-1250000000").blockers()[0][0] == "workflow"

    def test_dict_scenario_with_faults(self):
        cloud = FakeCloud()
        load_scenario(cloud, {
            "buckets": [{"name": B, "region": "ap-guangzhou", "services": ["file"],
                         "workflows": [{"id": "w" + "0" * 32, "name": "x", "state": "Active"}],
                         "batch_jobs": [{"type": "Job", "state": "Pause", "name": "j"}]}],
            "faults": [{"target": "GET /workflow", "status": 503, "times": 1}],
        })
        with cloud:
            client = cos_client(cloud)
            with pytest.raises(CosServiceError):
                client.ci_get_workflow(Bucket=B)
            assert client.ci_get_workflow(Bucket=B)["MediaWorkflowList"][0]["WorkflowId"] == "w" + "0" * 32
        assert cloud.bucket(B).services == {"file"}

    @pytest.mark.parametrize("scenario", [
        {"bucket": []},
        {"buckets": [{"name": B, "region": "ap-guangzhou", "colour": "red"}]},
        {"buckets": [{"name": B, "region": "ap-guangzhou", "hidden": ["something"]}]},
        {"appid": "1300000000"},
        {"faults": [{"target": "GET /", "status": 500, "when": "always"}]},
    ])
    def test_rejects_typos(self, scenario):
        with pytest.raises(ValueError):
            load_scenario(FakeCloud(), scenario)


def test_a_reused_cloud_does_not_fail_again_for_an_earlier_miss():
    cloud = FakeCloud()
    cloud.add_bucket(B, "ap-guangzhou")
    with pytest.raises(UnknownRequest):
        with cloud:
            with pytest.raises(CosClientError):
                cos_client(cloud).ci_get_media_queue(Bucket=B)
    with cloud:
        assert ci_status(cos_client(cloud), B).status_code == 200
    assert len(cloud.unknown_requests) == 1
