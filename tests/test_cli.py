"""The command line the README shows: the demo on the fake cloud, through the handler's path."""

import subprocess
import sys

from lib.ops.cli import main
from tests.conftest import ROOT

DEMO_DRY = {
    "demo-clean-1250000000": "would_unbind",
    "demo-paused-workflow-1250000000": "blocked",
    "demo-running-batch-1250000000": "blocked",
    "demo-protected-1250000000": "skipped",
    "demo-untagged-1250000000": "skipped",
    "demo-hidden-review-1250000000": "would_unbind",
}


def rows(text):
    return {line.split()[0]: line.split()[2] for line in text.splitlines()[1:] if line.startswith("demo-")}


def test_demo_dry_run(capsys):
    # 1: the demo has blocked buckets, which need a person
    assert main(["invoke", str(ROOT / "events/manual.json"), "--simulate"]) == 1
    out = capsys.readouterr().out
    assert rows(out) == DEMO_DRY
    assert "(simulated, dry run)" in out and "LIVE" not in out
    assert out.splitlines()[0].endswith("for APPID 1250000000 (from CAM GetUserAppId)")


def test_demo_apply(capsys):
    assert main(["invoke", str(ROOT / "events/manual.json"), "--simulate", "--apply"]) == 1
    out = capsys.readouterr().out
    assert "LIVE" not in out and "(simulated, unbinds applied to the fake cloud)" in out
    got = rows(out)
    assert got["demo-clean-1250000000"] == "unbound"
    assert got["demo-hidden-review-1250000000"] == "refused"


def test_env_cannot_make_the_cli_live_without_apply(capsys, monkeypatch):
    monkeypatch.setenv("CI_UNBIND_DRY_RUN", "false")
    main(["invoke", str(ROOT / "events/manual.json"), "--simulate"])
    assert rows(capsys.readouterr().out)["demo-clean-1250000000"] == "would_unbind"


def test_demo_sweep_json(capsys):
    import json

    assert main(["invoke", str(ROOT / "events/timer.json"), "--simulate", "--json"]) == 1  # blocked buckets
    report = json.loads(capsys.readouterr().out)
    assert report["trigger"] == "timer" and report["ok"] is True
    assert report["discovery"]["buckets"] == len(report["results"]) >= 10


def test_without_credentials_the_real_mode_refuses(capsys, monkeypatch):
    for name in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["invoke", str(ROOT / "events/manual.json")]) == 2
    assert "TENCENTCLOUD_SECRETID" in capsys.readouterr().err


def test_scenario_needs_simulate(capsys):
    assert main(["invoke", str(ROOT / "events/manual.json"), "--scenario", "x.json"]) == 2
    assert "--scenario goes with --simulate" in capsys.readouterr().err


def test_module_entry_point_runs():
    proc = subprocess.run([sys.executable, "-m", "lib", "invoke", "events/manual-dry-run.json", "--simulate"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr  # two would_unbind: nothing needs a person
    assert "demo-clean-1250000000" in proc.stdout and "would_unbind" in proc.stdout


class Tty:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_only_on_a_terminal():
    from lib.buckets import BucketRef
    from lib.ops.output import Progress
    from lib.report import Result

    result = Result(BucketRef("ap-guangzhou", "a-1250000000"), "skipped")
    on_tty, off_tty = Tty(True), Tty(False)
    for stream in (on_tty, off_tty):
        progress = Progress(stream)
        progress(result, 1, 4)
        progress(result, 2, 4)
        progress.done()
    assert "[###############...............] 2/4 buckets" in on_tty.text and on_tty.text.endswith("\n")
    assert off_tty.text == ""


def test_simulate_prints_the_digest_a_robot_received(capsys, monkeypatch):
    assert main(["invoke", str(ROOT / "events/timer.json"), "--simulate", "--apply"]) == 1  # blocked buckets
    out = capsys.readouterr().out
    assert "wecom robot received this digest:" in out
    assert "**demo-paused-workflow-1250000000** (ap-guangzhou)" in out and "due on " in out
    monkeypatch.setenv("CI_UNBIND_NOTIFY_FORMAT", "dingtalk")  # signed: the fake robot checks the signature
    monkeypatch.setenv("CI_UNBIND_NOTIFY_URL", "https://oapi.dingtalk.com/robot/send?access_token=real-one-123")
    assert main(["invoke", str(ROOT / "events/manual.json"), "--simulate"]) == 1
    out = capsys.readouterr().out
    assert "dingtalk robot received this digest:" in out and "real-one-123" not in out
