"""Deployment files for many accounts: the central function's additions, the member role's trust."""

import json

import yaml

from lib.org.accounts import parse_role_arn
from tests.cam_policy import CENTRAL_POLICY, load_policy
from tests.conftest import ROOT


def _load(name):
    with open(ROOT / "deploy" / name, encoding="utf-8") as fh:
        return json.load(fh)


def _inputs():
    with open(ROOT / "serverless.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["inputs"]


def test_central_policy_assumes_listed_roles_and_invokes_itself_only():
    policy = load_policy(CENTRAL_POLICY)
    by_action = {a: s["resource"] for s in policy["statement"] for a in s["action"]}
    assert set(by_action) == {"name/sts:AssumeRole", "name/scf:InvokeFunction", "name/scf:GetAsyncEventStatus"}
    assert all(s["effect"] == "allow" for s in policy["statement"])
    (role,) = by_action["name/sts:AssumeRole"]
    parse_role_arn(role.replace("<MEMBER_UIN>", "100000000101"))  # a role ARN, never "*"
    inputs = _inputs()
    function = (f"qcs::scf:<REGION>:uin/<UIN>:namespace/{inputs['namespace']}/function/{inputs['name']}")
    assert by_action["name/scf:InvokeFunction"] == [function] == by_action["name/scf:GetAsyncEventStatus"]


def test_member_trust_names_the_central_account_for_assume_role_only():
    trust = _load("member-role-trust.json")
    (statement,) = trust["statement"]
    assert statement == {"effect": "allow", "action": "name/sts:AssumeRole",
                         "principal": {"qcs": ["qcs::cam::uin/<CENTRAL_UIN>:root"]}}


def test_serverless_turns_on_what_async_fanout_needs():
    inputs = _inputs()
    assert inputs["asyncRunEnable"] is True and inputs["traceEnable"] is True
    variables = inputs["environment"]["variables"]
    assert variables["CI_UNBIND_FANOUT"] == "off" and variables["CI_UNBIND_ACCOUNTS"] == ""
