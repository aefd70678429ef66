"""Defects a review found; each test failed before its fix."""

import json

import pytest
from conftest import BASE_ENV, CONTEXT, REGION, manual, outcome_of

import handler
from lib import invocation
from lib.buckets import InvalidBucket, validate_bucket_name, validate_region
from lib.decide import parse_request_value

CLEAN = "demo-clean-1250000000"


# --- names and regions ending in a newline ---------------------------------------------------------

@pytest.mark.parametrize("bucket, region", [(CLEAN + "\n", REGION), (CLEAN, REGION + "\n")])
def test_a_trailing_newline_is_an_invalid_event_and_nothing_is_sent(cloud, invoke, bucket, region):
    cloud.add_bucket(CLEAN, REGION, tags={"ci-unbind": "true"})
    report = invoke({"buckets": [{"bucket": bucket, "region": region}]})
    assert report["ok"] is False and report["error"]["code"] == "invalid_event"
    assert cloud.calls == []


@pytest.mark.parametrize("check, value", [(validate_bucket_name, CLEAN + "\n"), (validate_region, "ap-guangzhou\n")])
def test_validators_anchor_at_the_true_end(check, value):
    with pytest.raises(InvalidBucket):
        check(value)


# --- deeply nested JSON ------------------------------------------------------------------------------

def _deepest_list():
    """The deepest list Python's decoder accepts here (about 990 levels from a fresh stack)."""
    for depth in range(990, 0, -5):
        try:
            return json.loads("[" * depth + "]" * depth)
        except RecursionError:
            continue
    raise AssertionError("no depth decodes")


def _deeper(frames, fn):
    return fn() if frames == 0 else _deeper(frames - 1, fn)


@pytest.mark.parametrize("wrap", [
    lambda deep: {"EventList": deep},
    lambda deep: {"EventList": [deep]},
    lambda deep: {"buckets": deep},
    lambda deep: {"buckets": [{"bucket": deep, "region": REGION}]},
    lambda deep: deep,
])
def test_main_handler_never_raises_on_deep_json(cloud, monkeypatch, wrap):
    monkeypatch.setattr(handler, "SETTINGS", invocation.cold_start(BASE_ENV))
    deep = _deepest_list()
    # SCF decodes the event in its runtime and calls the handler from further down its stack.
    report = _deeper(40, lambda: handler.main_handler(wrap(deep), CONTEXT))
    assert report["ok"] is False and report["error"]["code"] == "invalid_event"
    assert cloud.calls == []


# --- the ends of the calendar ------------------------------------------------------------------------

def test_dates_at_the_ends_of_the_calendar_parse():
    assert parse_request_value("9999-12-31T23:59:59-08:00").year == 9999
    assert parse_request_value("0001-01-01T00:00:00+01:00").year == 1


def test_a_date_past_year_9999_in_utc_is_not_due(cloud, invoke):
    cloud.add_bucket(CLEAN, REGION, tags={"ci-unbind": "9999-12-31T23:59:59-08:00"})
    result = outcome_of(invoke(manual(CLEAN)), CLEAN)
    assert result["outcome"] == "skipped" and result["reasons"][0]["code"] == "not_due"


def test_a_date_before_year_1_in_utc_is_past(cloud, invoke):
    cloud.add_bucket(CLEAN, REGION, tags={"ci-unbind": "0001-01-01T00:00:00+01:00"})
    result = outcome_of(invoke(manual(CLEAN)), CLEAN)
    assert result["outcome"] == "unbound"


# --- a listing that fails across pages names the page -----------------------------------------------

@pytest.mark.parametrize("endpoint, api", [
    ("GET /workflow", "GET /workflow"),
    ("GET /inventorytriggerjob", "GET /inventorytriggerjob?type=Workflow"),
    ("GET /mediabucket", "GET /mediabucket"),
])
def test_a_listing_broken_across_pages_reports_the_status_and_request_id(cloud, invoke, endpoint, api):
    bucket = cloud.add_bucket(CLEAN, REGION, tags={"ci-unbind": "true"})
    bucket.enable_service("media")  # something to list, so a short page is short
    bucket.add_workflow(name="w", state="Active")
    cloud.inject(endpoint, body="short_page", times=None)
    result = outcome_of(invoke(manual(CLEAN)), CLEAN)
    # Blocked by what the other lists show, or an error: never unbound on a broken listing.
    assert result["outcome"] in ("error", "blocked") and cloud.count(endpoint="PUT /?unbind") == 0
    (reason,) = [r for r in result["reasons"] if r.get("api") == api]
    assert reason["service_code"] == "MalformedResponse"
    assert reason["http_status"] == 200
    broken = [c for c in cloud.calls if c.endpoint == endpoint and c.query.get("type", "Workflow") == "Workflow"][-1]
    assert reason["request_id"] == broken.request_id
