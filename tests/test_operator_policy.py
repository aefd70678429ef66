"""deploy/cam-policy-operator.json: the operator's keys for inventory, request, withdraw, rebind and
`history`, apart from the function's policy, which must never grant a write of tags or a bind."""

import json

from lib.fakecloud.scenario import role_arns
from lib.ops.cli import main
from tests import cam_policy
from tests.conftest import REGION
from tests.state_helpers import STATE_ENV, add_state_bucket

OPERATOR = cam_policy.ROOT / "deploy" / "cam-policy-operator.json"


def test_the_operator_policy_grants_exactly_what_the_campaign_commands_use(opcloud, monkeypatch, capsys):
    add_state_bucket(opcloud)
    member = opcloud.add_account("100000000101", "1250000101")
    member.add_bucket("media-1250000101", REGION, tags={"ci-unbind": "true"})
    opcloud.sts.add_role(member, "CosCiUnbinderMember", [opcloud.account.uin])
    monkeypatch.delenv("TENCENTCLOUD_APPID")  # the APPID from CAM, as an operator without it set
    for name, value in STATE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CI_UNBIND_ACCOUNTS", ",".join(role_arns(opcloud)))
    assert main(["inventory"]) == 0
    monkeypatch.delenv("CI_UNBIND_ACCOUNTS")
    assert main(["request", "--bucket", "demo-untagged-1250000000", "--region", REGION]) == 0
    assert main(["withdraw", "--bucket", "demo-clean-1250000000", "--region", REGION]) == 0
    lone = opcloud.add_bucket("lone-1250000000", REGION, tags={"ci-unbind": "true"})
    assert main(["withdraw", "--bucket", lone.name, "--region", REGION]) == 0
    capsys.readouterr()
    assert main(["invoke", "--bucket", "demo-finished-jobs-1250000000", "--region", "ap-beijing", "--apply",
                 "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["rebind", "--run", run_id, "--apply", "--yes"]) == 0
    assert main(["history"]) == 0
    invoke_only = {"ci:DeleteCIBucket", "cos:HeadObject", "cos:GetBucketVersioning"}  # the function's, via invoke
    used = {a for a in opcloud.actions_seen() if a.split(":")[0] in cam_policy.FUNCTION_SERVICES} - invoke_only
    granted = cam_policy.granted_actions(cam_policy.load_policy(OPERATOR))
    assert used - granted == set(), "the operator policy lacks what the commands used"
    assert granted - used == set(), "the operator policy grants what no command used"


def test_the_function_policy_grants_no_write_of_tags_and_no_bind():
    granted = cam_policy.all_granted()
    assert not granted & {"ci:CreateCIBucket", "cos:PutBucketTagging", "cos:DeleteBucketTagging"}
