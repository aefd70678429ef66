"""Every outcome and reason code, reached through main_handler on the fake cloud and the real SDKs."""

import json

import pytest

import handler
from lib import invocation
from tests.conftest import APPID, BASE_ENV, CONTEXT, REGION, codes, load_event, manual, outcome_of


@pytest.fixture
def main(cloud, monkeypatch):
    def call(event, **env):
        monkeypatch.setattr(handler, "SETTINGS", invocation.cold_start({**BASE_ENV, **env}))
        return handler.main_handler(event, CONTEXT)
    return call


def tagged(cloud, name, tags=None, **kw):
    return cloud.add_bucket(name, kw.pop("region", REGION),
                            tags={"ci-unbind": "true"} if tags is None else tags, **kw)


def test_clean_bucket_is_unbound_and_verified(cloud, main, capsys):
    tagged(cloud, "clean-1250000000")
    report = main(manual("clean-1250000000"))
    result = outcome_of(report, "clean-1250000000")
    assert report["ok"] is True and report["trigger"] == "manual" and report["dry_run"] is False
    assert result["outcome"] == "unbound"
    assert codes(result) == ["unbind_accepted", "ci_status"]
    assert result["reasons"][0]["request_id"]  # the service's own id for the PUT
    assert cloud.bucket("clean-1250000000").ci_status in ("unbinding", "off")
    assert cloud.count(endpoint="PUT /?unbind") == 1
    assert report["summary"] == {"unbound": 1}
    # The report leaves an unbound bucket's calls out; its log line keeps every one.
    assert "calls" not in result
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"msg": "bucket"' in x]
    apis = [c["api"] for c in line["calls"]]
    assert apis[:2] == ["GET /?tagging", "GET /"] and apis[-2:] == ["PUT /?unbind", "GET /"]
    assert all(c["request_id"] for c in line["calls"])


def test_dry_run_reports_would_unbind_and_sends_no_put(cloud, main):
    tagged(cloud, "clean-1250000000")
    report = main(manual("clean-1250000000"), CI_UNBIND_DRY_RUN="true")
    assert report["dry_run"] is True
    assert outcome_of(report, "clean-1250000000")["outcome"] == "would_unbind"
    assert cloud.count(endpoint="PUT /?unbind") == 0
    assert cloud.bucket("clean-1250000000").ci_status == "on"


def test_event_can_make_a_run_drier_never_wetter(cloud, main):
    tagged(cloud, "clean-1250000000")
    report = main(manual("clean-1250000000", dry_run=True))
    assert report["dry_run"] is True and report["summary"] == {"would_unbind": 1}
    report = main(manual("clean-1250000000", dry_run=False), CI_UNBIND_DRY_RUN="true")
    assert report["dry_run"] is True and report["summary"] == {"would_unbind": 1}
    assert cloud.count(endpoint="PUT /?unbind") == 0


@pytest.mark.parametrize("setup,code,detail", [
    (lambda b: b.add_workflow(name="wf", state="Paused"), "workflow", {"state": "Paused", "name": "wf"}),
    (lambda b: b.add_workflow(name="wf", state="Active"), "workflow", {"state": "Active"}),
    (lambda b: b.add_batch_job(type="Job", state="Running"), "batch_job", {"type": "Job", "state": "Running"}),
    (lambda b: b.add_batch_job(type="Workflow", state="Pause"), "batch_job", {"type": "Workflow"}),
    (lambda b: b.add_batch_job(type="Job", state="Submitted"), "batch_job", {"state": "Submitted"}),
    (lambda b: b.enable_service("doc"), "service_enabled", {"service": "doc"}),
])
def test_blockers(cloud, main, setup, code, detail):
    setup(tagged(cloud, "busy-1250000000"))
    result = outcome_of(main(manual("busy-1250000000")), "busy-1250000000")
    assert result["outcome"] == "blocked"
    assert codes(result) == [code]
    assert detail.items() <= result["reasons"][0].items()
    assert cloud.count(endpoint="PUT /?unbind") == 0


def test_all_blockers_are_reported_together(cloud, main):
    b = tagged(cloud, "busy-1250000000")
    wf = b.add_workflow(name="wf", state="Paused")
    job = b.add_batch_job(type="Job", state="Running")
    b.enable_service("media")
    b.enable_service("ai")
    result = outcome_of(main(manual("busy-1250000000")), "busy-1250000000")
    assert sorted(codes(result)) == ["batch_job", "service_enabled", "service_enabled", "workflow"]
    ids = {r.get("id") for r in result["reasons"]}
    assert {wf.id, job.id} <= ids
    assert {r.get("service") for r in result["reasons"]} >= {"media", "ai"}


@pytest.mark.parametrize("server_filters", [True, False])
def test_finished_batch_jobs_do_not_block(cloud, main, server_filters):
    # Also when the service ignores the `states` filter and lists finished jobs too.
    cloud.honour_states_filter = server_filters
    b = tagged(cloud, "done-1250000000")
    for state in ("Success", "Failed", "Cancel"):
        b.add_batch_job(type="Job", state=state)
        b.add_batch_job(type="Workflow", state=state)
    assert outcome_of(main(manual("done-1250000000")), "done-1250000000")["outcome"] == "unbound"


def test_unknown_batch_job_state_blocks(cloud, main):
    cloud.honour_states_filter = False
    job = tagged(cloud, "odd-1250000000").add_batch_job(type="Job", state="Running")
    job.state = "Suspended"  # a state the documentation does not list
    (reason,) = outcome_of(main(manual("odd-1250000000")), "odd-1250000000")["reasons"]
    assert reason["code"] == "batch_job" and reason["state"] == "Suspended"


def test_service_not_in_the_blocking_list_does_not_block(cloud, main):
    tagged(cloud, "media-1250000000").enable_service("media")
    report = main(manual("media-1250000000"), CI_UNBIND_BLOCKING_SERVICES="doc,asr")
    # The service itself still refuses (the fake, like the product's promise, refuses with a service on).
    assert outcome_of(report, "media-1250000000")["outcome"] == "refused"
    assert cloud.count(endpoint="GET /mediabucket") == 0


def test_hidden_review_config_is_refused_by_the_service(cloud, main):
    tagged(cloud, "review-1250000000").hidden.add("auto_review")
    result = outcome_of(main(manual("review-1250000000")), "review-1250000000")
    assert result["outcome"] == "refused"
    (reason,) = result["reasons"]
    assert reason["code"] == "unbind_refused"
    assert reason["http_status"] == 400 and reason["service_code"] == "PlaceholderUnbindRefused"
    assert reason["request_id"] and reason["message"]
    assert cloud.bucket("review-1250000000").ci_status == "on"


@pytest.mark.parametrize("status,outcome", [("off", "not_bound"), ("unbinding", "unbinding")])
def test_ci_status(cloud, main, status, outcome):
    tagged(cloud, "state-1250000000", ci_status=status)
    result = outcome_of(main(manual("state-1250000000")), "state-1250000000")
    assert result["outcome"] == outcome and result["reasons"] == [{"code": "ci_status", "status": status}]
    assert cloud.count(endpoint="PUT /?unbind") == 0
    assert cloud.count(endpoint="GET /workflow") == 0


def test_unknown_ci_status_is_an_error_without_put(cloud, main):
    tagged(cloud, "odd-1250000000").answer_status_as("frozen")
    result = outcome_of(main(manual("odd-1250000000")), "odd-1250000000")
    assert result["outcome"] == "error" and result["reasons"] == [{"code": "unknown_status", "status": "frozen"}]
    assert cloud.count(endpoint="PUT /?unbind") == 0 and cloud.count(endpoint="GET /") == 1


@pytest.mark.parametrize("tags,code", [
    ({}, "not_requested"),
    ({"ci-unbind": "false"}, "not_requested"),
    ({"ci-unbind": "later"}, "not_requested"),
    ({"other": "true"}, "not_requested"),
    ({"ci-unbind": "true", "ci-unbind-protect": "yes"}, "protected"),
    ({"ci-unbind": "2999-01-01"}, "not_due"),
])
def test_tag_decisions(cloud, main, tags, code):
    tagged(cloud, "tags-1250000000", tags=tags)
    result = outcome_of(main(manual("tags-1250000000")), "tags-1250000000")
    assert result["outcome"] == "skipped" and codes(result) == [code]
    # Skipped on its tags: no CI call at all.
    assert [c.endpoint for c in cloud.calls] == ["GET /?tagging"]


def test_due_date_in_the_past_unbinds(cloud, main):
    tagged(cloud, "due-1250000000", tags={"ci-unbind": "2020-01-01T00:00:00+08:00"})
    assert outcome_of(main(manual("due-1250000000")), "due-1250000000")["outcome"] == "unbound"


def test_region_excluded_and_foreign_account_make_no_call(cloud, main):
    tagged(cloud, "far-1250000000", region="ap-beijing")
    tagged(cloud, "theirs-1300000000")
    report = main({"buckets": [{"bucket": "far-1250000000", "region": "ap-beijing"},
                               {"bucket": "theirs-1300000000", "region": REGION}]},
                  CI_UNBIND_REGIONS="ap-guangzhou", TENCENTCLOUD_APPID=APPID)
    assert codes(outcome_of(report, "far-1250000000")) == ["region_excluded"]
    assert codes(outcome_of(report, "theirs-1300000000")) == ["foreign_account"]
    assert report["summary"] == {"skipped": 2}
    assert cloud.calls == []


def test_max_per_run_defers_the_rest(cloud, main):
    for i in range(5):
        tagged(cloud, f"cap{i}-1250000000")
    report = main(manual(*[f"cap{i}-1250000000" for i in range(5)]), CI_UNBIND_MAX_PER_RUN="2")
    assert report["summary"] == {"unbound": 2, "deferred": 3}
    deferred = [r for r in report["results"] if r["outcome"] == "deferred"]
    assert all(codes(r) == ["max_per_run"] for r in deferred)
    assert cloud.count(endpoint="PUT /?unbind") == 2


def test_a_time_limit_inside_the_margin_is_a_run_error_with_the_figures(cloud, main, monkeypatch):
    tagged(cloud, "late-1250000000")
    monkeypatch.setattr(handler, "SETTINGS", invocation.cold_start(BASE_ENV))
    report = handler.main_handler(manual("late-1250000000"), {**CONTEXT, "time_limit_in_ms": 1})
    assert report["ok"] is False and report["results"] == []
    error = report["error"]
    assert error["code"] == "time_limit_too_short"
    assert error["time_limit_s"] == 0.001 and error["margin_s"] == 5.0
    assert cloud.calls == []


def test_unreadable_status_is_an_error_without_put(cloud, main):
    tagged(cloud, "slow-1250000000")
    cloud.inject("GET /", status=403, code="AccessDenied", times=None)
    result = outcome_of(main(manual("slow-1250000000")), "slow-1250000000")
    assert result["outcome"] == "error" and cloud.count(endpoint="PUT /?unbind") == 0
    assert result["reasons"][0]["api"] == "GET /" and result["reasons"][0]["service_code"] == "AccessDenied"


def test_unbind_that_cannot_be_verified_is_an_error(cloud, invoke):
    tagged(cloud, "unsure-1250000000")
    # The status read before the unbind passes; every read after it fails. (Through `invoke`, whose
    # pauses between the confirming reads do not really wait.)
    cloud.inject("GET /", status=403, code="AccessDenied", times=None, after=1)
    result = outcome_of(invoke(manual("unsure-1250000000")), "unsure-1250000000")
    assert result["outcome"] == "error"
    assert codes(result) == ["unbind_accepted", "unverified", "api_error"]
    assert cloud.count(endpoint="PUT /?unbind") == 1


@pytest.mark.parametrize("settle_reads,later", [(1, "not_bound"), (5, "unbinding")])
def test_three_deliveries_of_one_event_unbind_once(cloud, main, settle_reads, later):
    # Whether the unbind is still under way or done when the event comes again, no second PUT.
    cloud.unbind_settle_reads = settle_reads
    tagged(cloud, "demo-clean-1250000000")
    event = load_event("cos-put-bucket-tagging.json")
    outcomes = [outcome_of(main(event), "demo-clean-1250000000")["outcome"] for _ in range(3)]
    assert outcomes == ["unbound", later, later]
    assert cloud.count(endpoint="PUT /?unbind") == 1


@pytest.mark.parametrize("event", [
    manual("evil.com/x-1250000000"),
    manual("a.b-1250000000"),
    manual("ok-1250000000", region="ap-guangzhou.evil.com"),
    manual("ok-1250000000", region="ap-guangzhou/../x"),
    manual("UPPER-1250000000"),
    manual("x-1250000000@evil.com"),
    {"buckets": [{"bucket": "ok-1250000000", "region": REGION}, {"bucket": "evil.com#-1", "region": REGION}]},
    {"buckets": []},
    {"hello": "world"},
    [],
    "timer",
])
def test_crafted_or_unknown_events_are_rejected_before_any_request(cloud, main, event):
    tagged(cloud, "ok-1250000000")
    report = main(event)
    assert report["ok"] is False and report["error"]["code"] == "invalid_event"
    assert report["results"] == []
    assert cloud.calls == []


def test_invalid_settings_change_nothing(cloud, main):
    tagged(cloud, "clean-1250000000")
    report = main(manual("clean-1250000000"), CI_UNBIND_DRY_RUN="nope")
    assert report["ok"] is False and report["error"]["code"] == "invalid_settings"
    assert "CI_UNBIND_DRY_RUN" in report["error"]["message"]
    assert cloud.calls == []


def test_missing_credentials(cloud, main):
    report = main(manual("clean-1250000000"), TENCENTCLOUD_SECRETID="", TENCENTCLOUD_SECRETKEY="")
    assert report["error"]["code"] == "missing_credentials" and cloud.calls == []


def test_tagging_events_from_both_services(cloud, main):
    tagged(cloud, "demo-clean-1250000000")
    for name in ("cos-put-bucket-tagging.json", "tag-modify-resource-tags.json"):
        report = main(load_event(name), CI_UNBIND_DRY_RUN="true")
        assert report["trigger"] == "event" and report["ok"] is True
        assert any(r["outcome"] == "would_unbind" for r in report["results"])


def test_batch_event_ignores_failed_and_unrelated_calls(cloud, main):
    for name in ("demo-clean-1250000000", "demo-paused-workflow-1250000000", "demo-running-batch-1250000000",
                 "demo-protected-1250000000", "demo-untagged-1250000000", "demo-hidden-review-1250000000"):
        tagged(cloud, name)
    report = main(load_event("eventbridge-batch.json"), CI_UNBIND_DRY_RUN="true")
    assert report["ok"] is True and report["ignored"]
    assert {i["reason"] for i in report["ignored"]} >= {"failed_call"}


def test_logs_one_line_per_bucket_and_one_per_run_without_secrets(cloud, invoke):
    tagged(cloud, "a-1250000000")
    tagged(cloud, "b-1250000000", tags={})
    report = invoke(manual("a-1250000000", "b-1250000000"))
    lines = invoke.lines
    assert [line["msg"] for line in lines].count("bucket") == 2
    assert [line["msg"] for line in lines].count("run") == 1
    run_line = [line for line in lines if line["msg"] == "run"][0]
    assert run_line["summary"] == report["summary"] and run_line["run_id"] == CONTEXT["request_id"]
    text = invoke.stream.getvalue() + json.dumps(report)
    for secret in (BASE_ENV["TENCENTCLOUD_SECRETID"], BASE_ENV["TENCENTCLOUD_SECRETKEY"],
                   BASE_ENV["TENCENTCLOUD_SESSIONTOKEN"]):
        assert secret not in text
