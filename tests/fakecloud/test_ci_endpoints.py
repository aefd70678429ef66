import json
import xml.etree.ElementTree as ET

import pytest
from qcloud_cos import CosServiceError

from lib.fakecloud import FakeCloud

from .sdk import ci_call, ci_status, cos_client

B = "media-1250000000"


def _xml(resp):
    return ET.fromstring(resp.content)


class TestStatus:
    def test_json_when_accepted_else_xml(self, cloud, cos):
        cloud.add_bucket(B, "ap-guangzhou")
        resp = ci_status(cos, B, accept_json=True)
        assert resp.headers["Content-Type"] == "application/json"
        assert json.loads(resp.content) == {"CIStatus": "on"}
        resp = ci_status(cos, B)
        assert resp.headers["Content-Type"] == "application/xml"
        root = _xml(resp)
        assert root.tag == "CIStatus" and root.text == "on"
        assert resp.headers["x-ci-request-id"].startswith("fakereq")

    def test_legacy_pic_host(self, cloud, cos):
        cloud.add_bucket(B, "ap-guangzhou", ci_status="off")
        assert _xml(ci_status(cos, B, legacy_host=True)).text == "off"
        ci_call(cos, "PUT", B, legacy_host=True)
        assert cloud.bucket(B).ci_status == "on"
        assert [c.host for c in cloud.calls] == [f"{B}.pic.ap-guangzhou.myqcloud.com"] * 2

    @pytest.mark.parametrize("name,region", [("nobody-1250000000", "ap-guangzhou"), (B, "ap-shanghai")])
    def test_unknown_bucket_or_wrong_region(self, cloud, name, region):
        cloud.add_bucket(B, "ap-guangzhou")
        resp = ci_status(cos_client(cloud, region=region), name, raw=True)
        assert resp.status_code == 404
        root = _xml(resp)
        assert root.tag == "Error" and root.findtext("Code") == "NoSuchBucket"
        # CI's documented error body has no <Resource>, so the SDK cannot read the code.
        assert root.find("Resource") is None
        assert root.findtext("RequestId") == resp.headers["x-ci-request-id"]
        assert root.findtext("TraceId")

    def test_bind(self, cloud, cos):
        cloud.add_bucket(B, "ap-guangzhou", ci_status="off")
        root = _xml(ci_call(cos, "PUT", B))
        assert root.findtext("CIBucket/BucketId") == B and root.findtext("CIBucket/Region") == "ap-guangzhou"
        assert root.findtext("RequestId")
        assert cloud.bucket(B).ci_status == "on"
        assert cloud.actions_seen() == {"ci:CreateCIBucket"}


class TestWorkflows:
    @pytest.fixture
    def bucket(self, cloud):
        b = cloud.add_bucket(B, "ap-guangzhou")
        for i in range(25):
            b.add_workflow(name=f"wf-{i:02d}", state="Paused" if i % 2 else "Active")
        return b

    def test_pages(self, bucket, cos):
        seen = []
        for page in (1, 2, 3):
            data = cos.ci_get_workflow(Bucket=B, PageNumber=page, PageSize=10)
            assert (data["TotalCount"], data["PageNumber"], data["PageSize"]) == ("25", str(page), "10")
            seen += [w["WorkflowId"] for w in data["MediaWorkflowList"]]
        assert seen == list(bucket.workflows)
        assert all(w.startswith("w") and len(w) == 33 for w in seen)
        assert cos.ci_get_workflow(Bucket=B, PageNumber=4, PageSize=10).get("MediaWorkflowList", []) == []

    def test_empty_values_mean_defaults(self, cloud, bucket, cos):
        data = cos.ci_get_workflow(Bucket=B)
        assert (data["PageNumber"], data["PageSize"], len(data["MediaWorkflowList"])) == ("1", "10", 10)
        # ...because the SDK sends every filter, empty or not.
        assert cloud.calls[-1].query == {"ids": "", "name": "", "pageNumber": "", "pageSize": ""}

    def test_page_size_limit(self, bucket, cos):
        assert len(cos.ci_get_workflow(Bucket=B, PageSize=100)["MediaWorkflowList"]) == 25
        with pytest.raises(CosServiceError) as err:
            cos.ci_get_workflow(Bucket=B, PageSize=101)
        assert err.value.get_status_code() == 400
        assert "<Code>InvalidArgument</Code>" in err.value.get_origin_msg()

    def test_filters(self, bucket, cos):
        first, second = list(bucket.workflows)[:2]
        data = cos.ci_get_workflow(Bucket=B, Ids=f"{first},{second},wmissing")
        assert [w["WorkflowId"] for w in data["MediaWorkflowList"]] == [first, second]
        assert data["NonExistIDs"] == {"WorkflowId": "wmissing"}
        data = cos.ci_get_workflow(Bucket=B, Name="wf-03")
        assert data["TotalCount"] == "1" and data["MediaWorkflowList"][0]["State"] == "Paused"


class TestBatchJobs:
    @pytest.fixture
    def bucket(self, cloud):
        b = cloud.add_bucket(B, "ap-guangzhou")
        states = ("Submitted", "Running", "Success", "Failed", "Pause", "Cancel")
        for i in range(23):
            b.add_batch_job(type="Workflow", state=states[i % 6], name=f"wfjob-{i}", creation_time=1000.0 + i)
        for i in range(7):
            b.add_batch_job(type="Job", state=states[i % 6], name=f"job-{i}", creation_time=2000.0 + i)
        return b

    @staticmethod
    def _all(cos, **kw):
        jobs, token, pages, raw_tokens = [], "", 0, []
        while True:
            data = cos.ci_list_inventory_trigger_jobs(Bucket=B, Size=10, NextToken=token, **kw)
            jobs += data.get("JobsDetail", [])
            pages += 1
            raw_tokens.append(data.get("NextToken", "<absent>"))
            token = data.get("NextToken")
            if not token:
                return jobs, pages, raw_tokens

    @pytest.mark.parametrize("end", ["empty", "absent"])
    def test_pages_for_both_types_and_both_end_styles(self, cloud, bucket, cos, end):
        cloud.next_token_end = end
        jobs, pages, tokens = self._all(cos, Type="Workflow")
        assert pages == 3 and len(jobs) == 23 and len({j["JobId"] for j in jobs}) == 23
        assert {j["Type"] for j in jobs} == {"Workflow"}
        # Newest first by default.
        assert [j["Name"] for j in jobs][:2] == ["wfjob-22", "wfjob-21"]
        assert tokens[-1] == (None if end == "empty" else "<absent>")
        jobs, pages, _ = self._all(cos, Type="Job")
        assert pages == 1 and len(jobs) == 7 and {j["Type"] for j in jobs} == {"Job"}
        assert all(j["JobId"].startswith("b") and len(j["JobId"]) == 33 for j in jobs)

    def test_type_missing_means_workflow(self, bucket, cos):
        resp = ci_call(cos, "GET", B, path="/inventorytriggerjob", params={"size": "100"})
        root = ET.fromstring(resp.content)
        assert {e.findtext("Type") for e in root.findall("JobsDetail")} == {"Workflow"}
        assert len(root.findall("JobsDetail")) == 23
        resp = ci_call(cos, "GET", B, path="/inventorytriggerjob", params={"size": "100", "type": ""})
        assert len(ET.fromstring(resp.content).findall("JobsDetail")) == 23

    def test_states_and_order(self, bucket, cos):
        jobs, _, _ = self._all(cos, Type="Workflow", States="Submitted,Running,Pause", OrderByTime="Asc")
        assert {j["State"] for j in jobs} == {"Submitted", "Running", "Pause"}
        times = [j["CreationTime"] for j in jobs]
        assert times == sorted(times)
        assert [j["Name"] for j in jobs][:3] == ["wfjob-0", "wfjob-1", "wfjob-4"]

    @pytest.mark.parametrize("kw", [{"Size": 101}, {"NextToken": "bogus"}, {"States": "Nope"}, {"Type": "Other"}])
    def test_bad_arguments(self, bucket, cos, kw):
        with pytest.raises(CosServiceError) as err:
            cos.ci_list_inventory_trigger_jobs(Bucket=B, **kw)
        assert err.value.get_status_code() == 400
        assert "InvalidArgument" in err.value.get_origin_msg()

    def test_no_jobs(self, cloud, cos):
        cloud.add_bucket(B, "ap-guangzhou")
        data = cos.ci_list_inventory_trigger_jobs(Bucket=B, Type="Job")
        assert "JobsDetail" not in data and data["NextToken"] is None


SERVICE_PATHS = [
    ("media", "/mediabucket", "MediaBucketList"),
    ("pic", "/picbucket", "PicBucketList"),
    ("doc", "/docbucket", "DocBucketList"),
    ("asr", "/asrbucket", "AsrBucketList"),
    ("file", "/file_bucket", "FileBucketList"),
    ("ai", "/ai_bucket", "AiBucketList"),
]


class TestServiceLists:
    @pytest.fixture
    def buckets(self, cloud):
        names = []
        for i in range(12):
            region = "ap-guangzhou" if i % 3 else "ap-beijing"
            b = cloud.add_bucket(f"svc{i:02d}-1250000000", region, create_time=1600000000 + i)
            if i % 4 != 3:
                for service, _, _ in SERVICE_PATHS:
                    b.enable_service(service)
                names.append(b.name)
        return names

    @pytest.mark.parametrize("service,path,element", SERVICE_PATHS)
    def test_each_list_pages(self, cloud, buckets, cos, service, path, element):
        seen = []
        for page in (1, 2, 3, 4):
            data = cos.ci_get_bucket(Path=path, PageNumber=page, PageSize=3)
            assert data["TotalCount"] == "9"
            items = data.get(element, [])
            items = [items] if isinstance(items, dict) else items
            seen += [(i["BucketId"], i["Name"], i["Region"]) for i in items]
        assert [s[0] for s in seen] == buckets
        assert all(s[0] == s[1] for s in seen)
        assert cloud.counts_by_endpoint() == {f"GET {path}": 4}

    def test_filters(self, cloud, buckets, cos):
        data = cos.ci_get_media_bucket(Regions="ap-beijing", PageSize=100)
        assert [i["BucketId"] for i in data["MediaBucketList"]] == ["svc00-1250000000", "svc06-1250000000",
                                                                   "svc09-1250000000"]
        data = cos.ci_get_media_bucket(BucketNames="svc01-1250000000,svc03-1250000000", PageNumber=1, PageSize=1)
        # svc03 has no service enabled: only svc01 matches.
        assert data["TotalCount"] == "1" and data["MediaBucketList"][0]["BucketId"] == "svc01-1250000000"
        data = cos.ci_get_doc_bucket(BucketName="svc1", PageSize=100)
        assert [i["BucketId"] for i in data["DocBucketList"]] == ["svc10-1250000000"]
        assert data["DocBucketList"][0]["CreateTime"] == "2020-09-13T20:26:50+0800"

    @pytest.mark.parametrize("size", [0, 101])
    def test_page_size_bounds(self, buckets, cos, size):
        with pytest.raises(CosServiceError) as err:
            cos.ci_get_pic_bucket(PageSize=size)
        assert err.value.get_status_code() == 400

    def test_ci_buckets(self, cloud, cos):
        cloud.add_bucket("on-1250000000", "ap-guangzhou", create_time=1600000000)
        cloud.add_bucket("off-1250000000", "ap-guangzhou", ci_status="off")
        cloud.add_bucket("going-1250000000", "ap-shanghai", ci_status="unbinding")
        resp = ci_call(cos, "GET", None, path="/cibuckets", params={"pageNumber": "1", "pageSize": "20"})
        root = ET.fromstring(resp.content)
        assert root.findtext("TotalCount") == "2"
        rows = [{c.tag: c.text for c in e} for e in root.findall("CIBucketList")]
        assert rows[0] == {"BucketId": "on-1250000000", "BucketName": "on", "AppId": "1250000000",
                           "CreateTime": "2020-09-13T20:26:40+0800", "Region": "ap-guangzhou", "Status": "on"}
        assert rows[1]["Status"] == "unbinding"
        resp = ci_call(cos, "GET", None, path="/cibuckets", params={"bucketName": "go"})
        assert [e.findtext("BucketId") for e in ET.fromstring(resp.content).findall("CIBucketList")] == ["going-1250000000"]


def test_service_host_works_from_any_region():
    cloud = FakeCloud()
    cloud.add_bucket("x-1250000000", "ap-beijing").enable_service("ai")
    with cloud:
        data = cos_client(cloud, region="ap-singapore").ci_get_ai_bucket(PageSize=10)
    # This SDK method does not listify a single item.
    assert data["AiBucketList"]["Region"] == "ap-beijing"
    assert cloud.calls[0].region == "ap-singapore" and cloud.calls[0].bucket is None


def test_a_withdrawn_service_errs_in_its_region_only():
    cloud = FakeCloud()
    cloud.add_bucket("x-1250000000", "ap-beijing").enable_service("doc")
    cloud.withdraw_service("doc", "ap-hongkong")
    with cloud:
        with pytest.raises(CosServiceError) as err:
            cos_client(cloud, region="ap-hongkong").ci_get_doc_bucket(PageSize=10)
        assert err.value.get_status_code() == 400
        # Asked from another region's host, but for the withdrawn region: the same error.
        with pytest.raises(CosServiceError):
            cos_client(cloud, region="ap-beijing").ci_get_doc_bucket(Regions="ap-hongkong", PageSize=10)
        data = cos_client(cloud, region="ap-beijing").ci_get_doc_bucket(PageSize=10)
        media = cos_client(cloud, region="ap-hongkong").ci_get_media_bucket(PageSize=10)
    assert [b["BucketId"] for b in data["DocBucketList"]] == ["x-1250000000"]
    assert media["TotalCount"] == "0"
