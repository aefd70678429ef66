import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from lib.buckets import parse_cos_resource
from lib.fakecloud import FakeCloud

from .sdk import all_resources, get_resources, tag_client

OTHERS = [
    "qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-1",
    "qcs::cdb:ap-shanghai:uin/100000000001:instanceId/cdb-1",
]


@pytest.fixture
def populated(cloud):
    names = []
    for i in range(7):
        region = ("ap-guangzhou", "ap-shanghai")[i % 2]
        cloud.add_bucket(f"b{i}-1250000000", region, tags={"ci-unbind": "true" if i % 3 else "2099-01-01"})
        names.append(f"b{i}-1250000000")
        if i in (1, 4):
            cloud.add_other_resource(OTHERS[i // 4], {"ci-unbind": "true"})
    cloud.add_bucket("legacy-12500000", "ap-chengdu", tags={"ci-unbind": "true", "team": "x"})
    cloud.add_bucket("untagged-1250000000", "ap-guangzhou")
    cloud.add_bucket("other-tag-1250000000", "ap-guangzhou", tags={"team": "x"})
    return names + ["legacy-12500000"]


def test_pages_hold_all_three_forms_and_other_services(populated, tag):
    rows = all_resources(tag, TagFilters=[{"TagKey": "ci-unbind"}], MaxResults=3)
    resources = [r["Resource"] for r in rows]
    assert len(resources) == len(set(resources)) == 10
    cos = [r for r in resources if r.startswith("qcs::cos:")]
    assert [str(parse_cos_resource(r).bucket) for r in cos] == populated
    assert [r for r in resources if not r.startswith("qcs::cos:")] == OTHERS
    # Interleaved in creation order rather than grouped by service.
    assert resources.index(OTHERS[0]) < resources.index(
        "qcs::cos:ap-shanghai:uid/1250000000:prefix//1250000000/b3")
    assert "qcs::cos:ap-guangzhou:uid/1250000000:prefix/b0" in cos
    assert "qcs::cos:ap-shanghai:uid/1250000000:prefix//1250000000/b1" in cos
    assert "qcs::cos:ap-chengdu:uid/12500000:legacy-12500000" in cos


def test_page_sizes_and_tokens(populated, cloud, tag):
    first = get_resources(tag, MaxResults=4)
    assert len(first["ResourceTagMappingList"]) == 4 and first["PaginationToken"]
    # 8 COS buckets with tags + 2 other resources; the untagged bucket is not in the tag service.
    everything = all_resources(tag, MaxResults=4)
    assert len(everything) == 11
    assert cloud.count(endpoint="tag:GetResources") == 1 + 3
    default = get_resources(tag)
    assert len(default["ResourceTagMappingList"]) == 11 and default["PaginationToken"] == ""


def test_filters(populated, tag):
    rows = all_resources(tag, TagFilters=[{"TagKey": "ci-unbind", "TagValue": ["2099-01-01"]}])
    assert sorted(str(parse_cos_resource(r["Resource"]).bucket) for r in rows) == ["b0-1250000000", "b3-1250000000",
                                                                                 "b6-1250000000"]
    rows = all_resources(tag, TagFilters=[{"TagKey": "ci-unbind", "TagValue": ["true", "nope"]},
                                          {"TagKey": "team"}])
    assert [r["Resource"] for r in rows] == ["qcs::cos:ap-chengdu:uid/12500000:legacy-12500000"]
    assert {t["TagKey"]: t["TagValue"] for t in rows[0]["Tags"]} == {"ci-unbind": "true", "team": "x"}
    assert all_resources(tag, TagFilters=[{"TagKey": "absent"}]) == []


def test_resource_list(populated, tag):
    wanted = [OTHERS[1], "qcs::cos:ap-guangzhou:uid/1250000000:prefix/b0", "qcs::cos:nowhere:uid/1:x"]
    page = get_resources(tag, ResourceList=wanted, MaxResults=1)
    assert sorted(r["Resource"] for r in page["ResourceTagMappingList"]) == sorted(wanted[:2])
    assert page["PaginationToken"] == ""


def test_explicit_form_override(cloud, tag):
    cloud.add_bucket("x-1250000000", "ap-guangzhou", tags={"k": "v"}, tag_resource_form=3)
    assert get_resources(tag)["ResourceTagMappingList"][0]["Resource"] == \
        "qcs::cos:ap-guangzhou:uid/1250000000:x-1250000000"


@pytest.mark.parametrize("params,code", [
    ({"MaxResults": 201}, "InvalidParameterValue"),
    ({"MaxResults": 0}, "InvalidParameterValue"),
    ({"PaginationToken": "garbage"}, "InvalidParameter.PaginationTokenInvalid"),
    ({"TagFilters": [{"TagKey": f"k{i}"} for i in range(7)]}, "InvalidParameterValue"),
    ({"TagFilters": [{"TagKey": "k", "TagValue": [str(i) for i in range(11)]}]}, "InvalidParameterValue"),
    ({"ResourceList": [f"qcs::cvm:r:uin/1:instance/{i}" for i in range(11)]}, "InvalidParameterValue"),
])
def test_invalid_parameters(cloud, tag, params, code):
    with pytest.raises(TencentCloudSDKException) as err:
        get_resources(tag, **params)
    assert err.value.code == code
    assert err.value.requestId == cloud.calls[-1].request_id
    assert cloud.calls[-1].status == 200  # API 3.0 reports errors inside an HTTP 200


def test_regional_host_and_region_header():
    cloud = FakeCloud()
    cloud.add_other_resource(OTHERS[0], {"k": "v"})
    with cloud:
        client = tag_client(cloud)
        client.profile.httpProfile.endpoint = "tag.ap-guangzhou.tencentcloudapi.com"
        client.region = "ap-shanghai"
        assert get_resources(client)["ResourceTagMappingList"][0]["Resource"] == OTHERS[0]
    call = cloud.calls[0]
    assert (call.host, call.region, call.action) == ("tag.ap-guangzhou.tencentcloudapi.com", "ap-shanghai",
                                                     "tag:GetResources")
