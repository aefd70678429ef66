"""The rough edges a new user met (issue 19, item 7), each as that user would meet it."""

import io
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from lib.ops import history, html_report
from lib.ops.cli import PIPE_CLOSED, main
from lib.ops.text import printable
from tests.conftest import ROOT

MANUAL = str(ROOT / "events" / "manual.json")
TIMER = str(ROOT / "events" / "timer.json")
ORG = str(ROOT / "lib" / "fakecloud" / "scenarios" / "org.json")


@pytest.fixture
def clean_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith(("CI_UNBIND_", "TENCENTCLOUD_", "CI_UNBND")):
            monkeypatch.delenv(name)


def one_line(err: str, *words) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- a closed pipe ----------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["validate"], ["generate-event", "manual"], ["history", "--simulate", "--json"]])
@pytest.mark.slow
def test_a_reader_that_goes_away_ends_the_command_quietly(args):
    proc = subprocess.Popen([sys.executable, "-m", "lib", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # as `| head -1` does once it has its line
    code = proc.wait(timeout=120)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert err == "" and code == PIPE_CLOSED


# --- the --html file ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target, words", [
    ("{d}/missing/x.html", "the folder"),
    ("{d}", "is a directory"),
])
def test_a_bad_html_path_is_one_line_exit_2_before_any_work(tmp_path, capsys, target, words):
    started = time.monotonic()
    assert main(["history", "--simulate", "--html", target.format(d=tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_line(err, "history: --html", words)
    assert time.monotonic() - started < 2  # the demo runs take seconds: refused before them
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs a device that is always full")
@pytest.mark.slow
def test_a_full_disk_is_one_line_exit_2(capsys):
    assert main(["history", "--simulate", "--html", "/dev/full"]) == 2
    one_line(capsys.readouterr().err, "cannot be written", "No space left")


@pytest.mark.slow
def test_a_written_page_leaves_no_temporary_file(tmp_path, capsys):
    page = tmp_path / "h.html"
    main(["history", "--simulate", "--html", str(page)])
    assert [p.name for p in tmp_path.iterdir()] == ["h.html"] and page.read_text().startswith("<!DOCTYPE html>")


# --- errors are not preceded by "nothing to do" ----------------------------------------------------

def test_a_run_that_could_not_start_shows_its_error_without_nothing_to_do(capsys):
    code = main(["invoke", MANUAL, "--simulate", "--time-limit", "5"])
    out = capsys.readouterr().out
    table = out.split("robot received")[0]
    assert code == 1 and "error: time_limit_too_short" in table
    assert "nothing to do" not in table and "BUCKET" not in table


def test_history_text_of_a_failed_run_shows_the_error_not_nothing_to_do():
    text = history.as_text([{"run_id": "r1", "trigger": "timer", "dry_run": True, "ok": False, "summary": {},
                             "recorded_at": "2026-01-01T00:00:00Z", "error": {"code": "discovery_failed"}}], [])
    row = text.splitlines()[2]
    assert "(error: discovery_failed)" in row and "nothing to do" not in row


def test_history_page_of_a_failed_run_shows_the_error_not_nothing_to_do():
    page = html_report.render([{"run_id": "r1", "trigger": "timer", "dry_run": True, "ok": False, "summary": {},
                                "recorded_at": "2026-01-01T00:00:00Z", "error": {"code": "discovery_failed"}}],
                              [], datetime(2026, 1, 2, tzinfo=timezone.utc), "here")
    (row,) = [line for line in page.split("<tr") if 'data-run="r1"' in line]
    assert "discovery_failed" in row and "nothing to do" not in row


# --- messages in the user's words ----------------------------------------------------------------

@pytest.mark.parametrize("event, words", [
    ({"buckets": [{"bucket": None, "region": "ap-guangzhou"}]}, "buckets[0].bucket must be a string, not null"),
    ({"buckets": {"bucket": "a-1250000000", "region": "ap-guangzhou"}},
     'not {"bucket": "a-1250000000", "region": "ap-guangzhou"}'),
    ({"buckets": [{"bucket": "a-1250000000", "region": "ap-guangzhou"}], "dry_run": "yes"}, 'not "yes"'),
    ({"buckets": [{"bucket": "a-1250000000"}]}, "needs exactly bucket and region (no region)"),
])
def test_event_errors_quote_json_not_python(tmp_path, capsys, event, words):
    path = tmp_path / "e.json"
    path.write_text(json.dumps(event))
    assert main(["invoke", str(path), "--simulate"]) == 2
    line = one_line(capsys.readouterr().err, words)
    assert "None" not in line and "{'" not in line


def test_a_huge_number_in_an_event_is_described_not_pythons_advice(tmp_path, capsys):
    path = tmp_path / "e.json"
    path.write_text('{"n": ' + "1" * 5000 + "}")
    assert main(["invoke", str(path), "--simulate"]) == 2
    line = one_line(capsys.readouterr().err, "a number with more than 4300 digits")
    assert "sys." not in line


# --- flags that would be ignored ---------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["generate-event", "timer", "--bucket", "a-1250000000"], "a timer event names no bucket"),
    (["generate-event", "timer", "--region", "ap-beijing"], "a timer event names no bucket"),
    (["generate-event", "cos-tagging", "--dry-run"], "--dry-run goes in a manual event only"),
    (["invoke", MANUAL, "--simulate", "--time-limit", "99999999999999999999"], "at most 86400 seconds"),
    (["history", "--simulate", "--json", "--html", "x.html"], "choose one"),
])
def test_a_flag_that_would_be_ignored_is_refused(capsys, args, words):
    try:
        code = main(args)
    except SystemExit as exit:  # argparse's own refusals
        code = exit.code
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_line(err, words)


def test_yes_without_apply_is_a_warning(capsys):
    main(["invoke", MANUAL, "--simulate", "--yes"])
    assert "--yes only answers the question --apply asks" in capsys.readouterr().err


# --- validate ----------------------------------------------------------------------------------------

def test_validate_finds_a_name_set_twice_and_a_near_miss(clean_env, tmp_path, capsys):
    env = tmp_path / "env"
    env.write_text("CI_UNBND_TAG_KEY=please\nCI_UNBIND_MAX_PER_RUN=5\nCI_UNBIND_MAX_PER_RUN=50\n")
    assert main(["validate", "--env-file", str(env)]) == 1
    out = capsys.readouterr().out
    assert "CI_UNBND_TAG_KEY is not a setting; did you mean CI_UNBIND_TAG_KEY?" in out
    assert "CI_UNBIND_MAX_PER_RUN is set 2 times (lines 2, 3)" in out


def test_validate_finds_a_near_miss_in_the_environment(clean_env, monkeypatch, capsys):
    monkeypatch.setenv("CI_UNBND_TAG_KEY", "please")
    assert main(["validate"]) == 1
    assert "did you mean CI_UNBIND_TAG_KEY?" in capsys.readouterr().out


def test_validate_finds_a_key_given_twice_in_serverless_yml(tmp_path):
    from lib.ops import validate

    text = (ROOT / "serverless.yml").read_text()
    doubled = text.replace("      CI_UNBIND_DRY_RUN:", "      CI_UNBIND_DRY_RUN: 'false'\n      CI_UNBIND_DRY_RUN:", 1)
    (tmp_path / "serverless.yml").write_text(doubled)
    findings = validate.Findings()
    validate.check_serverless(tmp_path / "serverless.yml", findings)
    assert any("CI_UNBIND_DRY_RUN is given twice" in p for p in findings.problems)


# --- invoke - ------------------------------------------------------------------------------------------

def test_invoke_dash_reads_the_event_from_standard_input(monkeypatch, capsys):
    event = {"buckets": [{"bucket": "demo-clean-1250000000", "region": "ap-guangzhou"}]}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(event)))
    assert main(["invoke", "-", "--simulate"]) == 0
    out = capsys.readouterr().out
    assert "demo-clean-1250000000  ap-guangzhou  would_unbind" in out


# --- simulated runs say so ---------------------------------------------------------------------------

@pytest.mark.slow
def test_a_simulated_live_run_is_simulated_in_the_digest_and_the_history(capsys):
    main(["invoke", MANUAL, "--simulate", "--apply", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["simulated"] is True
    main(["invoke", MANUAL, "--simulate", "--apply"])
    out = capsys.readouterr().out
    assert "run (simulated)" in out and "(live)" not in out
    main(["history", "--simulate"])
    rows = capsys.readouterr().out.split("BUCKETS")[0].splitlines()[2:]
    assert rows and all(" live " not in r for r in rows)
    assert any(" sim " in r for r in rows) and any(" sim dry " in r for r in rows)


# --- history --bucket --------------------------------------------------------------------------------

@pytest.mark.slow
def test_history_bucket_shows_that_buckets_latest_outcome_even_when_it_needs_no_person(capsys):
    # (A bucket only ever skipped has no history of its own: skipped outcomes are not stored.)
    main(["history", "--simulate", "--bucket", "demo-clean-1250000000"])
    out = capsys.readouterr().out
    head = out.splitlines()[:2]
    assert head[0] == "LATEST OUTCOME OF demo-clean-1250000000"
    assert head[1].startswith("ap-guangzhou  unbound  unbind_accepted")


@pytest.mark.slow
def test_history_bucket_says_when_no_run_looked_at_it(capsys):
    main(["history", "--simulate", "--bucket", "never-seen-1250000000"])
    assert "(no recorded run looked at it)" in capsys.readouterr().out


# --- every digest ----------------------------------------------------------------------------------

def test_the_one_digest_of_a_multi_account_run_is_printed_with_every_account(capsys):
    main(["invoke", TIMER, "--simulate", "--scenario", ORG, "--apply"])
    out = capsys.readouterr().out
    assert "robot received this digest" in out  # one for the whole sweep, every account in it
    assert out.count("### cos-ci-unbinder timer run") == 1


# --- python3 -m lib without the dependencies -------------------------------------------------------

def test_python_m_lib_without_dependencies_says_how_to_install_them():
    # -S: no site-packages, as a python3 outside the virtual environment has none of ours.
    proc = subprocess.run([sys.executable, "-S", "-m", "lib", "validate"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    one_line(proc.stderr, "not installed", "pip install -r requirements-dev.txt")


# --- history --from with a result of unknown region -------------------------------------------------

UNKNOWN_REGION_RUN = {
    "ok": False, "trigger": "event", "dry_run": True, "run_id": "r1", "recorded_at": "2026-12-01T10:00:00Z",
    "summary": {"error": 2},
    "results": [
        {"bucket": "gone-1250000000", "region": None, "outcome": "error",
         "reasons": [{"code": "region_unknown", "api": "GET Service", "message": "not listed"}]},
        {"bucket": "b-1250000000", "region": "ap-guangzhou", "outcome": "error",
         "reasons": [{"code": "workflow", "name": "wf\nFORGED-ROW demo-clean-1250000000 ap-guangzhou unbound"}]},
    ]}


@pytest.mark.parametrize("fmt", [[], ["--json"], ["--html", "{d}/h.html"]])
def test_history_from_a_dir_with_a_region_unknown_result(tmp_path, capsys, fmt):
    saved = tmp_path / "runs"
    saved.mkdir()
    (saved / "a.json").write_text(json.dumps(UNKNOWN_REGION_RUN))
    args = ["history", "--from", str(saved), "--since", "2026-01-01"] + [a.format(d=tmp_path) for a in fmt]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert err == "" and ("gone-1250000000" in out or "wrote" in out)


# --- control characters cannot forge a row ----------------------------------------------------------

def test_a_newline_in_a_name_cannot_forge_a_row_in_the_history_text(tmp_path, capsys):
    saved = tmp_path / "runs"
    saved.mkdir()
    (saved / "a.json").write_text(json.dumps(UNKNOWN_REGION_RUN))
    main(["history", "--from", str(saved), "--since", "2026-01-01"])
    out = capsys.readouterr().out
    assert not any(line.startswith("FORGED-ROW") for line in out.splitlines())
    assert "wf\\nFORGED-ROW" in out


def test_a_newline_in_a_workflow_name_cannot_forge_a_row_in_the_invoke_table(tmp_path, capsys):
    text = (ROOT / "lib" / "fakecloud" / "scenarios" / "demo.json").read_text().replace("transcode-uploads", "wf\\nFORGED-ROW demo-clean-1250000000 unbound")
    assert "FORGED-ROW" in text
    path = tmp_path / "s.json"
    path.write_text(text)
    main(["invoke", MANUAL, "--simulate", "--scenario", str(path)])
    out = capsys.readouterr().out.split("robot received")[0]
    assert not any(line.startswith("FORGED-ROW") for line in out.splitlines())
    assert "name=wf\\nFORGED-ROW" in out


@pytest.mark.parametrize("raw, shown", [("a\nb", "a\\nb"), ("a\rb", "a\\rb"), ("\x1b[2J", "\\x1b[2J"),
                                        ("a\u202eb", "a\\u202eb"), ("a\u2028b", "a\\u2028b"), ("日本\u3000語", "日本\u3000語")])
def test_printable_escapes_what_would_break_a_line(raw, shown):
    assert printable(raw) == shown


# --- the HTML page --------------------------------------------------------------------------------

def test_the_page_keeps_ids_and_times_whole_and_its_badges_legible():
    latest = [{"bucket": "b-1250000000", "region": "ap-guangzhou", "outcome": "blocked", "run_id": "r1",
               "at": "2026-12-01T10:00:00Z", "request_ids": ["req-1"],
               "reasons": [{"code": "workflow", "request_id": "req-1"}]}]
    page = html_report.render([{"run_id": "r1", "recorded_at": "2026-12-01T10:00:00Z", "summary": {"skipped": 1},
                                "ok": True, "dry_run": True}], latest, __import__("datetime").datetime(2026, 12, 1),
                              "test")
    assert "word-break:break-all" not in page and "white-space:nowrap" in page
    assert "the 1 call" in page and "all 1 calls" not in page
    for colour in html_report.COLOURS.values():
        ink = html_report.ink(colour)
        lo, hi = sorted([html_report._luminance(colour), html_report._luminance(ink)])
        assert (hi + 0.05) / (lo + 0.05) >= 4.5, colour  # WCAG AA for small text


@pytest.mark.slow
def test_history_bucket_html_shows_that_buckets_latest_outcome(tmp_path, capsys):
    page = tmp_path / "h.html"
    main(["history", "--simulate", "--bucket", "demo-clean-1250000000", "--html", str(page)])
    text = page.read_text()
    assert "<h2>Latest outcome of demo-clean-1250000000</h2>" in text
    section = text.split('<table id="bucket">')[1].split("</table>")[0]
    assert "unbound" in section and "unbind_accepted" in section
