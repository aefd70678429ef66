"""The fake EventBridge, reached only through the real EventBridge SDK."""

import json

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.eb.v20210416 import eb_client, models

from lib.fakecloud import FakeCloud

GZ = "ap-guangzhou"
FN = "qcs::scf:ap-guangzhou:uin/100000000001:namespace/default/function/fn/$DEFAULT"


def client(cloud, region=GZ, secret_key=None, token=None, endpoint=None, method="POST"):
    cred = credential.Credential(cloud.secret_id, secret_key or cloud.secret_key, token)
    http = HttpProfile(reqMethod=method, endpoint=endpoint) if endpoint else HttpProfile(reqMethod=method)
    return eb_client.EbClient(cred, region, ClientProfile(httpProfile=http))


def call(eb, action, **params):
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    return json.loads(getattr(eb, action)(request).to_json_string())


def error_of(eb, action, **params):
    with pytest.raises(TencentCloudSDKException) as info:
        call(eb, action, **params)
    return info.value.get_code()


@pytest.fixture
def eb(cloud):
    return client(cloud)


@pytest.fixture
def bus(cloud):
    return cloud.eb.cloud_bus(GZ).id


def test_each_region_has_its_own_cloud_bus(cloud, eb):
    gz = call(eb, "ListEventBuses")
    assert [(b["EventBusName"], b["Type"]) for b in gz["EventBuses"]] == [("default", "Cloud")]
    sh = call(client(cloud, "ap-shanghai"), "ListEventBuses")
    assert sh["EventBuses"][0]["EventBusId"] != gz["EventBuses"][0]["EventBusId"]


def test_bus_filters(cloud, eb, bus):
    custom = cloud.eb.add_bus(GZ, "mine")
    assert [b["EventBusId"] for b in call(eb, "ListEventBuses", Filters=[{"Name": "Type", "Values": ["Cloud"]}])[
        "EventBuses"]] == [bus]
    found = call(eb, "ListEventBuses", Filters=[{"Name": "EventBusId", "Values": [custom.id]}])
    assert found["TotalCount"] == 1 and found["EventBuses"][0]["EventBusName"] == "mine"
    assert error_of(eb, "ListEventBuses", Filters=[{"Name": "Colour", "Values": ["x"]}]) == "InvalidParameter"


def test_no_bus_before_eventbridge_is_activated():
    fake = FakeCloud()
    fake.eb.default_cloud_bus = False
    with fake:
        assert call(client(fake), "ListEventBuses")["EventBuses"] == []


def test_rule_life_cycle(cloud, eb, bus):
    rule_id = call(eb, "CreateRule", EventBusId=bus, RuleName="r-1", EventPattern='{"source": ["a"]}',
                   Enable=True, Description="d")["RuleId"]
    got = call(eb, "GetRule", EventBusId=bus, RuleId=rule_id)
    assert (got["RuleName"], got["EventPattern"], got["Enable"], got["Status"]) == ("r-1", '{"source": ["a"]}',
                                                                                    True, "ENABLE")
    call(eb, "UpdateRule", EventBusId=bus, RuleId=rule_id, EventPattern='{"source": ["b"]}', Enable=False)
    got = call(eb, "GetRule", EventBusId=bus, RuleId=rule_id)
    assert (got["EventPattern"], got["Enable"], got["RuleName"], got["Description"]) == (
        '{"source": ["b"]}', False, "r-1", "d")
    listed = call(eb, "ListRules", EventBusId=bus)
    assert listed["TotalCount"] == 1 and listed["Rules"][0]["RuleId"] == rule_id
    assert "EventPattern" not in listed["Rules"][0]  # only GetRule shows the pattern


@pytest.mark.parametrize("params, code", [
    ({"RuleName": "1-starts-with-a-digit", "EventPattern": "{\"a\": 1}"}, "InvalidParameterValue.RuleName"),
    ({"RuleName": "ends-with-dash-", "EventPattern": "{\"a\": 1}"}, "InvalidParameterValue.RuleName"),
    ({"RuleName": "ok", "EventPattern": "not json"}, "InvalidParameterValue.EventPattern"),
    ({"RuleName": "ok", "EventPattern": "[1]"}, "InvalidParameterValue.EventPattern"),
    ({"RuleName": "ok", "EventPattern": "{}"}, "InvalidParameterValue.EventPattern"),
])
def test_create_rule_refusals(cloud, eb, bus, params, code):
    assert error_of(eb, "CreateRule", EventBusId=bus, **params) == code
    assert cloud.eb.rules == {}


def test_unknown_bus_and_rule(eb, bus):
    assert error_of(eb, "ListRules", EventBusId="eb-missing") == "ResourceNotFound.EventBus"
    assert error_of(eb, "GetRule", EventBusId=bus, RuleId="rule-missing") == "ResourceNotFound.Rule"


def test_refused_update_changes_nothing(cloud, eb, bus):
    rule = cloud.eb.add_rule(GZ, bus, "rule-a", {"source": ["a"]})
    assert error_of(eb, "UpdateRule", EventBusId=bus, RuleId=rule.id, EventPattern="nope",
                    RuleName="renamed") == "InvalidParameterValue.EventPattern"
    assert (rule.name, json.loads(rule.pattern)) == ("rule-a", {"source": ["a"]})


def test_regions_are_apart(cloud, bus):
    cloud.eb.add_rule(GZ, bus, "rule-a", {"source": ["a"]})
    sh = client(cloud, "ap-shanghai")
    assert error_of(sh, "ListRules", EventBusId=bus) == "ResourceNotFound.EventBus"
    regional = client(cloud, GZ, endpoint="eb.ap-guangzhou.tencentcloudapi.com")
    assert call(regional, "ListRules", EventBusId=bus)["TotalCount"] == 1


def test_targets(cloud, eb, bus):
    rule = cloud.eb.add_rule(GZ, bus, "rule-a", {"source": ["a"]})
    target_id = call(eb, "CreateTarget", EventBusId=bus, RuleId=rule.id, Type="scf",
                     TargetDescription={"ResourceDescription": FN})["TargetId"]
    listed = call(eb, "ListTargets", EventBusId=bus, RuleId=rule.id)
    assert listed["TotalCount"] == 1
    (target,) = listed["Targets"]
    assert (target["TargetId"], target["Type"], target["TargetDescription"]["ResourceDescription"]) == (
        target_id, "scf", FN)
    assert call(eb, "ListRules", EventBusId=bus)["Rules"][0]["Targets"] == [{"TargetId": target_id, "Type": "scf"}]


@pytest.mark.parametrize("resource", [
    "qcs::scf:ap-shanghai:uin/1:namespace/default/function/fn/$DEFAULT",  # another region
    "qcs::scf:ap-guangzhou:uin/1:function/fn",
    "",
])
def test_bad_scf_target(cloud, eb, bus, resource):
    rule = cloud.eb.add_rule(GZ, bus, "rule-a", {"source": ["a"]})
    assert error_of(eb, "CreateTarget", EventBusId=bus, RuleId=rule.id, Type="scf",
                    TargetDescription={"ResourceDescription": resource}) == "InvalidParameterValue.TargetDescription"
    assert cloud.eb.targets == {}


def test_missing_function(cloud, eb, bus):
    cloud.eb.functions = {FN}
    rule = cloud.eb.add_rule(GZ, bus, "rule-a", {"source": ["a"]})
    other = FN.replace("/fn/", "/other/")
    assert error_of(eb, "CreateTarget", EventBusId=bus, RuleId=rule.id, Type="scf",
                    TargetDescription={"ResourceDescription": other}) == "ResourceNotFound.Function"
    call(eb, "CreateTarget", EventBusId=bus, RuleId=rule.id, Type="scf", TargetDescription={"ResourceDescription": FN})


def test_paging(cloud, eb, bus):
    ids = [cloud.eb.add_rule(GZ, bus, f"r{i}", {"source": ["a"]}).id for i in range(7)]
    pages = [call(eb, "ListRules", EventBusId=bus, Limit=3, Offset=o, OrderBy="created_at", Order="ASC")
             for o in (0, 3, 6)]
    assert [r["RuleId"] for p in pages for r in p["Rules"]] == ids
    assert {p["TotalCount"] for p in pages} == {7}
    assert error_of(eb, "ListRules", EventBusId=bus, Limit=101) == "InvalidParameterValue.Limit"


def test_signature_and_token_are_checked(cloud, bus):
    assert error_of(client(cloud, secret_key="wrong"), "ListEventBuses") == "AuthFailure.SignatureFailure"
    with FakeCloud(token="t-1") as fake:
        assert error_of(client(fake), "ListEventBuses") == "AuthFailure.TokenFailure"
        assert call(client(fake, token="t-1"), "ListEventBuses")["TotalCount"] == 1


def test_get_requests_too(cloud):
    assert call(client(cloud, method="GET"), "ListEventBuses", Filters=[{"Name": "Type", "Values": ["Cloud"]}])[
        "TotalCount"] == 1


def test_calls_are_logged_with_their_action(cloud, eb, bus):
    call(eb, "ListRules", EventBusId=bus)
    assert cloud.actions_seen() == {"eb:ListRules"}
    assert cloud.calls[0].service == "eb" and cloud.calls[0].region == GZ


def test_injected_fault(cloud, eb, bus):
    cloud.inject("eb:CreateRule", code="InternalError", times=1)
    assert error_of(eb, "CreateRule", EventBusId=bus, RuleName="rule-a", EventPattern='{"a": 1}') == "InternalError"
    assert cloud.eb.rules == {}
    call(eb, "CreateRule", EventBusId=bus, RuleName="rule-a", EventPattern='{"a": 1}')
