"""`validate`: settings (environment or --env-file), serverless.yml and the CAM policy, offline."""

import json
import shutil

import pytest

from lib.ops import validate
from lib.ops.cli import main
from lib.settings import SettingsError, load
from tests.conftest import ROOT


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith(("CI_UNBIND_", "TENCENTCLOUD_")):
            monkeypatch.delenv(name)


@pytest.fixture
def project(tmp_path):
    """A copy of the files validate reads, to spoil."""
    (tmp_path / "deploy").mkdir()
    shutil.copy(ROOT / "serverless.yml", tmp_path / "serverless.yml")
    shutil.copy(ROOT / "deploy" / "cam-policy.json", tmp_path / "deploy" / "cam-policy.json")
    return tmp_path


def test_the_repository_as_it_is_validates(clean_env, capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    assert "problem" not in out
    assert "ok       serverless.yml: runtime, handler, timeout, role CosCiUnbinderRole and the timer" in out
    assert "ok       settings (serverless.yml)" in out and "ok       cam-policy.json" in out


def test_env_file(clean_env, tmp_path, capsys):
    env = tmp_path / "prod.env"
    env.write_text("# production\nexport CI_UNBIND_MAX_PER_RUN=50\nCI_UNBIND_REGIONS='ap-guangzhou,ap-beijing'\n"
                   "CI_UNBIND_DRY_RUN = \"false\"\n\n")
    assert validate.read_env_file(str(env)) == {"CI_UNBIND_MAX_PER_RUN": "50",
                                                "CI_UNBIND_REGIONS": "ap-guangzhou,ap-beijing",
                                                "CI_UNBIND_DRY_RUN": "false"}
    assert main(["validate", "--env-file", str(env)]) == 0
    assert f"settings ({env}): 3 CI_UNBIND_* set, every one valid" in capsys.readouterr().out


def test_every_bad_setting_is_named_with_the_loaders_own_words(clean_env, tmp_path, capsys):
    env = tmp_path / "bad.env"
    env.write_text("CI_UNBIND_MAX_PER_RUN=many\nCI_UNBIND_CONCURRENCY=500\nCI_UNBIND_DRY_RUN=yes\n")
    assert main(["validate", "--env-file", str(env)]) == 1
    out = capsys.readouterr().out
    for name, value in (("CI_UNBIND_MAX_PER_RUN", "many"), ("CI_UNBIND_CONCURRENCY", "500"),
                        ("CI_UNBIND_DRY_RUN", "yes")):
        with pytest.raises(SettingsError) as err:
            load({name: value})
        assert f"problem  settings ({env}): {err.value}" in out


def test_a_misspelt_setting_is_a_problem(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("CI_UNBIND_MAX_PER_RUNS", "5")
    assert main(["validate"]) == 1
    assert "CI_UNBIND_MAX_PER_RUNS is not a setting (did you mean CI_UNBIND_MAX_PER_RUN?)" in capsys.readouterr().out


def test_settings_the_loader_reads_are_known_without_a_list_here(clean_env):
    # Whatever names lib.settings.load asks for count as settings: one added there is known here.
    findings = validate.Findings()
    validate.check_settings({"CI_UNBIND_TAG_KEY": "x", "CI_UNBIND_BLOCKING_SERVICES": ""}, "env", findings)
    assert findings.problems == []


def test_a_line_that_is_not_name_value(tmp_path, capsys):
    env = tmp_path / "x.env"
    env.write_text("CI_UNBIND_DRY_RUN=true\nthis is not a setting\n")
    assert main(["validate", "--env-file", str(env)]) == 2
    assert "line 2: not NAME=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize("edit, problem", [
    (lambda y: y.replace("runtime: Python3.9", "runtime: Python3.6"), "inputs.runtime is 'Python3.6'"),
    (lambda y: y.replace("  role: CosCiUnbinderRole\n", ""), "inputs.role is missing"),
    (lambda y: y.replace("timeout: 900", "timeout: 7200"), "inputs.timeout must be 1-900 seconds"),
    (lambda y: y.replace("CI_UNBIND_MAX_PER_RUN: '20'", "CI_UNBIND_MAX_PER_RUN: 'twenty'"),
     "settings (serverless.yml): CI_UNBIND_MAX_PER_RUN must be a whole number"),
    (lambda y: y.replace("enable: true", "enable: false"), "a timer without enable: true"),
    (lambda y: y + "\n  : : [\n", "serverless.yml: not YAML"),
])
def test_serverless_yml_problems(clean_env, project, edit, problem):
    path = project / "serverless.yml"
    path.write_text(edit(path.read_text()))
    findings = validate.validate({}, "environment", project)
    assert any(problem in p for p in findings.problems), findings.problems


@pytest.mark.parametrize("policy, problem", [
    ("{not json", "cam-policy.json: not JSON"),
    (json.dumps({"version": "1.0", "statement": []}), 'version "2.0"'),
    (json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["cos:GetBucketTagging"],
                                                  "resource": ["*"]}]}), "name/<service>:<Action>"),
    (json.dumps({"version": "2.0", "statement": [{"effect": "allow", "action": ["name/cos:GetBucketTagging"],
                                                  "resource": []}]}), "resource is a non-empty list"),
])
def test_policy_problems(clean_env, project, policy, problem):
    (project / "deploy" / "cam-policy.json").write_text(policy)
    findings = validate.validate({}, "environment", project)
    assert any(problem in p for p in findings.problems), findings.problems


def test_nothing_is_sent(clean_env, capsys):
    import responses

    with responses.RequestsMock() as strict:  # any request would fail the test
        assert main(["validate"]) == 0
        assert len(strict.calls) == 0


def test_a_policy_action_not_in_the_documented_table_is_a_problem(tmp_path):
    import json
    import shutil

    from tests.conftest import ROOT

    for name in ("serverless.yml", "deploy/cam-policy.json", "deploy/cam-policy-central.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    policy = json.loads((tmp_path / "deploy/cam-policy.json").read_text())
    actions = policy["statement"][-1]["action"]
    actions[actions.index("name/ci:DescribeCIBuckets")] = "name/ci:DescribeCiBuckets"  # a plausible misspelling
    (tmp_path / "deploy/cam-policy.json").write_text(json.dumps(policy))
    findings = validate.validate({}, "env", root=tmp_path)
    assert any("lacks actions the function needs: ci:DescribeCIBuckets" in p for p in findings.problems)
    assert any("does not need (or that CAM does not name so): ci:DescribeCiBuckets" in p for p in findings.problems)
