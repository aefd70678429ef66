"""No tracebacks, ever: every bad input is one line on stderr and exit code 2, and nothing runs.

The cases of the issue run through the real entry point (`python -m lib`, a fresh interpreter);
the rest through `main`, which that entry point calls.
"""

import json
import shutil
import subprocess
import sys

import pytest

from lib.ops import cli
from lib.ops.cli import main
from tests.conftest import ROOT

MANUAL = str(ROOT / "events" / "manual.json")


def entry(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=env)


def one_line_error(text: str, *words):
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "not-json.json").write_text("{buckets: [")
    (d / "scenario.yaml").write_text("buckets:\n  - name: a-1250000000\n    region: ap-guangzhou\n")
    (d / "no-region.json").write_text(json.dumps({"buckets": [{"name": "a-1250000000"}]}))
    (d / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    return d


@pytest.mark.parametrize("args, words", [
    (["invoke", "no-such-event.json", "--simulate"], ["event file no-such-event.json: no such file"]),
    (["invoke", "events", "--simulate"], ["event file events: is a directory"]),
    (["invoke", MANUAL, "--simulate", "--scenario", "no-such.json"], ["scenario no-such.json: no such file"]),
    (["invoke", MANUAL, "--simulate", "--scenario", "{d}/not-json.json"], ["not-json.json: not JSON"]),
    (["invoke", MANUAL, "--simulate", "--scenario", "{d}/scenario.yaml"], ["YAML is not read"]),
    (["invoke", MANUAL, "--simulate", "--scenario", "{d}/no-region.json"], ["buckets[0]: needs region"]),
])
def test_the_issue_cases_through_the_entry_point(files, args, words, monkeypatch, capsys):
    # `run` is what the installed command calls (pyproject [project.scripts]); `python -m lib` calls
    # the same `main`. In-process, to keep the suite quick; the subprocess tests below cover both.
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr("sys.argv", ["cos-ci-unbinder", *[a.replace("{d}", str(files)) for a in args]])
    with pytest.raises(SystemExit) as exit:
        cli.run()
    out, err = capsys.readouterr()
    assert exit.value.code == 2
    assert out == ""  # no table, nothing that could pass for a run
    one_line_error(err, "cos-ci-unbinder:", *words)


@pytest.mark.parametrize("module", [True, False])
def test_a_missing_event_file_through_a_fresh_interpreter(module):
    if module:
        proc = entry("invoke", "no-such-event.json", "--simulate")
    else:
        command = shutil.which("cos-ci-unbinder", path=str(ROOT / ".venv" / "bin")) or shutil.which(
            "cos-ci-unbinder")
        if command is None:
            pytest.skip("the project is not installed (README, command 1: pip install -e .)")
        proc = subprocess.run([command, "invoke", "events", "--simulate"], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    one_line_error(proc.stderr, "cos-ci-unbinder:")


def test_the_installed_command_has_a_version():
    command = shutil.which("cos-ci-unbinder", path=str(ROOT / ".venv" / "bin")) or shutil.which("cos-ci-unbinder")
    if command is None:
        pytest.skip("the project is not installed (README, command 1: pip install -e .)")
    version = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=60)
    from lib import __version__

    assert version.returncode == 0 and version.stdout.strip() == f"cos-ci-unbinder {__version__}"


def run_main(args) -> int:
    try:
        return main(args)
    except SystemExit as exit:  # argparse's own refusals
        return exit.code


@pytest.mark.parametrize("args, words", [
    (["invoke", "{d}/binary.json", "--simulate"], ["not text"]),
    (["invoke", "{d}/not-json.json", "--simulate"], ["event file", "not JSON"]),
    (["invoke", "--simulate"], ["name an event file"]),
    (["invoke", MANUAL, "--bucket", "a-1250000000", "--region", "ap-guangzhou", "--simulate"],
     ["an event file or --bucket, not both"]),
    (["invoke", "--bucket", "a-1250000000", "--simulate"], ["one --region"]),
    (["invoke", "--bucket", "a-1250000000", "--bucket", "b-1250000000", "--region", "ap-guangzhou",
      "--region", "ap-beijing", "--region", "ap-shanghai", "--simulate"], ["2 buckets and 3 regions"]),
    (["invoke", "--region", "ap-guangzhou", "--simulate"], ["--region goes with --bucket"]),
    (["invoke", "--bucket", "Not_A_Bucket", "--region", "ap-guangzhou", "--simulate"],
     ["invalid_event:", "invalid bucket name 'Not_A_Bucket'"]),
    (["invoke", "--bucket", "a-1250000000", "--region", "Moon_Base", "--simulate"],
     ["invalid_event:", "invalid region 'Moon_Base'"]),
    (["invoke", "{d}/no-region.json", "--simulate"], ["invalid_event:"]),
    (["invoke", MANUAL, "--simulate", "--time-limit", "0"], ["--time-limit: must be positive, not 0"]),
    (["invoke", MANUAL, "--simulate", "--time-limit", "-5"], ["must be positive"]),
    (["invoke", MANUAL, "--simulate", "--time-limit", "ten"], ["not a whole number"]),
    (["invoke", MANUAL, "--scenario", "x.json"], ["--scenario goes with --simulate"]),
    (["generate-event", "manual", "--bucket", "nope"], ["invalid bucket name 'nope'"]),
    (["generate-event", "manual", "--region", "Mars"], ["invalid region 'Mars'"]),
    (["generate-event", "sqs"], ["invalid choice: 'sqs'"]),
    (["validate", "--env-file", "no-such.env"], ["env file no-such.env: no such file"]),
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
])
def test_bad_input_is_one_line_and_exit_2(files, capsys, args, words):
    code = run_main([a.replace("{d}", str(files)) for a in args])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    one_line_error(err, *words)


@pytest.mark.parametrize("name, value, message", [
    ("CI_UNBIND_MAX_PER_RUN", "lots", "CI_UNBIND_MAX_PER_RUN must be a whole number, not 'lots'"),
    ("CI_UNBIND_CONCURRENCY", "0", "CI_UNBIND_CONCURRENCY must be between 1 and 64, not 0"),
    ("CI_UNBIND_REGIONS", "ap-guangzhou,Nowhere", "CI_UNBIND_REGIONS has an invalid region"),
    ("CI_UNBIND_DRY_RUN", "maybe", None),  # the CLI sets dry run itself: this one is not read
])
def test_a_bad_setting_is_the_functions_own_error(monkeypatch, capsys, name, value, message):
    from lib import invocation
    from tests.conftest import BASE_ENV, CONTEXT

    monkeypatch.setenv(name, value)
    code = main(["invoke", MANUAL, "--simulate"])
    out, err = capsys.readouterr()
    if message is None:
        assert code == 1 and "would_unbind" in out
        return
    # What the function reports for the same environment:
    report = invocation.handle({"buckets": []}, CONTEXT, invocation.cold_start({**BASE_ENV, name: value}))
    assert report["error"]["code"] == "invalid_settings" and message in report["error"]["message"]
    assert code == 2 and out == ""
    assert one_line_error(err) == f"cos-ci-unbinder: invalid_settings: {report['error']['message']}"


def test_an_invalid_event_prints_the_error_and_no_table(tmp_path, capsys):
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"buckets": [{"bucket": "ok-1250000000", "region": "ap-guangzhou"}],
                                 "dryrun": True}))
    assert main(["invoke", str(event), "--simulate", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "BUCKET" not in err
    one_line_error(err, 'invalid_event: manual event: unknown keys "dryrun"')
