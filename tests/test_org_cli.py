"""`invoke --simulate --scenario org.json`: three accounts swept in one run, or fanned out over the
fake SCF, with the same outcome for every bucket either way."""

import json

import pytest

from lib.cloud import sts as roles
from lib.ops.cli import main
from tests.conftest import ROOT

# Slow: left to the full run (CI); the quick run must fit its time.
pytestmark = pytest.mark.slow

ORG = str(ROOT / "lib/fakecloud/scenarios/org.json")
TIMER = str(ROOT / "events/timer.json")
EXPECTED = {
    "central-clean-1250000000": "unbound", "central-protected-1250000000": "skipped",
    "media-archive-1250000101": "unbound", "media-live-1250000101": "blocked", "media-review-1250000101": "refused",
    "data-lake-1250000102": "blocked", "data-docs-1250000102": "blocked", "data-old-1250000102": "unbound",
    "data-later-1250000102": "skipped",
}


def test_org_scenario_in_one_invocation(capsys, monkeypatch):
    roles.CACHE.clear()
    for name in ("CI_UNBIND_ACCOUNTS", "CI_UNBIND_FANOUT"):
        monkeypatch.delenv(name, raising=False)
    main(["invoke", TIMER, "--simulate", "--scenario", ORG, "--apply", "--json"])  # exit code: refused, blocked
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert {r["bucket"]: r["outcome"] for r in report["results"]} == EXPECTED
    assert [a["ok"] for a in report["accounts"]] == [True, True, True]
    assert {r["account"] for r in report["results"]} == {
        "self", "qcs::cam::uin/100000000101:roleName/CosCiUnbinderMember",
        "qcs::cam::uin/100000000102:roleName/CosCiUnbinderMember"}


def test_org_scenario_fanned_out(capsys, monkeypatch):
    roles.CACHE.clear()
    monkeypatch.delenv("CI_UNBIND_ACCOUNTS", raising=False)
    monkeypatch.setenv("CI_UNBIND_FANOUT", "on")
    monkeypatch.setenv("CI_UNBIND_SHARD_SIZE", "2")
    main(["invoke", TIMER, "--simulate", "--scenario", ORG, "--apply", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["results"] == [] and len(report["fanout"]["shards"]) == 5
    workers = report["shard_reports"]
    assert {r["bucket"]: r["outcome"] for w in workers for r in w["results"]} == EXPECTED
    assert sorted(w["shard"]["index"] for w in workers) == [0, 1, 2, 3, 4]
    main(["invoke", TIMER, "--simulate", "--scenario", ORG])
    text = capsys.readouterr().out
    assert "shard 5/5 100000000102 (member): 2 buckets, started as fakeinv" in text
    assert "shard 2/5 of run cli-" in text
