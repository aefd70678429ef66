"""`setup-role --member`: the member account's role, trusted by the central account, on the fake CAM."""

import json

import pytest

from lib.ops import member_role, roles
from lib.ops.cli import main
from tests.test_roles import cam_writes, ops_cloud, wanted_policy  # noqa: F401  (ops_cloud is a fixture)

CENTRAL = "100000000001"
ROOT = f"qcs::cam::uin/{CENTRAL}:root"


def member_policy(cloud):
    (policy,) = [p for p in cloud.cam.policies.values() if p.name == member_role.POLICY_NAME]
    return policy


def test_creates_the_member_role_trusted_by_the_central_account(ops_cloud, capsys):  # noqa: F811
    assert main(["setup-role", "--member", "--central-uin", CENTRAL]) == 0
    out = capsys.readouterr().out
    role = ops_cloud.cam.roles[member_role.ROLE_NAME]
    trust = json.loads(role.trust)
    assert trust["statement"] == [{"effect": "allow", "action": "name/sts:AssumeRole", "principal": {"qcs": [ROOT]}}]
    assert not roles.trusts_scf(role.trust)
    assert json.loads(member_policy(ops_cloud).document) == wanted_policy()  # this account's APPID written in
    assert "trusted by the central account" in out and roles.ROLE_NAME not in ops_cloud.cam.roles

    writes = cam_writes(ops_cloud)
    assert main(["setup-role", "--member", "--central-uin", CENTRAL]) == 0
    assert "nothing to change" in capsys.readouterr().out and cam_writes(ops_cloud) == writes


def test_adds_the_central_account_to_a_role_that_trusts_something_else(ops_cloud, capsys):  # noqa: F811
    other = {"version": "2.0", "statement": [{"effect": "allow", "action": "name/sts:AssumeRole",
                                              "principal": {"qcs": ["qcs::cam::uin/100000000999:root"]}}]}
    ops_cloud.cam.add_role(member_role.ROLE_NAME, json.dumps(other))
    assert main(["setup-role", "--member", "--central-uin", CENTRAL]) == 0
    trust = ops_cloud.cam.roles[member_role.ROLE_NAME].trust
    assert member_role.trusts(trust, member_role.trust_statement(CENTRAL)) and "100000000999" in trust
    assert "the central account may now assume it" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--member"], "--member and --central-uin go together"),
    (["--central-uin", CENTRAL], "--member and --central-uin go together"),
    (["--member", "--central-uin", "12x"], "--central-uin must be"),
    (["--member", "--central-uin", CENTRAL + "\n"], "--central-uin must be"),
])
def test_bad_member_options_send_nothing(ops_cloud, capsys, args, message):  # noqa: F811
    assert main(["setup-role", *args]) == 2
    assert message in capsys.readouterr().err and ops_cloud.calls == []


def test_trust_check_needs_an_allow_on_assume_role_for_that_account():
    wanted = member_role.trust_statement(CENTRAL)
    ok = {"statement": [{"effect": "allow", "action": ["name/sts:AssumeRole"], "principal": {"qcs": ROOT}}]}
    assert member_role.trusts(json.dumps(ok), wanted)
    for bad in ({"statement": [{**ok["statement"][0], "effect": "deny"}]},
                {"statement": [{**ok["statement"][0], "action": "name/cam:*"}]},
                {"statement": [{**ok["statement"][0], "principal": {"qcs": ["qcs::cam::uin/1:root"]}}]}):
        assert not member_role.trusts(json.dumps(bad), wanted)
    assert not member_role.trusts("not json", wanted)
