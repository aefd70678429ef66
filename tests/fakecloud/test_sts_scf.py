"""The fake's STS AssumeRole and SCF Invoke/GetAsyncEventStatus, through the unmodified SDKs; and
each account's own state: keys work for their own account only."""

import json

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.scf.v20180416 import models as scf_models
from tencentcloud.scf.v20180416 import scf_client
from tencentcloud.sts.v20180813 import models as sts_models
from tencentcloud.sts.v20180813 import sts_client

from .sdk import cos_client, get_resources, tag_client

MEMBER_UIN, MEMBER_APPID = "100000000201", "1250000201"


def sts(cloud, secret_id=None, secret_key=None, token=None):
    cred = credential.Credential(secret_id or cloud.secret_id, secret_key or cloud.secret_key, token)
    return sts_client.StsClient(cred, "ap-guangzhou")


def assume(client, arn, duration=None):
    req = sts_models.AssumeRoleRequest()
    req.RoleArn, req.RoleSessionName = arn, "test-session"
    if duration is not None:
        req.DurationSeconds = duration
    return client.AssumeRole(req)


@pytest.fixture
def member(cloud):
    account = cloud.add_account(MEMBER_UIN, MEMBER_APPID)
    account.add_bucket(f"mine-{MEMBER_APPID}", "ap-guangzhou", tags={"ci-unbind": "true"})
    cloud.add_bucket(f"central-{cloud.appid}", "ap-guangzhou", tags={"ci-unbind": "true"})
    role = cloud.sts.add_role(account, "Unbinder", [cloud.account.uin])
    return account, role.arn


def code_of(call):
    with pytest.raises(TencentCloudSDKException) as info:
        call()
    return info.value.get_code()


def test_assumed_keys_work_for_the_member_account_only(cloud, member):
    account, arn = member
    resp = assume(sts(cloud), arn, duration=3600)
    keys = resp.Credentials
    assert resp.ExpiredTime == pytest.approx(cloud.now() + 3600, abs=5) and resp.Expiration.endswith("Z")
    cos = cos_client(cloud, secret_id=keys.TmpSecretId, secret_key=keys.TmpSecretKey, token=keys.Token)
    assert cos.get_bucket_tagging(Bucket=f"mine-{MEMBER_APPID}")["TagSet"]
    with pytest.raises(Exception) as info:
        cos.get_bucket_tagging(Bucket=f"central-{cloud.appid}")
    assert info.value.get_error_code() == "AccessDenied"
    # The Tag API lists the caller's own resources: the member sees its bucket, the centre its own.
    member_tag = tag_client(cloud, secret_id=keys.TmpSecretId, secret_key=keys.TmpSecretKey, token=keys.Token)
    assert [m["Resource"] for m in get_resources(member_tag)["ResourceTagMappingList"]] == [
        f"qcs::cos:ap-guangzhou:uid/{MEMBER_APPID}:prefix/mine"]
    central = [m["Resource"] for m in get_resources(tag_client(cloud))["ResourceTagMappingList"]]
    assert all(MEMBER_APPID not in r for r in central) and central


def test_assumed_keys_need_their_token_and_a_good_signature(cloud, member):
    _, arn = member
    keys = assume(sts(cloud), arn).Credentials
    for token, secret in ((None, keys.TmpSecretKey), ("wrong", keys.TmpSecretKey), (keys.Token, "wrong-key")):
        client = tag_client(cloud, secret_id=keys.TmpSecretId, secret_key=secret, token=token)
        assert code_of(lambda c=client: get_resources(c)).startswith("AuthFailure.")


def test_expired_keys_are_refused(cloud, member):
    _, arn = member
    keys = assume(sts(cloud), arn, duration=900).Credentials
    cloud.keys.get(keys.TmpSecretId).expires = cloud.now() - 1
    client = tag_client(cloud, secret_id=keys.TmpSecretId, secret_key=keys.TmpSecretKey, token=keys.Token)
    assert code_of(lambda: get_resources(client)) == "AuthFailure.SignatureExpire"


def test_assume_role_refusals(cloud, member):
    account, arn = member
    assert code_of(lambda: assume(sts(cloud), arn.replace("Unbinder", "Nope"))) == "ResourceNotFound.RoleNotFound"
    assert code_of(lambda: assume(sts(cloud), arn, duration=100)) == "InvalidParameter.OverTimeError"
    assert code_of(lambda: assume(sts(cloud, secret_key="bad"), arn)) == "AuthFailure.SignatureFailure"
    other = cloud.add_account("100000000301", "1250000301", secret_id="AKIDOTHER0001", secret_key="other-key")
    assert other.uin == "100000000301"
    assert code_of(lambda: assume(sts(cloud, "AKIDOTHER0001", "other-key"), arn)) == "UnauthorizedOperation"
    assert cloud.sts.issued == []


def scf(cloud, secret_id=None, secret_key=None):
    cred = credential.Credential(secret_id or cloud.secret_id, secret_key or cloud.secret_key, cloud.token
                                 if secret_id is None else None)
    return scf_client.ScfClient(cred, "ap-guangzhou")


def invoke(client, event, name="fn", invocation_type="Event"):
    req = scf_models.InvokeRequest()
    req.FunctionName, req.Namespace, req.InvocationType = name, "default", invocation_type
    req.ClientContext = json.dumps(event)
    return client.Invoke(req).Result.FunctionRequestId


def status(client, request_id):
    req = scf_models.GetAsyncEventStatusRequest()
    req.InvokeRequestId = request_id
    return client.GetAsyncEventStatus(req).Result.Status


def test_event_invocations_run_on_a_bounded_pool_with_their_own_context(cloud):
    seen = []
    cloud.scf.concurrency = 2
    cloud.scf.deploy("fn", lambda event, context: seen.append((event, context)) or {"ok": True}, cloud.account,
                     time_limit=30)
    client = scf(cloud)
    cloud.scf.hold()
    ids = [invoke(client, {"n": i}) for i in range(5)]
    assert len(set(ids)) == 5 and {status(client, i) for i in ids} == {"RUNNING"}
    cloud.scf.release()
    cloud.scf.drain()
    assert {status(client, i) for i in ids} == {"FINISHED"} and cloud.scf.peak_running <= 2
    assert sorted(e["n"] for e, _ in seen) == list(range(5))
    contexts = {c["request_id"]: c for _, c in seen}
    assert set(contexts) == set(ids)
    assert {(c["time_limit_in_ms"], c["function_name"], c["namespace"]) for c in contexts.values()} == {
        (30000, "fn", "default")}


def test_failed_and_timed_out_invocations_are_failed(cloud):
    def boom(event, context):
        raise RuntimeError("boom")

    cloud.scf.deploy("boom", boom, cloud.account)
    cloud.scf.deploy("slow", lambda e, c: None, cloud.account, time_limit=-1)  # any run outlasts it
    client = scf(cloud)
    ids = [invoke(client, {}, name="boom"), invoke(client, {}, name="slow")]
    cloud.scf.drain()
    assert [status(client, i) for i in ids] == ["FAILED", "FAILED"]


def test_invoke_refusals(cloud, member):
    cloud.scf.deploy("fn", lambda e, c: None, cloud.account)
    client = scf(cloud)
    assert code_of(lambda: invoke(client, {}, name="missing")) == "ResourceNotFound.Function"
    assert code_of(lambda: invoke(client, {}, invocation_type="RequestResponse")) == \
        "InvalidParameterValue.InvocationType"
    assert code_of(lambda: invoke(client, {"x": "y" * 140000})) == "InvalidParameterValue.ClientContext"
    assert code_of(lambda: status(client, "nope")) == "ResourceNotFound.AsyncEvent"
    # Another account cannot start this account's function, even with good keys of its own.
    keys = assume(sts(cloud), member[1]).Credentials
    cred = credential.Credential(keys.TmpSecretId, keys.TmpSecretKey, keys.Token)
    assert code_of(lambda: invoke(scf_client.ScfClient(cred, "ap-guangzhou"), {})) == "ResourceNotFound.Function"
    assert cloud.scf.invocations == {}
