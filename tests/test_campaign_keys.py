"""The campaign commands (inventory, request, withdraw, rebind) find their keys as every other
command does: the environment, the SDK's and tccli's files, --profile, --use-cvm-role. The fake
cloud takes only the profile's keys, so a call signed with others fails there."""

import json
import os

import pytest

from lib.fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario
from lib.ops.cli import main
from tests.campaign_helpers import OPERATOR_ACTIONS, run_json, writes
from tests.conftest import APPID, REGION
from tests.test_credentials import PROD, write_profiles

UNTAGGED = "demo-untagged-1250000000"
OFF = "demo-clean-1250000000"


@pytest.fixture
def profile_cloud(monkeypatch):
    """The demo on the fake cloud, whose only keys are those of the profile `prod`; the shell has none."""
    from lib.cloud import sts

    for name in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN", "CI_UNBIND_ACCOUNTS",
                 "CI_UNBIND_STATE_BUCKET", "CI_UNBIND_STATE_REGION", "CI_UNBIND_REGIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TENCENTCLOUD_APPID", APPID)
    sts.CACHE.clear()
    fake = FakeCloud(appid=APPID, secret_id=PROD[0], secret_key=PROD[1])
    load_scenario(fake, DEMO_SCENARIO)
    with fake:
        yield fake
    OPERATOR_ACTIONS.update(fake.actions_seen())


def test_inventory_reads_with_the_profiles_keys(profile_cloud, capsys):
    write_profiles(os.environ["HOME"], prod=PROD)
    code, data, err = run_json(capsys, "inventory", "--region", REGION, "--profile", "prod")
    assert code in (0, 1), err
    assert data["buckets"] and profile_cloud.count(endpoint="GET /") >= 1
    assert profile_cloud.count(status=403) == 0


def test_request_and_withdraw_write_with_the_profiles_keys(profile_cloud, capsys):
    write_profiles(os.environ["HOME"], prod=PROD)
    code, data, err = run_json(capsys, "request", "--bucket", UNTAGGED, "--region", REGION, "--profile", "prod")
    assert code == 0, err
    assert data["buckets"][0]["outcome"] == "requested" and "ci-unbind" in profile_cloud.bucket(UNTAGGED).tags
    code, data, err = run_json(capsys, "withdraw", "--bucket", UNTAGGED, "--region", REGION, "--profile", "prod")
    assert code == 0, err
    assert "ci-unbind" not in profile_cloud.bucket(UNTAGGED).tags


def test_rebind_binds_with_the_profiles_keys(profile_cloud, capsys):
    write_profiles(os.environ["HOME"], prod=PROD)
    profile_cloud.bucket(OFF).ci_status = "off"
    code, data, err = run_json(capsys, "rebind", "--bucket", OFF, "--region", REGION, "--apply", "--yes",
                               "--profile", "prod")
    assert code == 0, err
    assert data["buckets"][0]["outcome"] == "rebound"
    assert [w for w in writes(profile_cloud) if ".ci." in w] == [f"PUT {OFF}.ci.{REGION}.myqcloud.com/"]


@pytest.mark.parametrize("argv", [
    ["inventory", "--region", REGION],
    ["request", "--bucket", UNTAGGED, "--region", REGION],
    ["withdraw", "--bucket", UNTAGGED, "--region", REGION],
    ["rebind", "--bucket", OFF, "--region", REGION],
], ids=["inventory", "request", "withdraw", "rebind"])
def test_no_keys_anywhere_is_one_line_naming_every_place_and_no_call(profile_cloud, capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and profile_cloud.calls == []
    assert len(err.strip().splitlines()) == 1
    for place in ("TENCENTCLOUD_SECRETID", "~/.tencentcloud/credentials", "~/.tccli/default.credential", "--profile"):
        assert place in err


def test_bad_input_is_told_before_any_key_is_looked_for(profile_cloud, capsys):
    # No keys anywhere, and a bucket of another account: the input's fault is what the operator hears.
    code = main(["request", "--bucket", "other-1300000000", "--region", REGION])
    err = capsys.readouterr().err
    assert code == 2 and "1300000000" in err and "no keys" not in err


@pytest.mark.parametrize("command", ["inventory", "request", "withdraw", "rebind"])
def test_simulate_takes_no_profile(capsys, command):
    argv = [command, "--simulate", "--profile", "prod"] + ([] if command == "inventory" else ["--bucket", UNTAGGED,
                                                                                                   "--region", REGION])
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and "--simulate uses the fake cloud's keys" in err


def test_rebind_of_a_run_without_a_state_bucket_is_told_before_any_key_is_looked_for(profile_cloud, capsys):
    code = main(["rebind", "--run", "some-run"])
    err = capsys.readouterr().err
    assert code == 2 and "--run reads the state bucket's history" in err and "no keys" not in err
    assert profile_cloud.calls == []


def test_an_inventory_with_no_candidate_is_nothing_to_change_without_keys(profile_cloud, capsys, tmp_path):
    listed = tmp_path / "inventory.json"
    listed.write_text(json.dumps({"buckets": []}))
    code = main(["request", "--from-inventory", str(listed)])
    out, err = capsys.readouterr()
    assert code == 0 and "nothing to change" in out and err == "" and profile_cloud.calls == []


@pytest.mark.parametrize("flag, example", [("--csv", "inventory.csv"), ("--html", "inventory.html")])
def test_an_inventory_file_that_cannot_be_written_is_told_before_the_scan(profile_cloud, capsys, tmp_path, flag,
                                                                         example):
    write_profiles(os.environ["HOME"], prod=PROD)
    code = main(["inventory", "--profile", "prod", flag, str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and f"is a directory; give a file name such as {tmp_path}/{example}" in err
    assert profile_cloud.calls == []  # the scan never began
    code = main(["inventory", "--profile", "prod", flag, str(tmp_path / "missing" / example)])
    assert code == 2 and "does not exist" in capsys.readouterr().err and profile_cloud.calls == []


def test_a_secret_quoted_in_a_command_error_is_scrubbed(profile_cloud, capsys, monkeypatch):
    # A service's message can quote anything, the caller's keys included; the one error line never shows them.
    write_profiles(os.environ["HOME"], prod=PROD)
    monkeypatch.delenv("TENCENTCLOUD_APPID")
    profile_cloud.inject("cam:GetUserAppId", status=500, code="InternalError", message=f"key {PROD[1]} refused")
    code = main(["request", "--bucket", UNTAGGED, "--region", REGION, "--profile", "prod"])
    err = capsys.readouterr().err
    assert code == 2 and PROD[1] not in err


@pytest.mark.parametrize("shell_appid, source", [(True, "TENCENTCLOUD_APPID"), (False, "CAM GetUserAppId for your keys")])
def test_a_bucket_of_another_account_says_where_the_accounts_appid_came_from(profile_cloud, capsys, monkeypatch,
                                                                          shell_appid, source):
    # A shell's TENCENTCLOUD_APPID may be another account's than the keys of --profile: the refusal names it.
    write_profiles(os.environ["HOME"], prod=PROD)
    if not shell_appid:
        monkeypatch.delenv("TENCENTCLOUD_APPID")
    code = main(["request", "--bucket", "theirs-1250009999", "--region", REGION, "--profile", "prod"])
    err = capsys.readouterr().err
    assert code == 2 and f"not to this account's {APPID} (from {source}): nothing was sent" in err
    assert profile_cloud.count(endpoint="PUT /?tagging") == 0
