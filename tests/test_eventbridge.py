"""`python -m lib setup-eventbridge` against the fake EventBridge: create, no-op, repair, dry run, errors."""

import json

import pytest

from lib.fakecloud import FakeCloud
from lib.ops import cli, eventbridge
from tests.conftest import ROOT, SECRET_ID, SECRET_KEY, TOKEN

GZ = "ap-guangzhou"
UIN = "100000000001"
TARGET = f"qcs::scf:{GZ}:uin/{UIN}:namespace/default/function/cos-ci-unbinder/$DEFAULT"
WRITES = ("eb:CreateRule", "eb:UpdateRule", "eb:CreateTarget")


@pytest.fixture
def eb_cloud(monkeypatch):
    """A fake cloud of its own: these calls are setup's, not the function's, and stay out of the CAM check."""
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", SECRET_KEY)
    monkeypatch.setenv("TENCENTCLOUD_SESSIONTOKEN", TOKEN)
    monkeypatch.delenv("TENCENTCLOUD_UIN", raising=False)
    fake = FakeCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    with fake:
        yield fake


def setup_cli(capsys, *args):
    code = cli.main(["setup-eventbridge", "--uin", UIN, *args])
    out, err = capsys.readouterr()
    return code, out, err


def writes(cloud):
    return sum(cloud.count(endpoint=w) for w in WRITES)


def our_rules(cloud):
    return [r for r in cloud.eb.rules.values() if r.name == eventbridge.RULE_NAME]


def test_pattern_file_is_the_pattern_the_code_sets():
    with open(ROOT / "deploy" / "eventbridge-rule.json", encoding="utf-8") as fh:
        assert json.load(fh) == eventbridge.event_pattern()


def test_creates_rule_and_target_when_absent(eb_cloud, capsys):
    code, out, err = setup_cli(capsys)
    assert (code, err) == (0, "")
    (rule,) = our_rules(eb_cloud)
    assert rule.bus is eb_cloud.eb.cloud_bus(GZ) and rule.enable
    assert json.loads(rule.pattern) == eventbridge.event_pattern()
    (target,) = eb_cloud.eb.targets_of(GZ, rule.bus.id, rule.id)
    assert (target.type, target.resource, target.batch) == ("scf", TARGET, False)
    assert f"created rule {eventbridge.RULE_NAME} ({rule.id})" in out
    assert f"created target {TARGET} ({target.id})" in out


def test_second_run_changes_nothing(eb_cloud, capsys):
    setup_cli(capsys)
    before = writes(eb_cloud)
    code, out, _ = setup_cli(capsys)
    assert code == 0 and writes(eb_cloud) == before
    assert "nothing to change" in out
    assert len(our_rules(eb_cloud)) == 1 and len(eb_cloud.eb.targets) == 1


def test_existing_rule_with_same_pattern_in_another_order_is_left_alone(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    pattern = eventbridge.event_pattern()
    shuffled = {"data": {"eventName": list(reversed(pattern["data"]["eventName"]))},
                "source": list(reversed(pattern["source"]))}
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, shuffled)
    eb_cloud.eb.add_target(GZ, bus.id, rule.id, "scf", TARGET)
    code, out, _ = setup_cli(capsys)
    assert code == 0 and writes(eb_cloud) == 0
    assert json.loads(rule.pattern) == shuffled


def test_drifted_pattern_is_updated_not_duplicated(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, {"source": ["cos.cloud.tencent"]})
    code, out, _ = setup_cli(capsys)
    assert code == 0
    assert our_rules(eb_cloud) == [rule]
    assert json.loads(rule.pattern) == eventbridge.event_pattern()
    assert eb_cloud.count(endpoint="eb:UpdateRule") == 1 and eb_cloud.count(endpoint="eb:CreateRule") == 0
    assert f"updated rule {eventbridge.RULE_NAME} ({rule.id}): event pattern" in out
    assert [t.resource for t in eb_cloud.eb.targets_of(GZ, bus.id, rule.id)] == [TARGET]


def test_disabled_rule_is_enabled(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, eventbridge.event_pattern(), enable=False)
    eb_cloud.eb.add_target(GZ, bus.id, rule.id, "scf", TARGET)
    code, out, _ = setup_cli(capsys)
    assert code == 0 and rule.enable
    assert f"updated rule {eventbridge.RULE_NAME} ({rule.id}): enabled" in out and "event pattern" not in out


def test_unreadable_pattern_counts_as_drift(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, {"source": ["x"]})
    rule.pattern = "{not json"
    assert setup_cli(capsys)[0] == 0
    assert json.loads(rule.pattern) == eventbridge.event_pattern()


def test_dry_run_writes_nothing(eb_cloud, capsys):
    code, out, _ = setup_cli(capsys, "--dry-run")
    assert code == 0 and writes(eb_cloud) == 0 and eb_cloud.eb.rules == {}
    assert f"would create rule {eventbridge.RULE_NAME}" in out
    assert f"would create target {TARGET}" in out
    assert "dry run: nothing was changed" in out


def test_dry_run_on_a_drifted_rule(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, {"source": ["cos.cloud.tencent"]})
    code, out, _ = setup_cli(capsys, "--dry-run")
    assert code == 0 and writes(eb_cloud) == 0
    assert json.loads(rule.pattern) == {"source": ["cos.cloud.tencent"]}
    assert "would update rule" in out and f"would create target {TARGET}" in out


def test_options_name_the_target(eb_cloud, capsys):
    code, _, _ = setup_cli(capsys, "--region", "ap-shanghai", "--function", "unbinder-prod", "--namespace", "ops",
                           "--qualifier", "live", "--rule-name", "tagging-prod")
    assert code == 0
    (rule,) = eb_cloud.eb.rules.values()
    assert rule.name == "tagging-prod" and rule.bus.region == "ap-shanghai"
    (target,) = eb_cloud.eb.targets.values()
    assert target.resource == f"qcs::scf:ap-shanghai:uin/{UIN}:namespace/ops/function/unbinder-prod/live"


def test_other_targets_are_kept_and_reported(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, eventbridge.event_pattern())
    old = TARGET.replace("$DEFAULT", "$LATEST")
    eb_cloud.eb.add_target(GZ, bus.id, rule.id, "scf", old)
    code, out, _ = setup_cli(capsys)
    assert code == 0
    assert sorted(t.resource for t in eb_cloud.eb.targets.values()) == sorted([old, TARGET])
    assert f"note: the rule also delivers to scf {old}" in out


def test_rule_found_among_many_pages(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    for i in range(230):
        eb_cloud.eb.add_rule(GZ, bus.id, f"other-{i}", {"source": ["x"]})
    rule = eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, eventbridge.event_pattern())
    eb_cloud.eb.add_target(GZ, bus.id, rule.id, "scf", TARGET)
    code, out, _ = setup_cli(capsys)
    assert code == 0 and writes(eb_cloud) == 0
    assert eb_cloud.count(endpoint="eb:ListRules") == 3


def test_explicit_bus(eb_cloud, capsys):
    custom = eb_cloud.eb.add_bus(GZ, "mine")
    code, out, _ = setup_cli(capsys, "--event-bus-id", custom.id)
    assert code == 0
    (rule,) = eb_cloud.eb.rules.values()
    assert rule.bus is custom
    assert "not Cloud: CloudAudit events only reach the cloud-service bus" in out


def test_uin_from_the_environment(eb_cloud, capsys, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_UIN", UIN)
    assert cli.main(["setup-eventbridge"]) == 0
    assert [t.resource for t in eb_cloud.eb.targets.values()] == [TARGET]


# --- errors -----------------------------------------------------------------------------------


def test_no_cloud_bus(eb_cloud, capsys):
    eb_cloud.eb.default_cloud_bus = False
    code, out, err = setup_cli(capsys)
    assert code == 1 and out == ""
    assert "no cloud-service event bus in ap-guangzhou" in err and "CloudAudit" in err


def test_several_cloud_buses_need_a_choice(eb_cloud, capsys):
    eb_cloud.eb.cloud_bus(GZ).name = "renamed"
    eb_cloud.eb.add_bus(GZ, "another", "Cloud")
    code, _, err = setup_cli(capsys)
    assert code == 1 and "--event-bus-id" in err


def test_unknown_explicit_bus(eb_cloud, capsys):
    code, _, err = setup_cli(capsys, "--event-bus-id", "eb-missing")
    assert code == 1 and "no event bus eb-missing in ap-guangzhou" in err


def test_duplicate_rules_are_not_guessed_between(eb_cloud, capsys):
    bus = eb_cloud.eb.cloud_bus(GZ)
    ids = [eb_cloud.eb.add_rule(GZ, bus.id, eventbridge.RULE_NAME, {"source": ["x"]}).id for _ in range(2)]
    code, _, err = setup_cli(capsys)
    assert code == 1 and writes(eb_cloud) == 0
    assert f"several rules named {eventbridge.RULE_NAME}" in err and all(i in err for i in ids)


def test_service_error_names_call_code_and_request_id(eb_cloud, capsys):
    eb_cloud.eb.functions = set()  # the function was never deployed
    code, out, err = setup_cli(capsys)
    assert code == 1 and out == ""
    (call,) = [c for c in eb_cloud.calls if c.endpoint == "eb:CreateTarget"]
    assert err.startswith("setup-eventbridge: CreateTarget failed: ResourceNotFound.Function: ")
    assert f"[request id {call.request_id}]" in err
    # The rule made before the failure stays; the next run adds only the target.
    eb_cloud.eb.functions = None
    assert setup_cli(capsys)[0] == 0 and len(our_rules(eb_cloud)) == 1 and len(eb_cloud.eb.targets) == 1


def test_signature_refused(eb_cloud, capsys, monkeypatch):
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", "not-the-key")
    code, _, err = setup_cli(capsys)
    assert code == 1 and "ListEventBuses failed: AuthFailure.SignatureFailure" in err


def test_a_key_an_error_quotes_is_not_printed(eb_cloud, capsys):
    eb_cloud.inject("eb:ListEventBuses", code="InternalError", message=f"cannot serve {SECRET_ID}/{SECRET_KEY}")
    code, _, err = setup_cli(capsys)
    assert code == 1 and "cannot serve ***/***" in err and SECRET_ID not in err and SECRET_KEY not in err


def test_connection_error(eb_cloud, capsys):
    eb_cloud.inject("eb:ListEventBuses", connection_error=True)
    code, _, err = setup_cli(capsys)
    assert code == 1 and "ListEventBuses failed" in err


def test_missing_credentials(eb_cloud, capsys, monkeypatch):
    monkeypatch.delenv("TENCENTCLOUD_SECRETKEY")
    code, _, err = setup_cli(capsys)
    assert code == 2 and "TENCENTCLOUD_SECRETKEY" in err and not eb_cloud.calls


def test_missing_uin(eb_cloud, capsys):
    assert cli.main(["setup-eventbridge"]) == 2
    assert "TENCENTCLOUD_UIN" in capsys.readouterr().err and not eb_cloud.calls


@pytest.mark.parametrize("args, word", [
    (["--region", "moon"], "region"),
    (["--function", "a/b"], "function"),
    (["--qualifier", "x:y"], "alias or version"),
    (["--rule-name=-bad"], "rule name"),
    (["--uin", "abc"], "UIN"),
])
def test_bad_options_are_refused_before_any_call(eb_cloud, capsys, args, word):
    code, _, err = setup_cli(capsys, *args)
    # Bad arguments: the command could not start (exit 2), one line, nothing sent.
    assert code == 2 and word in err and err.count("\n") == 1 and not eb_cloud.calls
