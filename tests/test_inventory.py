"""`inventory`: every bucket, its CI status, request and blockers, read-only, through the run's checks."""

import csv
import json

import pytest

from lib.ops.cli import main
from tests.campaign_helpers import writes
from tests.conftest import SECRET_ID, SECRET_KEY, TOKEN

DEMO_BLOCKED = {"demo-paused-workflow-1250000000": ["workflow"], "demo-due-soon-1250000000": ["workflow"],
                "demo-running-batch-1250000000": ["batch_job"],
                "demo-media-enabled-1250000000": ["service_enabled", "service_enabled"]}


def inventory_json(capsys, *extra):
    code = main(["inventory", "--json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_the_demo_inventory_lists_every_bucket_and_writes_nothing(opcloud, capsys):
    code, data, err = inventory_json(capsys)
    assert code == 0 and err == ""
    rows = {r["bucket"]: r for r in data["buckets"]}
    assert set(rows) == {b.name for b in opcloud.buckets}
    for bucket in opcloud.buckets:
        row = rows[bucket.name]
        assert row["region"] == bucket.region and row["ci_status"] == bucket.ci_status
        assert "account" not in row  # one account: no column for it
    # Blockers through the run's own checks and reason codes; only bound buckets are checked.
    assert {b: [x["code"] for x in r["blockers"]] for b, r in rows.items() if r["blockers"]} == DEMO_BLOCKED
    paused = rows["demo-paused-workflow-1250000000"]["blockers"][0]
    assert paused["state"] == "Paused" and paused["name"] == "transcode-uploads" and paused["request_id"]
    assert rows["demo-clean-1250000000"]["could_unbind"] and rows["demo-clean-1250000000"]["run"]["outcome"] == "would_unbind"
    assert rows["demo-protected-1250000000"]["protected"] and not rows["demo-protected-1250000000"]["could_unbind"]
    assert rows["demo-not-yet-1250000000"]["requested"] == {"value": "2099-01-01", "valid": True,
                                                            "not_before": "2099-01-01T00:00:00Z"}
    assert rows["demo-not-yet-1250000000"]["run"]["reasons"][0]["code"] == "not_due"
    assert rows["demo-untagged-1250000000"]["requested"] is None and rows["demo-untagged-1250000000"]["could_unbind"]
    assert rows["demo-legacy-12500000"]["why_not"] == [{"code": "foreign_account", "appid": "12500000"}]
    assert rows["demo-not-bound-1250000000"]["why_not"] == [{"code": "ci_status", "status": "off"}]
    # The hidden review has no list API: the inventory cannot see it, as a run cannot.
    assert rows["demo-hidden-review-1250000000"]["could_unbind"]
    # A summary that adds up.
    s = data["summary"]
    assert s["buckets"] == len(rows) == sum(s["ci_status"].values())
    assert s["bound"] == sum(1 for r in rows.values() if r["ci_status"] == "on") == 11
    assert s["could_unbind"] == sum(1 for r in rows.values() if r["could_unbind"]) == 5
    assert s["blocked"] == len(DEMO_BLOCKED) and s["blocked_by"] == {"workflow": 2, "batch_job": 1, "service_enabled": 1}
    assert s["requested"] == 12 and s["protected"] == 1 and s["errors"] == 0
    # Read-only on the wire: no tag, no unbind, no state object.
    assert writes(opcloud) == []
    assert {c.method for c in opcloud.calls} == {"GET"}
    # Only bound buckets are asked for blockers.
    asked = {c.bucket for c in opcloud.calls if c.endpoint == "GET /workflow"}
    assert asked == {b for b, r in rows.items() if r["ci_status"] == "on"}


def test_the_text_table_and_region_filter(opcloud, capsys):
    assert main(["inventory", "--region", "ap-beijing"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("inventory of APPID 1250000000") and "read-only" in lines[0]
    listed = [line.split()[0] for line in lines[3:] if line and not line.startswith("summary")]
    assert listed == ["demo-finished-jobs-1250000000", "demo-not-bound-1250000000", "demo-unbinding-1250000000"]
    assert "summary: 3 buckets" in out and "could be unbound today: 1" in out
    assert not any(c.bucket and "guangzhou" in (c.region or "") for c in opcloud.calls if c.endpoint == "GET /")


@pytest.mark.slow
def test_a_check_that_fails_is_an_error_never_a_candidate(opcloud, capsys):
    opcloud.inject("GET /workflow", status=500, code="InternalError", bucket="demo-clean-1250000000")
    code, data, _ = inventory_json(capsys)
    assert code == 1
    row = [r for r in data["buckets"] if r["bucket"] == "demo-clean-1250000000"][0]
    assert not row["could_unbind"] and row["errors"][0]["api"] == "GET /workflow"
    assert row["errors"][0]["http_status"] == 500 and row["run"]["outcome"] == "error"
    assert data["summary"]["errors"] == 1


def test_bad_region_is_one_line_and_nothing_is_sent(opcloud, capsys):
    assert main(["inventory", "--region", "ap-guangzhou.evil.example"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "invalid region" in err
    assert opcloud.calls == []


def test_csv_and_logs_carry_no_secret(opcloud, capsys, tmp_path):
    path = tmp_path / "inv.csv"
    assert main(["inventory", "--csv", str(path), "--logs"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == len(opcloud.buckets) and f"wrote {path}" in out
    assert {r["bucket"]: r["could_unbind"] for r in rows}["demo-clean-1250000000"] == "true"
    lines = [json.loads(line) for line in err.splitlines()]
    per_bucket = [x for x in lines if x["msg"] == "inventory_bucket"]
    assert len(per_bucket) == len(opcloud.buckets) and all(x["calls"] for x in per_bucket)
    assert lines[-1]["msg"] == "inventory" and lines[-1]["calls"] == len(opcloud.calls)
    for text in (out, err, path.read_text()):
        for secret in (SECRET_ID, SECRET_KEY, TOKEN):
            assert secret not in text
    assert "q-signature" not in err


def test_simulate_with_member_accounts_lists_each_account(capsys, monkeypatch):
    monkeypatch.delenv("CI_UNBIND_ACCOUNTS", raising=False)
    code = main(["inventory", "--simulate", "--scenario", "lib/fakecloud/scenarios/org.json", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    owners = {r["bucket"]: r["account"] for r in data["buckets"]}
    assert owners["central-clean-1250000000"] == "self"
    assert owners["media-live-1250000101"].endswith("uin/100000000101:roleName/CosCiUnbinderMember")
    assert sorted(a["appid"] for a in data["accounts"]) == ["1250000000", "1250000101", "1250000102"]
    assert data["summary"]["blocked_by"] == {"workflow": 1, "batch_job": 1, "service_enabled": 1}


def test_the_inventory_is_paced_like_a_run(opcloud):
    from lib import invocation
    from lib.ops import inventory
    from tests.conftest import BASE_ENV, SkipClock, fast_connect

    skip = SkipClock()
    settings = invocation.cold_start({**BASE_ENV, "CI_UNBIND_MAX_RPS": "5"})
    start = skip.clock()
    taken = inventory.take(settings, connect=fast_connect, clock=skip.clock, sleep=skip.sleep)
    calls = len(opcloud.calls)
    assert taken.calls == calls and calls > 40
    # At most 5 CI and COS requests in any second: the calls took at least calls / 5 - 1 seconds.
    assert skip.clock() - start >= calls / 5 - 1


class _Terminal:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.mark.slow
def test_progress_shows_on_a_terminal_only(opcloud):
    from lib import invocation
    from lib.ops import inventory
    from lib.ops.inventory_cmd import Progress
    from tests.conftest import BASE_ENV, fast_connect

    settings = invocation.cold_start(BASE_ENV)
    for tty in (True, False):
        stream = _Terminal(tty)
        progress = Progress(stream)
        inventory.take(settings, connect=fast_connect, progress=progress)
        progress.done()
        if tty:
            assert f"inventory: {len(opcloud.buckets)}/{len(opcloud.buckets)} buckets" in stream.text
            assert stream.text.endswith("\n")
        else:
            assert stream.text == ""
