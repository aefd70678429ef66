"""Service regions, buckets located by GET Service, event batches and time limits, end to end
through `invocation.handle` against the fake cloud."""

import pytest
from conftest import APPID, REGION, manual, outcome_of
from events_helpers import UNSET, audit_log, cloud_event, cos_event

from lib import preflight
from lib.cloud import regions
from lib.cloud import service as locate
from lib.cloud.ci import MAX_QUERY_BYTES

CLEAN = "demo-clean-1250000000"


def tagged(cloud, name, region=REGION, **kw):
    return cloud.add_bucket(name, region, tags={"ci-unbind": "true"}, **kw)


def unlocated_event(bucket, event_id="event-0001"):
    # A record that names the bucket but no region; the envelope's region is the bus's.
    return cloud_event(audit_log(resourceName=bucket, eventRegion=UNSET, region=UNSET), id=event_id,
                       region="ap-guangzhou")


# --- services a region does not offer ------------------------------------------------------------

def test_a_service_the_table_says_is_missing_is_still_asked_and_blocks_when_enabled(cloud, invoke):
    assert regions.offered("doc", "ap-hongkong") is False
    tagged(cloud, "hk-doc-1250000000", region="ap-hongkong").enable_service("doc")
    report = invoke(manual("hk-doc-1250000000", region="ap-hongkong"))
    result = outcome_of(report, "hk-doc-1250000000")
    assert result["outcome"] == "blocked" and {"code": "service_enabled", "service": "doc"} in result["reasons"]
    assert cloud.count(endpoint="PUT /?unbind") == 0
    assert "services_not_offered" not in report  # both lists answered


def test_a_list_that_fails_where_the_table_says_not_offered_means_not_offered(cloud, invoke):
    cloud.withdraw_service("ai", "ap-singapore")
    cloud.withdraw_service("doc", "ap-singapore")
    tagged(cloud, "sg-clean-1250000000", region="ap-singapore")
    report = invoke(manual("sg-clean-1250000000", region="ap-singapore"))
    assert outcome_of(report, "sg-clean-1250000000")["outcome"] == "unbound"
    said = report["services_not_offered"]
    assert list(said) == ["ap-singapore"] and list(said["ap-singapore"]) == ["ai", "doc"]
    doc = said["ap-singapore"]["doc"]
    (call,) = [c for c in cloud.calls if c.endpoint == "GET /docbucket"]
    assert doc == {"api": "GET /docbucket", "http_status": 400, "service_code": "InvalidArgument",
                   "request_id": call.request_id}
    assert doc["request_id"]
    assert cloud.count(endpoint="GET /ai_bucket") == 1 and cloud.count(endpoint="GET /mediabucket") == 1


def test_services_not_offered_are_said_once_per_region(cloud, invoke):
    cloud.withdraw_service("ai", "ap-singapore")
    for n in range(3):
        tagged(cloud, f"sg{n}-1250000000", region="ap-singapore")
    tagged(cloud, "gz-1250000000")
    report = invoke({"buckets": [{"bucket": f"sg{n}-1250000000", "region": "ap-singapore"} for n in range(3)]
                     + [{"bucket": "gz-1250000000", "region": REGION}]})
    assert list(report["services_not_offered"]) == ["ap-singapore"]
    assert list(report["services_not_offered"]["ap-singapore"]) == ["ai"]
    assert all("services_not_offered" not in r for r in report["results"])
    assert {r["outcome"] for r in report["results"]} == {"unbound"}
    assert cloud.count(endpoint="GET /ai_bucket") == 2  # one group per region


def test_an_unreadable_answer_where_the_table_says_not_offered_is_an_error(cloud, invoke):
    # The service answered (200), so it is there; what it said cannot be read: fail closed.
    tagged(cloud, "sg-odd-1250000000", region="ap-singapore")
    cloud.inject("GET /docbucket", body="malformed", times=None)
    report = invoke(manual("sg-odd-1250000000", region="ap-singapore"))
    result = outcome_of(report, "sg-odd-1250000000")
    assert result["outcome"] == "error" and cloud.count(endpoint="PUT /?unbind") == 0
    assert "services_not_offered" not in report


def test_a_failed_list_where_the_table_says_offered_is_an_error(cloud, invoke):
    assert regions.offered("media", "ap-singapore") is True
    cloud.withdraw_service("media", "ap-singapore")
    tagged(cloud, "sg-media-1250000000", region="ap-singapore")
    report = invoke(manual("sg-media-1250000000", region="ap-singapore"))
    result = outcome_of(report, "sg-media-1250000000")
    assert result["outcome"] == "error" and cloud.count(endpoint="PUT /?unbind") == 0
    assert any(r.get("api") == "GET /mediabucket" for r in result["reasons"])
    assert "services_not_offered" not in report


def test_a_mainland_bucket_is_still_checked_for_every_service(cloud, invoke):
    tagged(cloud, CLEAN).enable_service("ai")
    report = invoke(manual(CLEAN))
    result = outcome_of(report, CLEAN)
    assert result["outcome"] == "blocked" and {"code": "service_enabled", "service": "ai"} in result["reasons"]
    assert "services_not_offered" not in report


def test_a_failed_list_in_the_mainland_is_an_error(cloud, invoke):
    cloud.withdraw_service("ai", REGION)
    tagged(cloud, CLEAN)
    report = invoke(manual(CLEAN))
    assert outcome_of(report, CLEAN)["outcome"] == "error" and cloud.count(endpoint="PUT /?unbind") == 0
    assert "services_not_offered" not in report


def test_a_region_the_table_does_not_know_is_asked_and_fails_closed(cloud, invoke):
    assert regions.offered("ai", "xx-newplace") is None
    tagged(cloud, "new-1250000000", region="xx-newplace")
    cloud.inject("GET /ai_bucket", status=400, code="InvalidArgument", times=None)
    report = invoke(manual("new-1250000000", region="xx-newplace"))
    result = outcome_of(report, "new-1250000000")
    assert result["outcome"] == "error" and cloud.count(endpoint="PUT /?unbind") == 0
    assert any(r.get("api") == "GET /ai_bucket" for r in result["reasons"])


def test_the_table():
    services = ["media", "pic", "doc", "asr", "file", "ai"]
    assert [s for s in services if regions.offered(s, "eu-frankfurt") is False] == ["doc", "ai"]
    assert all(regions.offered(s, "ap-beijing") for s in services)


# --- service-list URLs ---------------------------------------------------------------------------

def test_service_list_queries_stay_under_the_bound_and_cover_every_bucket(cloud, invoke):
    names = [f"{'long-bucket-name-' * 2}{n:04d}-{APPID}" for n in range(100)]
    for name in names:
        tagged(cloud, name).enable_service("media") if name.endswith(f"0042-{APPID}") else tagged(cloud, name)
    report = invoke({"buckets": [{"bucket": n, "region": REGION} for n in names]},
                    env={"CI_UNBIND_DRY_RUN": "true", "CI_UNBIND_MAX_PER_RUN": "1000"})
    lists = [c for c in cloud.calls if c.endpoint == "GET /mediabucket"]
    assert len(lists) > 1
    asked = set()
    for call in lists:
        query = call.query
        from urllib.parse import urlencode
        assert len(urlencode(query)) <= MAX_QUERY_BYTES
        asked |= set(query["bucketNames"].split(","))
    assert asked == set(names)
    blocked = [r for r in report["results"] if r["outcome"] == "blocked"]
    assert [r["bucket"] for r in blocked] == [n for n in names if n.endswith(f"0042-{APPID}")]


# --- the bucket's region from GET Service --------------------------------------------------------

def test_a_bucket_without_a_region_is_found_with_one_get_service(cloud, invoke):
    tagged(cloud, CLEAN, region="ap-singapore")
    report = invoke(unlocated_event(CLEAN))
    result = outcome_of(report, CLEAN)
    assert result["region"] == "ap-singapore" and result["outcome"] == "unbound"
    assert cloud.count(endpoint="GET Service") == 1
    assert all(c.region in ("ap-singapore", None) for c in cloud.calls if c.service == "ci")


def test_get_service_reads_every_page_once_per_invocation(cloud, invoke, monkeypatch):
    monkeypatch.setattr(locate, "MAX_KEYS", 2)
    for n in range(5):
        cloud.add_bucket(f"filler{n}-1250000000", REGION)
    tagged(cloud, "zz-last-1250000000", region="ap-tokyo")
    tagged(cloud, "zz-other-1250000000", region="ap-seoul")
    events = [unlocated_event("zz-last-1250000000", "e1"), unlocated_event("zz-other-1250000000", "e2")]
    report = invoke({"EventList": events})
    assert outcome_of(report, "zz-last-1250000000")["region"] == "ap-tokyo"
    assert outcome_of(report, "zz-other-1250000000")["region"] == "ap-seoul"
    pages = [c for c in cloud.calls if c.endpoint == "GET Service"]
    assert len(pages) == 4 and [c.query.get("marker", "") for c in pages][0] == ""


def test_no_get_service_when_every_region_is_known(cloud, invoke):
    tagged(cloud, CLEAN)
    invoke(cos_event(resourceName=CLEAN))
    assert cloud.count(endpoint="GET Service") == 0


def test_a_bucket_get_service_does_not_list_is_an_error_with_a_reason(cloud, invoke):
    report = invoke(unlocated_event("gone-1250000000"))
    (result,) = report["results"]
    assert report["ok"] is False
    assert result == {"bucket": "gone-1250000000", "region": None, "outcome": "error", "calls": result["calls"],
                      "reasons": [{"code": "region_unknown", "api": "GET Service",
                                   "message": "the event gave no region and GET Service does not list this bucket"}]}
    assert [c.endpoint for c in cloud.calls] == ["GET Service"]


def test_a_failing_get_service_unbinds_nothing(cloud, invoke):
    tagged(cloud, CLEAN)
    cloud.inject("GET Service", status=403, code="AccessDenied", times=None)
    report = invoke(unlocated_event(CLEAN))
    (result,) = report["results"]
    assert result["outcome"] == "error" and result["reasons"][0]["code"] == "region_unknown"
    assert result["reasons"][0]["service_code"] == "AccessDenied" and result["reasons"][0]["http_status"] == 403
    assert cloud.count(endpoint="PUT /?unbind") == 0


# --- event batches --------------------------------------------------------------------------------

def test_one_unreadable_record_does_not_throw_away_the_others(cloud, invoke):
    tagged(cloud, CLEAN)
    bad = cos_event(resourceName="evil.com/x-1250000000")
    bad["id"] = "bad-0002"
    report = invoke({"EventList": [cos_event(resourceName=CLEAN), bad, 7]})
    assert outcome_of(report, CLEAN)["outcome"] == "unbound"
    assert report["ok"] is False
    unreadable = report["unreadable_events"]
    assert [(u["index"], u["event_id"]) for u in unreadable] == [(1, "bad-0002"), (2, None)]
    assert "'evil.com/x-1250000000'" in unreadable[0]["reason"] and "must be an object" in unreadable[1]["reason"]


def test_a_batch_of_only_unreadable_records_is_invalid(cloud, invoke):
    report = invoke({"EventList": [cos_event(resourceName="evil.com/x-1250000000"), None]})
    assert report["ok"] is False and report["error"]["code"] == "invalid_event" and cloud.calls == []


# --- time limits ------------------------------------------------------------------------------------

def test_an_event_run_budgets_at_most_eventbridges_300_seconds():
    assert preflight.budget_limit("event", 900.0) == 300.0
    assert preflight.budget_limit("event", 60.0) == 60.0
    assert preflight.budget_limit("event", None) == 300.0
    assert preflight.budget_limit("timer", 900.0) == 900.0


def test_an_event_run_defers_at_the_eventbridge_deadline_not_the_functions(cloud, invoke):
    tagged(cloud, CLEAN)
    ticks = iter([0.0])  # the run starts at 0 s; everything after it happens at 271 s

    def clock():
        return next(ticks, 271.0)

    report = invoke(cos_event(resourceName=CLEAN), clock=clock,
                    context={"request_id": "r", "time_limit_in_ms": 900000})
    # 300 s less the 30 s margin: 270 s. Under the function's own 900 s it would have gone on.
    result = outcome_of(report, CLEAN)
    assert result["outcome"] == "deferred" and result["reasons"] == [{"code": "deadline"}]
    assert cloud.count(endpoint="PUT /?unbind") == 0


@pytest.mark.parametrize("limit_ms, ok", [(5000, False), (5001, True)])
def test_a_limit_at_the_margin_is_too_short(cloud, invoke, limit_ms, ok):
    report = invoke(manual(CLEAN), context={"request_id": "r", "time_limit_in_ms": limit_ms})
    assert (report.get("error", {}).get("code") == "time_limit_too_short") is not ok
