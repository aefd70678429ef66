"""The digest as data, each robot's shape, and the cut to each robot's documented limit (checked
again by the fake robot, which refuses what the real one would)."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib.notify import consolelinks, digest, robots
from lib.notify.config import NotifySettings, load
from lib.notify.send import Sender

ON = NotifySettings(url="https://hooks.example.com/x", format="json")


def result(name, outcome, *reasons, region="ap-guangzhou"):
    return {"bucket": name, "region": region, "outcome": outcome, "reasons": list(reasons), "calls": []}


def report(*results, ok=True, **extra):
    summary = {}
    for r in results:
        summary[r["outcome"]] = summary.get(r["outcome"], 0) + 1
    return {"ok": ok, "trigger": "timer", "dry_run": False, "run_id": "run-1", "summary": summary,
            "results": list(results), **extra}


WF = {"code": "workflow", "id": "w1", "name": "transcode", "state": "Paused"}
JOB = {"code": "batch_job", "id": "b1", "name": "backfill", "type": "Job", "state": "Running"}
REFUSAL = {"code": "unbind_refused", "http_status": 400, "service_code": "AutoAuditEnabled",
           "message": "auto review is on", "request_id": "NjJmMzRlZGZfOTBmYTUwNjRf"}
API = {"code": "api_error", "api": "GET /workflow", "http_status": 503, "service_code": "ServiceUnavailable",
       "message": "try later", "request_id": "req-9"}


def test_reasons_read_as_sentences_with_their_ids():
    assert digest.describe(WF) == "workflow transcode (w1) is Paused"
    assert digest.describe(JOB) == "batch job backfill (b1, type Job) is Running"
    assert digest.describe({"code": "service_enabled", "service": "media"}) == \
        "the media processing service is enabled"
    assert digest.describe(REFUSAL) == ("CI refused the unbind: HTTP 400 AutoAuditEnabled: auto review is on "
                                        "(request id NjJmMzRlZGZfOTBmYTUwNjRf)")
    assert digest.describe(API) == "GET /workflow failed: HTTP 503 ServiceUnavailable: try later (request id req-9)"
    assert digest.describe({"code": "something_new", "x": 1}) == "something_new x=1"


def test_a_console_link_per_blocker_on_the_buckets_ci_page():
    page = "https://console.cloud.tencent.com/ci/bucket?bucket=b-1250000000&region=ap-guangzhou"
    entry = digest.item(result("b-1250000000", "blocked", WF, JOB, {"code": "service_enabled", "service": "ai"}, API))
    assert [(line["link"] or {}).get("label") for line in entry["lines"]] == [
        "CI console: Workflow", "CI console: Batch processing", "CI console: AI Content Recognition", None]
    assert {line["link"]["url"] for line in entry["lines"] if line["link"]} == {page}
    assert digest.item(result("b-1250000000", "refused", REFUSAL))["lines"][0]["link"]["label"].startswith(
        "CI console: Content Moderation")
    assert consolelinks.bucket_page("not a bucket", "ap-guangzhou") == consolelinks.CI_BUCKETS_PAGE


def test_only_the_chosen_outcomes_and_heads_ups_most_urgent_first():
    hu = {"code": "not_due", "not_before": "2026-12-01T00:00:00Z", "heads_up": "would_unbind"}
    rep = report(result("a-1250000000", "unbound", {"code": "unbind_accepted", "request_id": "r"}),
                 result("b-1250000000", "skipped", {"code": "protected"}),
                 result("c-1250000000", "skipped", hu),
                 result("d-1250000000", "error", API),
                 result("e-1250000000", "would_unbind", {"code": "dry_run"}),
                 result("f-1250000000", "blocked", WF))
    d = digest.build(rep, ON)
    assert [(e["bucket"], e["status"]) for e in d["buckets"]] == [
        ("d-1250000000", "error"), ("f-1250000000", "blocked"),
        ("c-1250000000", "due on 2026-12-01: would unbind"), ("a-1250000000", "unbound")]
    assert d["heads_up"] == 1 and digest.has_news(d)
    assert not digest.has_news(digest.build(report(result("b-1250000000", "skipped")), ON))
    assert digest.has_news(digest.build(report(ok=False, error={"code": "invalid_event", "message": "x"}), ON))


def test_a_blocked_heads_up_lists_its_blockers_with_links():
    hu = {"code": "not_due", "not_before": "2026-12-01T08:30:00Z", "heads_up": "blocked"}
    entry = digest.item(result("c-1250000000", "skipped", hu, WF))
    assert entry["status"] == "due on 2026-12-01 08:30:00Z: blocked by"
    assert entry["lines"][0]["text"] == "workflow transcode (w1) is Paused" and entry["lines"][0]["link"]


def many(n, reasons=(WF,)):
    return report(*[result(f"bucket-{i:04d}-1250000000", "blocked", *reasons) for i in range(n)])


LIMIT_CHECK = {
    "wecom": lambda p: len(p["markdown"]["content"].encode()) <= 4096,
    "dingtalk": lambda p: len(json.dumps(p, ensure_ascii=False).encode()) <= 20000,
    "feishu": lambda p: len(json.dumps(p, ensure_ascii=False).encode()) + 128 <= 20000,
    "slack": lambda p: len(p["blocks"]) <= 50 and all(len(b["text"]["text"]) <= 3000 for b in p["blocks"]
                                                       if b["type"] == "section")
    and sum(len(t["text"]) for b in p["blocks"] for t in [b.get("text")] + b.get("elements", []) if t) <= 12000,
    "json": lambda p: len(json.dumps(p).encode()) <= 64 * 1024,
}


@pytest.mark.parametrize("kind", sorted(LIMIT_CHECK))
def test_a_long_list_is_cut_to_the_limit_with_and_n_more(cloud, kind):
    d = digest.build(many(400), ON)
    payload, omitted = robots.render(kind, d)
    assert LIMIT_CHECK[kind](payload) and 0 < omitted < 400
    listed = len(re.findall(r"bucket-\d{4}-1250000000\*+ \(", json.dumps(payload)))
    if kind == "json":
        assert payload["omitted"] == omitted and len(payload["buckets"]) == 400 - omitted
    else:
        assert listed == 400 - omitted and f"and {omitted} more buckets" in json.dumps(payload)
    # The fake robot, which refuses what the real one would, takes it.
    robot = cloud.add_robot(kind)
    Sender(load({"CI_UNBIND_NOTIFY_URL": robot.url, "CI_UNBIND_NOTIFY_FORMAT": kind})).send(payload)
    assert len(robot.messages) == 1


def test_a_slack_digest_keeps_all_its_text_within_12000_characters(cloud):
    # 80 blocked buckets, each with long reasons: every section is within its own 3,000, but
    # together they ran to 16,830 characters, which Slack refuses (msg_blocks_too_long).
    long_reasons = [{**WF, "id": f"w{i}", "name": f"transcode-{i}-" + "x" * 90} for i in range(3)]
    d = digest.build(many(80, long_reasons), ON)
    payload, omitted = robots.render("slack", d)
    texts = [t["text"] for b in payload["blocks"] for t in [b.get("text")] + b.get("elements", []) if t]
    assert sum(map(len, texts)) <= 12000 and 0 < omitted < 80
    listed = len(re.findall(r"\*bucket-\d{4}-1250000000\* \(", json.dumps(payload)))
    assert listed == 80 - omitted and f"and {omitted} more buckets" in texts[-1]
    robot = cloud.add_robot("slack")
    Sender(load({"CI_UNBIND_NOTIFY_URL": robot.url})).send(payload)
    assert len(robot.messages) == 1
    # As many as fit: one more bucket would be refused.
    bigger = robots.slack(d, d["buckets"][:listed + 1], omitted - 1)
    assert not robots.fits("slack", bigger)


def test_the_cut_keeps_as_many_buckets_as_fit():
    d = digest.build(many(100), ON)
    payload, omitted = robots.render("wecom", d)
    kept = 100 - omitted
    bigger = robots.wecom(d, d["buckets"][:kept + 1], omitted - 1)
    assert not robots.fits("wecom", bigger)


def test_a_bucket_with_many_reasons_shows_eight_and_counts_the_rest():
    jobs = [{**JOB, "id": f"b{i}"} for i in range(20)]
    payload, _ = robots.render("wecom", digest.build(report(result("x-1250000000", "blocked", *jobs)), ON))
    assert payload["markdown"]["content"].count("batch job") == 8 and "… and 12 more" in payload["markdown"]["content"]


def test_names_from_the_cloud_cannot_make_links_or_tags():
    evil = {**WF, "name": '[click](https://evil.example) <font color="info">*x*</font> <@all>'}
    for kind in ("wecom", "dingtalk", "feishu"):
        text = json.dumps(robots.render(kind, digest.build(report(result("x-1250000000", "blocked", evil)), ON))[0],
                          ensure_ascii=False)
        assert "](https://evil.example)" not in text and "<font color=\\\"info\\\">" not in text
        assert "click" in text and "evil.example" in text
    slack = json.dumps(robots.render("slack", digest.build(report(result("x-1250000000", "blocked", evil)), ON))[0])
    assert "<@all>" not in slack and "&lt;@all&gt;" in slack


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=1, max_size=120), min_size=1, max_size=60),
       kind=st.sampled_from(sorted(LIMIT_CHECK)))
def test_any_names_any_count_fit_the_limit(names, kind):
    rep = report(*[result(f"b{i}-1250000000", "blocked", {**WF, "name": n}) for i, n in enumerate(names)])
    payload, omitted = robots.render(kind, digest.build(rep, ON))
    assert LIMIT_CHECK[kind](payload) and 0 <= omitted < len(names) + 1


def test_beyond_a_thousand_buckets_are_counted_not_described():
    d = digest.build(many(1500), ON)
    assert len(d["buckets"]) == 1000 and d["omitted"] == 500
    payload, omitted = robots.render("dingtalk", d)
    listed = len(re.findall(r"bucket-\d{4}-1250000000\*+ \(", json.dumps(payload)))
    assert listed + omitted == 1500 and f"and {omitted} more buckets" in payload["markdown"]["text"]
