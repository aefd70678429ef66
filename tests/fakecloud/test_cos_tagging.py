import pytest
from qcloud_cos import CosServiceError

from .sdk import cos_call, cos_client, get_resources

B = "tagged-1250000000"


def _tagging(*pairs):
    return {"TagSet": {"Tag": [{"Key": k, "Value": v} for k, v in pairs]}}


def test_get_put_delete(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou", tags={"ci-unbind": "true", "team": "web"})
    assert cos.get_bucket_tagging(Bucket=B)["TagSet"]["Tag"] == [
        {"Key": "ci-unbind", "Value": "true"}, {"Key": "team", "Value": "web"}]
    cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(("owner", "me")))
    # PUT replaces the whole set.
    assert cloud.bucket(B).tags == {"owner": "me"}
    cos.delete_bucket_tagging(Bucket=B)
    assert cloud.bucket(B).tags == {}
    assert [c.status for c in cloud.calls] == [200, 200, 204]
    assert [c.action for c in cloud.calls] == ["cos:GetBucketTagging", "cos:PutBucketTagging",
                                               "cos:DeleteBucketTagging"]
    assert all(c.service == "cos" for c in cloud.calls)


def test_no_tags_is_no_such_tag_set(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou")
    with pytest.raises(CosServiceError) as err:
        cos.get_bucket_tagging(Bucket=B)
    # COS error bodies carry <Resource>, so the SDK parses them.
    assert (err.value.get_status_code(), err.value.get_error_code()) == (404, "NoSuchTagSet")
    assert err.value.get_request_id() == cloud.calls[0].request_id
    assert err.value.get_resource_location() == f"{B}.cos.ap-guangzhou.myqcloud.com/"


@pytest.mark.parametrize("region", ["ap-guangzhou", "ap-beijing"])
def test_unknown_bucket(cloud, region):
    cloud.add_bucket(B, "ap-beijing", tags={"k": "v"})
    with pytest.raises(CosServiceError) as err:
        cos_client(cloud, region=region).get_bucket_tagging(
            Bucket="nobody-1250000000" if region == "ap-beijing" else B)
    assert err.value.get_error_code() == "NoSuchBucket"


def test_put_is_seen_by_the_tag_api(cloud, cos, tag):
    cloud.add_bucket(B, "ap-guangzhou")
    assert get_resources(tag)["ResourceTagMappingList"] == []
    cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(("ci-unbind", "true")))
    rows = get_resources(tag, TagFilters=[{"TagKey": "ci-unbind"}])["ResourceTagMappingList"]
    assert rows == [{"Resource": "qcs::cos:ap-guangzhou:uid/1250000000:prefix/tagged",
                     "Tags": [{"TagKey": "ci-unbind", "TagValue": "true", "Category": "Custom"}]}]


def test_bad_put_bodies(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou", tags={"k": "v"})
    with pytest.raises(CosServiceError) as err:
        cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(("a", "1"), ("a", "2")))
    assert err.value.get_error_code() == "InvalidTag"
    resp = cos_call(cos, "PUT", B, {"tagging": ""}, data=b"<Tagging><TagSet>")
    assert resp.status_code == 400 and b"MalformedXML" in resp.content
    resp = cos_call(cos, "PUT", B, {"tagging": ""}, data=b"<Other/>")
    assert resp.status_code == 400 and b"MalformedXML" in resp.content
    resp = cos_call(cos, "PUT", B, {"tagging": ""}, data=b"<Tagging/>", headers={"Content-MD5": "bm9wZQ=="})
    assert resp.status_code == 400 and b"InvalidDigest" in resp.content
    assert cloud.bucket(B).tags == {"k": "v"}


@pytest.mark.parametrize("pairs, why", [
    ([(f"k{i}", "v") for i in range(51)], "at most 50"),
    ([("k" * 128, "v")], "at most 127"),
    ([("k", "v" * 256)], "at most 127"),
    ([("qcs:owner", "v")], "reserved"),
    ([("project", "v")], "reserved"),
    ([("bad*key", "v")], "letters, digits"),
    ([("k", "a<b")], "letters, digits"),
])
def test_put_refuses_what_cos_documents_as_invalid(cloud, cos, pairs, why):
    cloud.add_bucket(B, "ap-guangzhou", tags={"keep": "me"})
    with pytest.raises(CosServiceError) as err:
        cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(*pairs))
    assert err.value.get_status_code() == 400 and err.value.get_error_code() == "InvalidTag"
    assert why in err.value.get_error_msg()
    assert cloud.bucket(B).tags == {"keep": "me"}  # a refused set changes nothing


def test_put_takes_fifty_tags_and_the_documented_characters(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou")
    pairs = [(f"k{i}", "v") for i in range(48)] + [("团队 a+b=c.d_e:f/g@h", "数据 1"), ("k" * 127, "v" * 255)]
    cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(*pairs))
    assert len(cloud.bucket(B).tags) == 50


def test_another_writer_can_act_between_two_calls(cloud, cos):
    cloud.add_bucket(B, "ap-guangzhou", tags={"a": "1"})
    cloud.after("PUT /?tagging", lambda c: c.bucket(B).tags.update(other="writer"), bucket=B)
    cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(("a", "2")))
    assert cloud.bucket(B).tags == {"a": "2", "other": "writer"}
    cos.put_bucket_tagging(Bucket=B, Tagging=_tagging(("a", "3")))  # once only
    assert cloud.bucket(B).tags == {"a": "3"}
