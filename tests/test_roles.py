"""`setup-role` and `teardown` against the fake CAM and EventBridge APIs."""

import io
import json

import pytest

from lib.fakecloud import FakeCloud
from lib.ops import roles
from lib.ops.cli import main
from tests.conftest import APPID, SECRET_ID, SECRET_KEY, TOKEN

UIN = "100000000001"
GZ = "ap-guangzhou"
TARGET = f"qcs::scf:{GZ}:uin/{UIN}:namespace/default/function/cos-ci-unbinder/$DEFAULT"
CAM_WRITES = ("cam:CreateRole", "cam:UpdateAssumeRolePolicy", "cam:CreatePolicy", "cam:UpdatePolicy",
              "cam:AttachRolePolicy", "cam:DetachRolePolicy", "cam:DeletePolicy", "cam:DeleteRole")


class Stdin(io.StringIO):
    def isatty(self):
        return False


@pytest.fixture
def ops_cloud(monkeypatch):
    """A fake cloud of its own: these calls run with the operator's keys, not the function's role."""
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", SECRET_KEY)
    monkeypatch.setenv("TENCENTCLOUD_SESSIONTOKEN", TOKEN)
    monkeypatch.delenv("TENCENTCLOUD_UIN", raising=False)
    monkeypatch.setattr("sys.stdin", Stdin())
    fake = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    with fake:
        yield fake


def cam_writes(cloud):
    return sum(cloud.count(endpoint=w) for w in CAM_WRITES)


def wanted_policy():
    policy = json.loads((roles.POLICY_FILE).read_text().replace("<APPID>", APPID))
    # Without a state bucket its statements are left out (docs/operations.md; tests/test_state_policy.py).
    policy["statement"] = [st for st in policy["statement"] if not any("<STATE_BUCKET>" in r for r in st["resource"])]
    return policy


def the_policy(cloud):
    (policy,) = [p for p in cloud.cam.policies.values() if p.name == roles.POLICY_NAME]
    return policy


# --- setup-role ----------------------------------------------------------------------------------


def test_creates_the_role_and_its_policy(ops_cloud, capsys):
    assert main(["setup-role"]) == 0
    out = capsys.readouterr().out
    role = ops_cloud.cam.roles[roles.ROLE_NAME]
    assert roles.trusts_scf(role.trust)
    policy = the_policy(ops_cloud)
    assert json.loads(policy.document) == wanted_policy()  # the APPID asked of CAM, written in
    assert role.policies == [policy.id]
    assert ops_cloud.count(endpoint="cam:GetUserAppId") == 1
    assert "created role CosCiUnbinderRole" in out and f"for APPID {APPID}" in out
    assert "attached policy CosCiUnbinderPolicy to role CosCiUnbinderRole" in out


def test_second_run_changes_nothing(ops_cloud, capsys):
    assert main(["setup-role"]) == 0
    ops_cloud.clear_calls()
    capsys.readouterr()
    assert main(["setup-role"]) == 0
    assert cam_writes(ops_cloud) == 0
    assert capsys.readouterr().out.strip() == "nothing to change: the role, its policy and the attachment are in place"


def test_repairs_a_drifted_policy_a_detached_policy_and_an_untrusting_role(ops_cloud, capsys):
    other = json.dumps({"version": "2.0", "statement": [
        {"effect": "allow", "action": "name/sts:AssumeRole", "principal": {"service": ["cvm.qcloud.com"]}}]})
    ops_cloud.cam.add_role(roles.ROLE_NAME, other)
    ops_cloud.cam.add_policy(roles.POLICY_NAME, json.dumps(
        {"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:*"], "resource": ["*"]}]}))
    assert main(["setup-role"]) == 0
    out = capsys.readouterr().out
    role = ops_cloud.cam.roles[roles.ROLE_NAME]
    assert roles.trusts_scf(role.trust) and "cvm.qcloud.com" in role.trust  # kept what it trusted before
    assert json.loads(the_policy(ops_cloud).document) == wanted_policy()
    assert role.policies == [the_policy(ops_cloud).id]
    assert ops_cloud.count(endpoint="cam:CreateRole") == ops_cloud.count(endpoint="cam:CreatePolicy") == 0
    assert "updated role" in out and "updated policy" in out and "attached policy" in out


def test_dry_run_writes_nothing(ops_cloud, capsys):
    assert main(["setup-role", "--dry-run", "--appid", "1250000001"]) == 0
    out = capsys.readouterr().out
    assert cam_writes(ops_cloud) == 0 and ops_cloud.cam.roles == {} and ops_cloud.cam.policies == {}
    assert ops_cloud.count(endpoint="cam:GetUserAppId") == 0  # --appid given
    assert "would create role" in out and "would create policy" in out and "for APPID 1250000001" in out
    assert "dry run: nothing was changed" in out


def test_a_refused_call_is_one_line_and_exit_1(ops_cloud, capsys):
    ops_cloud.inject("cam:CreatePolicy", code="AuthFailure.UnauthorizedOperation", message="no permission")
    assert main(["setup-role"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "CreatePolicy failed: AuthFailure.UnauthorizedOperation" in err


@pytest.mark.parametrize("args, message", [
    (["--role-name", "bad name"], "not a usable role name"),
    (["--appid", "12ab"], "--appid must be digits"),
])
def test_bad_options_send_nothing(ops_cloud, capsys, args, message):
    assert main(["setup-role", *args]) == 2
    assert message in capsys.readouterr().err and ops_cloud.calls == []


def test_without_keys(monkeypatch, capsys):
    monkeypatch.delenv("TENCENTCLOUD_SECRETID", raising=False)
    assert main(["setup-role"]) == 2
    assert "manage CAM roles and policies" in capsys.readouterr().err


# --- teardown ------------------------------------------------------------------------------------


def set_up(cloud, capsys):
    assert main(["setup-eventbridge", "--uin", UIN]) == 0
    assert main(["setup-role"]) == 0
    capsys.readouterr()
    cloud.clear_calls()


def deletes(cloud):
    return [c.endpoint for c in cloud.calls if "Delete" in c.endpoint or "Detach" in c.endpoint]


def test_without_a_terminal_or_yes_nothing_is_deleted(ops_cloud, capsys):
    set_up(ops_cloud, capsys)
    assert main(["teardown", "--uin", UIN, "--role"]) == 2
    out, err = capsys.readouterr()
    assert f"will delete target {TARGET}" in out and "will delete rule cos-ci-unbinder-tagging" in out
    assert "will delete role CosCiUnbinderRole" in out
    assert "refusing to delete these without a terminal" in err
    assert deletes(ops_cloud) == [] and len(ops_cloud.eb.rules) == 1 and roles.ROLE_NAME in ops_cloud.cam.roles


def test_yes_removes_the_rule_and_target_and_leaves_the_role(ops_cloud, capsys):
    set_up(ops_cloud, capsys)
    assert main(["teardown", "--uin", UIN, "--yes"]) == 0
    assert ops_cloud.eb.rules == {} and ops_cloud.eb.targets == {}
    assert roles.ROLE_NAME in ops_cloud.cam.roles
    assert deletes(ops_cloud) == ["eb:DeleteTarget", "eb:DeleteRule"]
    assert "deleted rule cos-ci-unbinder-tagging" in capsys.readouterr().out


def test_with_role_removes_everything_in_order(ops_cloud, capsys, monkeypatch):
    set_up(ops_cloud, capsys)
    monkeypatch.setattr("sys.stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    assert main(["teardown", "--uin", UIN, "--role"]) == 0
    assert ops_cloud.eb.rules == {} and ops_cloud.cam.roles == {} and ops_cloud.cam.policies == {}
    assert deletes(ops_cloud) == ["eb:DeleteTarget", "eb:DeleteRule", "cam:DetachRolePolicy", "cam:DeletePolicy",
                                  "cam:DeleteRole"]


def test_a_rule_with_other_targets_is_kept(ops_cloud, capsys):
    set_up(ops_cloud, capsys)
    (rule,) = ops_cloud.eb.rules.values()
    other = f"qcs::scf:{GZ}:uin/{UIN}:namespace/default/function/audit-logger/$DEFAULT"
    ops_cloud.eb.add_target(GZ, rule.bus.id, rule.id, "scf", other)
    assert main(["teardown", "--uin", UIN, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "the rule is kept" in out and other in out
    assert [t.resource for t in ops_cloud.eb.targets.values()] == [other] and len(ops_cloud.eb.rules) == 1


def test_dry_run_and_nothing_there(ops_cloud, capsys):
    set_up(ops_cloud, capsys)
    assert main(["teardown", "--uin", UIN, "--role", "--dry-run"]) == 0
    assert "dry run: nothing was deleted" in capsys.readouterr().out and deletes(ops_cloud) == []
    assert main(["teardown", "--uin", UIN, "--role", "--yes"]) == 0
    capsys.readouterr()
    assert main(["teardown", "--uin", UIN, "--role", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "nothing to remove" in out and "no rule cos-ci-unbinder-tagging" in out and "no role" in out


def test_a_failed_delete_says_what_was_done(ops_cloud, capsys):
    set_up(ops_cloud, capsys)
    ops_cloud.inject("eb:DeleteRule", code="FailedOperation.DeleteRule", message="busy")
    assert main(["teardown", "--uin", UIN, "--yes"]) == 1
    err = capsys.readouterr().err
    assert "DeleteRule failed: FailedOperation.DeleteRule: busy" in err and "already done: deleted target" in err


@pytest.mark.parametrize("args, message", [
    (["setup-eventbridge", "--uin", "12x"], "the account ID (UIN) must be digits"),
    (["teardown", "--uin", UIN, "--region", "Nowhere"], "not a region: 'Nowhere'"),
    (["teardown", "--uin", UIN, "--role", "--policy-name", "a b"], "not a usable policy name"),
])
def test_bad_eventbridge_and_teardown_options_are_exit_2(ops_cloud, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and ops_cloud.calls == []
