import time

import pytest
from qcloud_cos import CosConfig, CosS3Client, CosServiceError
from qcloud_cos.cos_auth import CosS3Auth
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from lib.fakecloud import FakeCloud
from lib.fakecloud.signing import cos_authorization, cos_signature

from .sdk import ci_call, ci_status, cos_call, cos_client, get_resources, tag_client

# The reference test vector (ci-api.md §2.4), computed with the real SDK at time 1700000000.
VECTOR_HOST = "examplebucket-1250000000.ci.ap-guangzhou.myqcloud.com"
VECTOR_SIGN_TIME = "1699999940;1700000300"
VECTOR_UNBIND = (
    "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700000300&q-key-time=1699999940;1700000300"
    "&q-header-list=host;x-ci-security-token&q-url-param-list=unbind"
    "&q-signature=19342233fdb62bce81e288f21aeb5af35b50e764"
)
VECTOR_WORKFLOW = (
    "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLE&q-sign-time=1699999940;1700000300&q-key-time=1699999940;1700000300"
    "&q-header-list=host&q-url-param-list=ids;name;pagenumber;pagesize"
    "&q-signature=83ffc2f3c1973c48e87ae3d52bc9e43445bbab32"
)
WORKFLOW_PARAMS = {"ids": "", "name": "", "pageNumber": "1", "pageSize": "100"}


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1700000000)


def _vector_conf(token="TOKENEXAMPLE"):
    return CosConfig(Region="ap-guangzhou", SecretId="AKIDEXAMPLE", SecretKey="SECRETKEYEXAMPLE",
                     Token=token, Scheme="https")


def test_signature_function_reproduces_the_reference_vector():
    unbind = cos_authorization("AKIDEXAMPLE", "SECRETKEYEXAMPLE", "PUT", "/", {"unbind": ""},
                               {"host": VECTOR_HOST, "x-ci-security-token": "TOKENEXAMPLE"}, VECTOR_SIGN_TIME)
    assert unbind == VECTOR_UNBIND
    workflow = cos_authorization("AKIDEXAMPLE", "SECRETKEYEXAMPLE", "GET", "/workflow", WORKFLOW_PARAMS,
                                 {"host": VECTOR_HOST}, VECTOR_SIGN_TIME)
    assert workflow == VECTOR_WORKFLOW
    assert cos_signature("SECRETKEYEXAMPLE", "put", "/", {"unbind": ""},
                         {"host": VECTOR_HOST, "x-ci-security-token": "TOKENEXAMPLE"},
                         VECTOR_SIGN_TIME) == "19342233fdb62bce81e288f21aeb5af35b50e764"


def test_sdk_signs_the_reference_vector_and_the_fake_accepts_it(frozen):
    conf = _vector_conf()
    client = CosS3Client(conf, retry=0)
    assert client.get_auth("PUT", "examplebucket-1250000000", "/", Expired=300,
                           Headers={"x-ci-security-token": "TOKENEXAMPLE"}, Params={"unbind": ""},
                           UseCiEndPoint=True) == VECTOR_UNBIND
    assert client.get_auth("GET", "examplebucket-1250000000", "workflow", Expired=300,
                           Params=WORKFLOW_PARAMS, UseCiEndPoint=True) == VECTOR_WORKFLOW

    cloud = FakeCloud(secret_id="AKIDEXAMPLE", secret_key="SECRETKEYEXAMPLE", token="TOKENEXAMPLE",
                      clock=lambda: 1700000000)
    cloud.add_bucket("examplebucket-1250000000", "ap-guangzhou")
    with cloud:
        # The documented strings themselves, sent on requests the SDK builds (it adds the token
        # header; requests adds an unsigned Content-Length, which the service does not check).
        resp = client.send_request(method="PUT", url=f"https://{VECTOR_HOST}/", bucket="examplebucket-1250000000",
                                   params={"unbind": ""}, headers={"Authorization": VECTOR_UNBIND},
                                   ci_request=True)
        assert resp.status_code == 200
        resp = client.send_request(method="GET", url=f"https://{VECTOR_HOST}/workflow",
                                   bucket="examplebucket-1250000000", params=WORKFLOW_PARAMS,
                                   headers={"Authorization": VECTOR_WORKFLOW}, ci_request=True)
        assert b"<TotalCount>0</TotalCount>" in resp.content
        # ...and the SDK's own signing on the wire, Content-Length and all.
        assert client.ci_get_workflow(Bucket="examplebucket-1250000000", PageNumber=1, PageSize=100)["TotalCount"] == "0"
    assert cloud.count(endpoint="PUT /?unbind", status=200) == 1
    assert cloud.bucket("examplebucket-1250000000").ci_status == "unbinding"


@pytest.mark.parametrize("fake_now", [1700000301, 1699999939])
def test_sign_time_outside_the_window_is_refused(frozen, fake_now):
    cloud = FakeCloud(secret_id="AKIDEXAMPLE", secret_key="SECRETKEYEXAMPLE", clock=lambda: fake_now)
    cloud.add_bucket("examplebucket-1250000000", "ap-guangzhou")
    with cloud:
        conf = _vector_conf(token=None)
        resp = cos_client(cloud).send_request(
            method="GET", url=f"https://{VECTOR_HOST}/", bucket="examplebucket-1250000000",
            auth=CosS3Auth(conf, "/", params={}, expire=300), params={}, headers={}, ci_request=True,
            cos_request=False)
    assert resp.status_code == 403
    assert b"<Code>AccessDenied</Code>" in resp.content and b"Request has expired" in resp.content


def test_wrong_secret_key_is_signature_mismatch(cloud):
    cloud.add_bucket("b-1250000000", "ap-guangzhou")
    resp = ci_status(cos_client(cloud, secret_key="not-the-key"), "b-1250000000", raw=True)
    assert resp.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in resp.content
    assert resp.headers["x-ci-request-id"]


def test_unknown_secret_id(cloud):
    cloud.add_bucket("b-1250000000", "ap-guangzhou")
    resp = ci_status(cos_client(cloud, secret_id="AKIDSOMEONEELSE"), "b-1250000000", raw=True)
    assert resp.status_code == 403 and b"<Code>InvalidAccessKeyId</Code>" in resp.content


def test_missing_authorization_differs_between_ci_and_cos(cloud):
    cloud.add_bucket("b-1250000000", "ap-guangzhou", tags={"k": "v"})
    client = cos_client(cloud)
    conf = client._conf
    ci = client.send_request(method="GET", url=conf.uri(bucket="b-1250000000", path=None, endpoint=conf._endpoint_ci),
                             bucket="b-1250000000", headers={}, ci_request=True, cos_request=False)
    assert ci.status_code == 401 and b"<Code>MissingAuthorization</Code>" in ci.content
    cos = client.send_request(method="GET", url=conf.uri(bucket="b-1250000000"), bucket="b-1250000000",
                              params={"tagging": ""}, headers={}, cos_request=False)
    assert cos.status_code == 403 and b"<Code>AccessDenied</Code>" in cos.content
    assert cos.headers["x-cos-request-id"]


def test_unsigned_extra_params_are_tolerated_but_signed_ones_are_checked(cloud):
    b = cloud.add_bucket("b-1250000000", "ap-guangzhou")
    for i in range(3):
        b.add_workflow(name=f"w{i}")
    client = cos_client(cloud)
    # Unsigned, like the SDK's own ?cancel: accepted and honoured.
    resp = ci_call(client, "GET", "b-1250000000", path="/workflow", url_suffix="?pageSize=2", sign_params={})
    assert b"<PageSize>2</PageSize>" in resp.content
    # Signed as 2, sent as 3: refused.
    resp = ci_call(client, "GET", "b-1250000000", path="/workflow", params={"pageSize": "3"},
                   sign_params={"pageSize": "2"}, raw=True)
    assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content
    # Signed but not sent at all: refused.
    resp = ci_call(client, "GET", "b-1250000000", path="/workflow", params={},
                   sign_params={"pageSize": "2"}, raw=True)
    assert resp.status_code == 403 and b"SignatureDoesNotMatch" in resp.content


def test_expired_signature_against_the_real_clock(cloud):
    cloud.account.clock = lambda: time.time() + 20000  # beyond the SDK's 10000 s validity
    cloud.add_bucket("b-1250000000", "ap-guangzhou")
    with pytest.raises(CosServiceError) as err:
        cos_client(cloud).ci_get_workflow(Bucket="b-1250000000")
    assert err.value.get_status_code() == 403
    assert "Request has expired" in err.value.get_origin_msg()


class TestToken:
    @pytest.fixture
    def cloud(self):
        fake = FakeCloud(token="session-token")
        fake.add_bucket("b-1250000000", "ap-guangzhou", tags={"k": "v"})
        with fake:
            yield fake

    def test_ci_accepts_the_token_in_either_header(self, cloud):
        client = cos_client(cloud)
        # ci_request=True sends x-ci-security-token, False sends x-cos-security-token.
        assert ci_status(client, "b-1250000000", ci_request=True).status_code == 200
        assert ci_status(client, "b-1250000000", ci_request=False).status_code == 200
        assert client.ci_get_workflow(Bucket="b-1250000000")["TotalCount"] == "0"

    def test_cos_accepts_only_its_own_header(self, cloud):
        client = cos_client(cloud)
        assert client.get_bucket_tagging(Bucket="b-1250000000")["TagSet"]["Tag"] == [{"Key": "k", "Value": "v"}]
        resp = cos_call(client, "GET", "b-1250000000", {"tagging": ""}, ci_request=True)
        assert resp.status_code == 403 and b"<Code>InvalidAccessKeyId</Code>" in resp.content

    @pytest.mark.parametrize("token", [None, "other-token"])
    def test_missing_or_wrong_token(self, cloud, token):
        resp = ci_status(cos_client(cloud, token=token), "b-1250000000", raw=True)
        assert resp.status_code == 403 and b"<Code>InvalidAccessKeyId</Code>" in resp.content

    def test_tag_api_token(self, cloud):
        assert get_resources(tag_client(cloud))["ResourceTagMappingList"]
        for token in (None, "other-token"):
            with pytest.raises(TencentCloudSDKException) as err:
                get_resources(tag_client(cloud, token=token))
            assert err.value.code == "AuthFailure.TokenFailure"


class TestTagApiSignature:
    def test_get_and_post_are_both_verified(self, cloud):
        cloud.add_other_resource("qcs::cvm:ap-guangzhou:uin/1:instance/ins-1", {"k": "v"})
        for method in ("POST", "GET"):
            page = get_resources(tag_client(cloud, method=method),
                                 TagFilters=[{"TagKey": "k", "TagValue": ["v", "w"]}], MaxResults=10)
            assert [r["Resource"] for r in page["ResourceTagMappingList"]] == ["qcs::cvm:ap-guangzhou:uin/1:instance/ins-1"]

    @pytest.mark.parametrize("kw,code", [
        ({"secret_key": "wrong"}, "AuthFailure.SignatureFailure"),
        ({"secret_id": "AKIDNOBODY"}, "AuthFailure.SecretIdNotFound"),
    ])
    def test_bad_credentials(self, cloud, kw, code):
        with pytest.raises(TencentCloudSDKException) as err:
            get_resources(tag_client(cloud, **kw))
        assert err.value.code == code
        assert err.value.requestId.startswith("fakereq")

    def test_expired(self, cloud):
        cloud.account.clock = lambda: time.time() + 600
        with pytest.raises(TencentCloudSDKException) as err:
            get_resources(tag_client(cloud))
        assert err.value.code == "AuthFailure.SignatureExpire"
