"""`setup-role`, `setup-eventbridge` and `teardown` with --simulate (issue 19, item 3): no keys, the
fake cloud's CAM and EventBridge, and every call printed as it is made."""

import os
import re

import pytest

from lib.ops.cli import main

CALL = re.compile(r"^  call (cam|eb):([A-Za-z]+) ")


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("TENCENTCLOUD_", "CI_UNBIND_")):
            monkeypatch.delenv(name)


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    calls = [CALL.match(line).group(1, 2) for line in out.splitlines() if CALL.match(line)]
    return code, out, err, calls


def test_setup_role_simulated_prints_each_cam_call(capsys):
    code, out, err, calls = run(capsys, "setup-role", "--simulate")
    assert code == 0 and err == ""
    assert out.startswith("simulated")
    assert calls == [("cam", "GetUserAppId"), ("cam", "GetRole"), ("cam", "CreateRole"), ("cam", "ListPolicies"),
                     ("cam", "CreatePolicy"), ("cam", "AttachRolePolicy")]
    assert "created role CosCiUnbinderRole" in out


def test_setup_role_simulated_dry_run_only_reads(capsys):
    code, out, _, calls = run(capsys, "setup-role", "--simulate", "--dry-run")
    assert code == 0 and "would create role" in out
    assert all(action.startswith(("Get", "List")) for _, action in calls)


def test_setup_eventbridge_simulated_needs_no_uin_and_prints_each_call(capsys):
    code, out, err, calls = run(capsys, "setup-eventbridge", "--simulate")
    assert code == 0 and err == ""
    assert [a for _, a in calls] == ["ListEventBuses", "ListRules", "CreateRule", "ListTargets", "CreateTarget"]
    assert "created rule cos-ci-unbinder-tagging" in out


def test_teardown_simulated_deletes_what_setup_made_without_asking(capsys):
    code, out, err, calls = run(capsys, "teardown", "--simulate", "--role")
    assert code == 0 and err == ""
    deletes = [a for _, a in calls if a.startswith(("Delete", "Detach"))]
    assert deletes == ["DeleteTarget", "DeleteRule", "DetachRolePolicy", "DeletePolicy", "DeleteRole"]
    assert "deleted role CosCiUnbinderRole" in out


def test_teardown_simulated_dry_run_deletes_nothing(capsys):
    code, out, _, calls = run(capsys, "teardown", "--simulate", "--dry-run")
    assert code == 0 and "dry run: nothing was deleted" in out and "will delete rule" in out
    assert not [a for _, a in calls if a.startswith("Delete")]


def test_a_bad_option_is_refused_before_the_simulation(capsys):
    code, out, err, _ = run(capsys, "setup-eventbridge", "--simulate", "--region", "mars-1")
    assert code == 2 and out == "" and "not a region" in err
