"""`python -m lib history`: reading the state bucket (or saved reports), choosing, printing."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from lib.ops import history
from lib.ops.cli import main
from lib.ops.html_report import chart, render
from tests.conftest import BASE_ENV, REGION, ROOT, manual
from tests.state_helpers import STATE_ENV, add_state_bucket, clean_bucket

NOW = datetime(2024, 5, 3, 12, 0, tzinfo=timezone.utc)
A, B = "alpha-1250000000", "bravo-1250000000"


def _report(run_id, when, results, ok=True, dry_run=False, trigger="timer"):
    summary = {}
    for r in results:
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
    return {"ok": ok, "trigger": trigger, "dry_run": dry_run, "run_id": run_id, "summary": summary,
            "results": results, "recorded_at": when.isoformat().replace("+00:00", "Z")}


def _result(bucket, outcome, reasons=(), calls=()):
    return {"bucket": bucket, "region": REGION, "outcome": outcome, "reasons": list(reasons), "calls": list(calls)}


@pytest.fixture
def saved(tmp_path):
    runs = [
        _report("r1", NOW - timedelta(days=2), [_result(A, "blocked", [{"code": "workflow", "id": "w1"}]),
                                                 _result(B, "would_unbind", [{"code": "dry_run"}])], dry_run=True),
        _report("r2", NOW - timedelta(days=1), [_result(A, "blocked", [{"code": "workflow", "id": "w1"}],
                                                        [{"api": "GET /workflow", "request_id": "req-w"}]),
                                                 _result(B, "unbound", [{"code": "unbind_accepted",
                                                                         "request_id": "req-u"}])]),
        _report("r3", NOW - timedelta(days=10), [_result(B, "error", [{"code": "api_error"}])], ok=False),
    ]
    for r in runs:
        (tmp_path / f"{r['run_id']}.json").write_text(json.dumps(r))
    return tmp_path


def test_since_forms():
    assert history.parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert history.parse_since("12h", NOW) == NOW - timedelta(hours=12)
    assert history.parse_since("2024-05-01", NOW) == datetime(2024, 5, 1, tzinfo=timezone.utc)
    with pytest.raises(history.HistoryError):
        history.parse_since("7 days", NOW)


def test_from_saved_reports(saved):
    runs = history.runs_from_dir(str(saved))
    latest = history.latest_from_runs(runs)
    assert {b["bucket"]: b["outcome"] for b in latest} == {A: "blocked", B: "unbound"}
    chosen, latest = history.select(runs, latest, NOW - timedelta(days=7), None, None)
    assert [r["run_id"] for r in chosen] == ["r2", "r1"]  # newest first; r3 is older than a week
    assert [b["bucket"] for b in history.needing_a_person(latest)] == [A]
    assert history.per_day(chosen) == {"2024-05-01": {"blocked": 1, "would_unbind": 1},
                                       "2024-05-02": {"blocked": 1, "unbound": 1}}


def test_filters(saved):
    runs = history.runs_from_dir(str(saved))
    latest = history.latest_from_runs(runs)
    chosen, only = history.select(runs, latest, None, B, "unbound")
    assert [r["run_id"] for r in chosen] == ["r2"] and [b["bucket"] for b in only] == [B]


def test_cli_text_and_exit_code(saved, capsys):
    assert main(["history", "--from", str(saved), "--since", "2024-04-01"]) == 1  # A needs a person; r3 not ok
    out = capsys.readouterr().out
    assert "r1" in out and "r2" in out and "r3" in out and "BUCKETS THAT NEED A PERSON (1)" in out
    assert f"https://console.cloud.tencent.com/ci/bucket?bucket={A}&region={REGION}" in out


def test_cli_json(saved, capsys):
    main(["history", "--from", str(saved), "--json", "--outcome", "blocked", "--since", "2024-04-01"])
    data = json.loads(capsys.readouterr().out)
    assert [b["bucket"] for b in data["needs_person"]] == [A]


def test_cli_bad_input(tmp_path, capsys):
    (tmp_path / "x.json").write_text("{not json")
    assert main(["history", "--from", str(tmp_path)]) == 2
    assert main(["history", "--from", str(tmp_path / "missing")]) == 2
    assert main(["history", "--from", str(tmp_path), "--since", "yesterday"]) == 2


def test_cli_without_a_state_bucket_says_what_to_set(monkeypatch, capsys):
    for key in ("CI_UNBIND_STATE_BUCKET", "CI_UNBIND_MAX_PER_DAY"):
        monkeypatch.delenv(key, raising=False)
    assert main(["history"]) == 2
    assert "CI_UNBIND_STATE_BUCKET" in capsys.readouterr().err


def test_cli_reads_the_state_bucket_the_function_wrote(cloud, invoke, monkeypatch, capsys):
    add_state_bucket(cloud)
    clean_bucket(cloud, A)
    cloud.add_bucket(B, REGION, tags={"ci-unbind": "true"}).add_workflow(name="transcode", state="Paused")
    report = invoke(manual(A, B), env=STATE_ENV)
    assert report["ok"] is True
    for key, value in {**BASE_ENV, **STATE_ENV}.items():
        monkeypatch.setenv(key, value)
    assert main(["history", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in data["runs"]] == [report["run_id"]]
    assert data["runs"][0]["results"] == report["results"]
    assert [(b["bucket"], b["outcome"]) for b in data["needs_person"]] == [(B, "blocked")]
    assert data["needs_person"][0]["request_ids"]


@pytest.mark.slow
def test_cli_simulate(capsys):
    assert main(["history", "--simulate", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert len(data["runs"]) == 4 and {b["outcome"] for b in data["needs_person"]} == {"blocked", "refused"}


def test_page_escapes_what_the_cloud_said():
    hostile = _result(A, "refused", [{"code": "unbind_refused", "message": "<script>alert(1)</script>",
                                      "request_id": "<b>id</b>"}])
    page = render([_report("r<1>", NOW, [hostile])], history.latest_from_runs([_report("r<1>", NOW, [hostile])]),
                  NOW, "test")
    assert "<script>" not in page and "&lt;script&gt;" in page and "<b>id</b>" not in page
    assert "http" not in page.replace("https://console.cloud.tencent.com/ci/bucket?", "").replace(
        "http://www.w3.org/2000/svg", "")


def test_chart_bars_stack_to_the_day_totals():
    svg = chart({"2024-05-01": {"blocked": 3, "unbound": 1}, "2024-05-02": {"error": 2}})
    assert svg.count('class="bar"') == 3 and 'data-count="3"' in svg
    assert "No runs" in chart({})


def test_the_demo_keeps_its_history_in_a_state_bucket_of_the_fake(capsys):
    from lib.ops.simulation import SIM_STATE_BUCKET

    assert main(["invoke", str(ROOT / "events" / "manual.json"), "--simulate", "--apply", "--json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    assert report["state"]["bucket"] == SIM_STATE_BUCKET and "failures" not in report["state"]
