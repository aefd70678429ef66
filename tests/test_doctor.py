"""`cos-ci-unbinder doctor` (issue 19, item 1) on the simulated deployment: every check holds on the
demo, each part of the deployment a scenario breaks is the one line that says so, and nothing is
written but the probe object."""

import json
import os
import re

import pytest

from lib.ops import doctor, doctor_sim
from lib.ops.cli import main
from lib.ops.simulation import SIM_STATE_BUCKET

LINE = re.compile(r"^(ok|problem|skipped) +(permission \S+|[^:]+): ")
CHECKS = ["keys", "function", "settings", "role", "timer", "eventbridge", "state bucket"]


def lines_of(out: str) -> dict:
    found = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            found[m.group(2)] = m.group(1)
    return found


def run(capsys, *args):
    code = main(["doctor", "--simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_every_check_holds_on_the_demo(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    found = lines_of(out)
    assert [found[c] for c in CHECKS] == ["ok"] * len(CHECKS)
    assert "problem" not in found.values()
    assert found["permission ci:DescribeMediaWorkflows"] == "ok" and found["permission ci:DeleteCIBucket"] == "skipped"
    assert found["robot"] == "skipped"  # not without --send-test
    assert out.splitlines()[-1] == "doctor: 24 ok, 0 problems, 5 skipped"


def test_send_test_sends_one_message_and_shows_no_secret(capsys):
    code, out, _ = run(capsys, "--send-test")
    assert code == 0 and lines_of(out)["robot"] == "ok"
    assert "key=" not in out and "SECsimulated" not in out and "simulated-secret-key" not in out


EXPECTED = {"keys": "keys", "function": "function", "runtime": "function", "settings": "settings",
            "missing_permission": "role", "denied_read": "permission ci:DescribeMediaWorkflows", "no_timer": "timer",
            "no_rule": "eventbridge", "versioned_state_bucket": "state bucket", "robot": "robot"}


@pytest.mark.parametrize("broken", sorted(doctor_sim.BREAKS))
def test_each_break_is_the_problem_its_check_reports(tmp_path, capsys, broken):
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"break": [broken]}))
    code, out, _ = run(capsys, "--scenario", str(scenario), "--send-test")
    found = lines_of(out)
    assert code == 1
    assert found[EXPECTED[broken]] == "problem", out
    problems = {name for name, status in found.items() if status == "problem"}
    assert problems == {EXPECTED[broken]}, out  # one break, one problem: the checks do not blur


def test_the_shipped_broken_scenario(capsys):
    code, out, _ = run(capsys, "--scenario", os.path.join("lib", "fakecloud", "scenarios", "doctor-broken.json"))
    found = lines_of(out)
    assert code == 1 and {k for k, v in found.items() if v == "problem"} == {"role", "timer", "state bucket"}


def test_broken_keys_skip_everything_else(tmp_path, capsys):
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"break": ["keys"]}))
    _, out, _ = run(capsys, "--scenario", str(scenario))
    assert list(lines_of(out).items()) == [("keys", "problem"), ("everything else", "skipped")]


def test_it_writes_nothing_but_the_probe_object(capsys):
    with doctor_sim.deployment(set()) as (creds, bucket, cloud):
        before = {(b, k) for b in (SIM_STATE_BUCKET,) for k in cloud.objects.bucket(b).objects}
        cloud.log.clear()
        args = doctor_args()
        lines = doctor.run(doctor._target(args, creds), "test", say=lambda _line: None)
        after = {(b, k) for b in (SIM_STATE_BUCKET,) for k in cloud.objects.bucket(b).objects}
        writes = [c.endpoint for c in cloud.calls if c.method in ("PUT", "POST", "DELETE")
                  and not c.endpoint.split(":")[-1].startswith(("Get", "List", "Describe"))]
    assert all(line.status != "problem" for line in lines)
    assert after - before == {(SIM_STATE_BUCKET, "cos-ci-unbinder/doctor/probe.json")}
    assert writes == ["PUT Object"]


def doctor_args(**extra):
    import argparse

    return argparse.Namespace(**{"function": "cos-ci-unbinder", "region": "ap-guangzhou", "namespace": "default",
                                 "bucket": doctor_sim.PROBE_BUCKET, "send_test": False, **extra})


@pytest.mark.parametrize("args, words", [
    (["--region", "mars"], "invalid region"),
    (["--function", "no spaces"], "--function and --namespace are SCF names"),
    (["--scenario", "x.json"], "--scenario goes with --simulate"),
])
def test_bad_arguments_are_one_line_and_exit_2(capsys, args, words):
    assert main(["doctor", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and words in err


def test_without_keys_it_cannot_start(capsys, monkeypatch):
    for name in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["doctor"]) == 2
    assert "no keys to read the deployment" in capsys.readouterr().err


def test_an_unknown_break_is_refused(tmp_path, capsys):
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps({"break": ["everything"]}))
    assert main(["doctor", "--simulate", "--scenario", str(scenario)]) == 2
    assert "unknown break everything" in capsys.readouterr().err


def test_live_doctor_with_a_profile_on_a_deployment(capsys, monkeypatch):
    # The live path (no --simulate): keys from a profile of the SDK's credentials file, a
    # deployment the fake holds, the function named as on the command line.
    with doctor_sim.deployment(set()) as (creds, bucket, _cloud):
        folder = os.path.join(os.environ["HOME"], ".tencentcloud")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "credentials"), "w") as fh:
            fh.write(f"[ops]\nsecret_id = {creds.secret_id}\nsecret_key = {creds.secret_key}\n")
        for name in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN"):
            monkeypatch.delenv(name, raising=False)
        code = main(["doctor", "--profile", "ops", "--function", "cos-ci-unbinder", "--region", "ap-guangzhou",
                     "--bucket", bucket])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "from profile ops in" in out and creds.secret_key not in out
