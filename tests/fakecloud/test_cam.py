"""The fake CAM through the real tencentcloud-sdk-python-cam: identity, roles, policies, signatures;
and the EventBridge deletes teardown uses."""

import json

import pytest
from tencentcloud.cam.v20190116 import cam_client, models
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from lib.fakecloud import FakeCloud

DOC = json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:GetBucketTagging"],
                                                   "resource": ["*"]}]})
TRUST = json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": "name/sts:AssumeRole",
                                                     "principal": {"service": ["scf.qcloud.com"]}}]})


def client(cloud, secret_key=None, token=None, method="POST"):
    cred = credential.Credential(cloud.secret_id, secret_key or cloud.secret_key, token)
    profile = ClientProfile(httpProfile=HttpProfile(endpoint="cam.tencentcloudapi.com", reqMethod=method))
    return cam_client.CamClient(cred, "", profile)


def call(cam, action, **params):
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return json.loads(getattr(cam, action)(request).to_json_string())


def error_of(cam, action, **params):
    with pytest.raises(TencentCloudSDKException) as err:
        call(cam, action, **params)
    return err.value.get_code()


@pytest.fixture
def cam(cloud):
    return client(cloud)


def test_get_user_app_id(cloud, cam):
    answer = call(cam, "GetUserAppId")
    assert answer["AppId"] == int(cloud.appid) and answer["Uin"] == cloud.cam.uin
    assert answer["RequestId"] == cloud.calls[0].request_id and cloud.calls[0].action == "cam:GetUserAppId"


def test_signature_and_token_are_checked(cloud):
    assert error_of(client(cloud, secret_key="wrong"), "GetUserAppId") == "AuthFailure.SignatureFailure"
    with FakeCloud(token="t-1") as fake:
        assert error_of(client(fake), "GetUserAppId") == "AuthFailure.TokenFailure"
        assert call(client(fake, token="t-1"), "GetUserAppId")["AppId"] == int(fake.appid)


def test_get_requests_too(cloud):
    assert call(client(cloud, method="GET"), "GetUserAppId")["AppId"] == int(cloud.appid)


def test_role_lifecycle(cloud, cam):
    assert error_of(cam, "GetRole", RoleName="R1") == "InvalidParameter.RoleNotExist"
    call(cam, "CreateRole", RoleName="R1", PolicyDocument=TRUST)
    assert error_of(cam, "CreateRole", RoleName="R1", PolicyDocument=TRUST) == "InvalidParameter.RoleNameInUse"
    assert error_of(cam, "CreateRole", RoleName="bad name", PolicyDocument=TRUST) == "InvalidParameter.RoleNameError"
    assert error_of(cam, "CreateRole", RoleName="R2", PolicyDocument="{}") == "InvalidParameter.PolicyDocumentError"
    assert call(cam, "GetRole", RoleName="R1")["RoleInfo"]["PolicyDocument"] == TRUST
    call(cam, "DeleteRole", RoleName="R1")
    assert cloud.cam.roles == {}


def test_policies_and_attachments(cloud, cam):
    call(cam, "CreateRole", RoleName="R1", PolicyDocument=TRUST)
    pid = call(cam, "CreatePolicy", PolicyName="P1", PolicyDocument=DOC)["PolicyId"]
    assert error_of(cam, "CreatePolicy", PolicyName="P1", PolicyDocument=DOC) == "FailedOperation.PolicyNameInUse"
    call(cam, "AttachRolePolicy", PolicyId=pid, AttachRoleName="R1")
    listed = call(cam, "ListPolicies", Keyword="P1", Scope="Local")
    assert listed["TotalNum"] == 1 and listed["List"][0]["Attachments"] == 1
    assert [p["PolicyId"] for p in call(cam, "ListAttachedRolePolicies", RoleName="R1")["List"]] == [pid]
    # attached: not deleted
    assert error_of(cam, "DeletePolicy", PolicyId=[pid]) == "InvalidParameter.PolicyIdError"
    call(cam, "UpdatePolicy", PolicyId=pid, PolicyDocument=DOC.replace("GetBucketTagging", "PutBucketTagging"))
    assert "PutBucketTagging" in call(cam, "GetPolicy", PolicyId=pid)["PolicyDocument"]
    call(cam, "DetachRolePolicy", PolicyId=pid, DetachRoleName="R1")
    call(cam, "DeletePolicy", PolicyId=[pid])
    assert error_of(cam, "GetPolicy", PolicyId=pid) == "ResourceNotFound.PolicyIdNotFound"


def test_list_policies_pages(cloud, cam):
    ids = [call(cam, "CreatePolicy", PolicyName=f"Pol{i}", PolicyDocument=DOC)["PolicyId"] for i in range(5)]
    pages = [call(cam, "ListPolicies", Keyword="Pol", Rp=2, Page=p) for p in (1, 2, 3)]
    assert [x["PolicyId"] for page in pages for x in page["List"]] == ids
    assert error_of(cam, "ListPolicies", Rp=201) == "InvalidParameter.ParamError"


def test_eventbridge_deletes(cloud):
    gz = "ap-guangzhou"
    bus = cloud.eb.cloud_bus(gz)
    rule = cloud.eb.add_rule(gz, bus.id, "rule-a", {"source": ["a"]})
    target = cloud.eb.add_target(gz, bus.id, rule.id, "scf",
                                 f"qcs::scf:{gz}:uin/1:namespace/default/function/f/$DEFAULT")
    from tests.fakecloud.test_eb import call as eb_call
    from tests.fakecloud.test_eb import client as eb_client
    from tests.fakecloud.test_eb import error_of as eb_error

    eb = eb_client(cloud)
    assert eb_error(eb, "DeleteRule", EventBusId=bus.id, RuleId=rule.id) == "FailedOperation.DeleteRule"
    assert eb_error(eb, "DeleteTarget", EventBusId=bus.id, RuleId=rule.id, TargetId="t-x") == "ResourceNotFound.Target"
    eb_call(eb, "DeleteTarget", EventBusId=bus.id, RuleId=rule.id, TargetId=target.id)
    eb_call(eb, "DeleteRule", EventBusId=bus.id, RuleId=rule.id)
    assert cloud.eb.rules == {} and cloud.eb.targets == {}
