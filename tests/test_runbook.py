"""docs/deploy.md runs as written: every command of its `sh` blocks, in the page's order, against
one fake cloud (issue 19, item 4).

Our own command runs in this process. The other tools are played by the fake as they would act on
the real cloud: `coscli` creates and tags buckets, `tccli cam GetUserAppId` answers from CAM,
`scf deploy` deploys serverless.yml (the page's `sed` edits included, on a copy) and `scf remove`
removes it. `git clone`, the venv and `deploy/package` are this checkout, its venv and
tests/test_package.py; here the package script only has to start. A command the test does not
know fails it: a new step on the page needs a way to run here."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from lib.fakecloud import FakeCloud
from lib.fakecloud.scf_models import timer_trigger
from lib.ops.cli import main
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "deploy.md"
SECRET_ID, SECRET_KEY = "AKIDRUNBOOKEXAMPLE0001", "runbook-secret-key"


def page_commands() -> list:
    text = PAGE.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        out += [line.strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    return out


class Runbook:
    def __init__(self, cloud, workdir, monkeypatch, capsys):
        self.cloud, self.workdir, self.monkeypatch, self.capsys = cloud, workdir, monkeypatch, capsys
        self.vars: dict = {}
        self.log: list = []

    def expand(self, line: str) -> list:
        def value(m):
            name = m.group(1) or m.group(2)
            assert name in self.vars, f"${name} is used before the page sets it"
            return self.vars[name]

        return shlex.split(re.sub(r"\$\{(\w+)\}|\$(\w+)", value, line))

    def run(self, line: str) -> None:
        for part in line.split(" && "):
            argv = self.expand(part)
            handler = getattr(self, "cmd_" + re.sub(r"\W", "_", os.path.basename(argv[0])), None)
            assert handler, f"the runbook test does not know how to run: {part}"
            handler(argv)

    # -- the page's commands -----------------------------------------------------------------------
    def cmd_git(self, argv):
        assert argv[1] == "clone"  # this checkout

    def cmd_cd(self, argv):
        assert argv[1:] == ["cos-ci-unbinder"]  # the clone's folder: where the tests run

    def cmd_python3(self, argv):
        if argv[1:3] == ["-m", "venv"]:
            return  # the venv the tests run in
        assert argv[1] == "deploy/package"
        done = subprocess.run([sys.executable, str(ROOT / "deploy" / "package"), "--help"], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and "--python" in done.stdout

    def cmd_pip(self, argv):
        for name in ("requirements-dev.txt", "requirements.txt", "pyproject.toml"):
            assert (ROOT / name).exists()

    def cmd_export(self, argv):
        for pair in argv[1:]:
            name, _, value = pair.partition("=")
            self.vars[name] = value
            self.monkeypatch.setenv(name, value)

    def cmd_cos_ci_unbinder(self, argv):
        self.capsys.readouterr()
        code = main(argv[1:])
        out, err = self.capsys.readouterr()
        self.log.append((argv[1:], code, out))
        assert code == 0, f"{' '.join(argv)} exited {code}:\n{out}\n{err}"
        assert "problem" not in out.split(), out

    def cmd_tccli(self, argv):
        from lib.ops.camapi import CamApi

        assert argv[1:] == ["cam", "GetUserAppId"]
        answer = CamApi.connect(SECRET_ID, SECRET_KEY, None).call("GetUserAppId", {})
        assert str(answer["AppId"]) == self.cloud.appid

    def cmd_coscli(self, argv):
        # Only `mb`: coscli's bucket-tagging put replaces the whole tag set, so the page tags with
        # our `request`, which keeps the other tags.
        region = re.fullmatch(r"cos\.([a-z0-9-]+)\.myqcloud\.com", argv[argv.index("-e") + 1]).group(1)
        assert argv[1] == "mb", argv
        self.cloud.add_bucket(argv[2][len("cos://"):], region, ci_status="off")

    def cmd_sed(self, argv):
        assert argv[-1] == "serverless.yml"
        done = subprocess.run(["sed", *argv[1:-1], str(self.workdir / "serverless.yml")], capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr

    def cmd_scf(self, argv):
        inputs = yaml.safe_load((self.workdir / "serverless.yml").read_text())["inputs"]
        if argv[1] == "remove":
            del self.cloud.scf.functions[(inputs["namespace"], inputs["name"])]
            return
        assert argv[1:] == ["deploy"]
        fn = self.cloud.scf.deploy(inputs["name"], lambda event, context: {}, self.cloud.account,
                                   namespace=inputs["namespace"], time_limit=inputs["timeout"], region=inputs["region"])
        fn.runtime, fn.entry, fn.memory, fn.role = inputs["runtime"], inputs["handler"], inputs["memorySize"], inputs["role"]
        fn.environment = {k: "" if v is None else str(v) for k, v in inputs["environment"]["variables"].items()}
        fn.triggers = [timer_trigger(e["timer"]["parameters"]["name"], e["timer"]["parameters"]["cronExpression"],
                                     e["timer"]["parameters"]["enable"]) for e in inputs["events"] if "timer" in e]


@pytest.fixture
def runbook(monkeypatch, capsys, tmp_path):
    for name in list(os.environ):
        if name.startswith(("CI_UNBIND_", "TENCENTCLOUD_")):
            monkeypatch.delenv(name)
    # Your keys, as the page's step 2 has you keep them.
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", SECRET_KEY)
    shutil.copy(ROOT / "serverless.yml", tmp_path / "serverless.yml")
    cloud = FakeCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with cloud:
        # The bucket of step 9: yours, bound to CI, nothing blocking it, and a tag of its team's.
        cloud.add_bucket(f"examplebucket-{cloud.appid}", "ap-guangzhou", tags={"team": "media"})
        yield Runbook(cloud, tmp_path, monkeypatch, capsys)


def test_every_command_of_the_page_runs_in_order(runbook):
    commands = page_commands()
    assert len(commands) >= 20
    for line in commands:
        runbook.run(line)
    ran = [(argv[0], code) for argv, code, _ in runbook.log]
    assert ("doctor", 0) in ran and ("invoke", 0) in ran and ("teardown", 0) in ran
    (invoked,) = [out for argv, _, out in runbook.log if argv[0] == "invoke"]
    assert "would_unbind" in invoked
    bucket = runbook.cloud.account.bucket(runbook.vars["BUCKET"])
    assert bucket.tags == {"team": "media", "ci-unbind": "true"}  # the request kept the team's tag
    doctors = [out for argv, _, out in runbook.log if argv[0] == "doctor"]
    assert len(doctors) == 2 and "dry run" in doctors[0] and "LIVE" in doctors[1]
    # What the page set up is gone again, but for the state bucket and its history.
    assert not runbook.cloud.eb.rules and not runbook.cloud.cam.roles and not runbook.cloud.scf.functions
    assert runbook.cloud.account.bucket(runbook.vars["STATE_BUCKET"]) is not None


def test_the_page_uses_only_commands_the_test_knows():
    known = {"git", "cd", "python3", "pip", "export", "cos-ci-unbinder", "tccli", "coscli", "sed", "scf"}
    for line in page_commands():
        for part in line.split(" && "):
            assert os.path.basename(shlex.split(part)[0]) in known, part


def test_the_doctor_of_the_page_says_what_it_checked(runbook):
    # Only the page's steps up to doctor: its output is the one the page describes.
    for line in page_commands():
        runbook.run(line)
        if line.startswith(".venv/bin/cos-ci-unbinder doctor"):
            break
    (_, code, out) = runbook.log[-1]
    assert code == 0
    for check in ("keys", "function", "settings", "role", "timer", "eventbridge", "state bucket"):
        assert re.search(rf"^ok +{check}: ", out, re.M), (check, out)
    assert json.dumps(SECRET_KEY)[1:-1] not in out
