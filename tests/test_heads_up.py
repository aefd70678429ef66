"""Heads-up: on the sweep, a request that falls due within CI_UNBIND_NOTICE_DAYS is checked
read-only (status and blockers) so its owners can clear blockers in time. It never unbinds."""

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.buckets import BucketRef
from lib.cloud.errors import ApiError
from lib.decide import NEED_BLOCKERS, NEED_SLOT, NEED_STATUS, UNBIND, Decision, Facts, Need, decide
from lib.settings import Settings
from tests.conftest import manual, outcome_of

TIMER = {"Type": "Timer"}


def day(offset: int) -> str:
    return (datetime.now(timezone.utc).date() + timedelta(days=offset)).isoformat()


def tagged(cloud, name, value, **kw):
    return cloud.add_bucket(name, "ap-guangzhou", tags={"ci-unbind": value}, **kw)


def test_a_clean_bucket_due_soon_would_unbind_and_is_not_touched_in_live_mode(cloud, invoke):
    tagged(cloud, "soon-1250000000", day(1))
    robot = cloud.add_robot("wecom")
    report = invoke(TIMER, env={"CI_UNBIND_NOTIFY_URL": robot.url})
    assert report["dry_run"] is False
    result = outcome_of(report, "soon-1250000000")
    assert result["outcome"] == "skipped"
    assert result["reasons"] == [{"code": "not_due", "not_before": f"{day(1)}T00:00:00Z", "heads_up": "would_unbind"}]
    assert cloud.count(endpoint="PUT /?unbind") == 0 and cloud.bucket("soon-1250000000").ci_status == "on"
    assert {c.endpoint for c in cloud.calls if c.bucket == "soon-1250000000"} >= {
        "GET /?tagging", "GET /", "GET /workflow", "GET /inventorytriggerjob"}  # read, never written
    assert f"due on {day(1)}: would unbind" in robot.last.text


def test_a_blocked_bucket_due_soon_lists_its_blockers_with_a_console_link(cloud, invoke):
    tagged(cloud, "soon-1250000000", day(2)).add_workflow(name="thumbs", state="Active", id="w" + "1" * 32)
    robot = cloud.add_robot("dingtalk")
    report = invoke(TIMER, env={"CI_UNBIND_NOTIFY_URL": robot.url})
    result = outcome_of(report, "soon-1250000000")
    assert result["outcome"] == "skipped" and result["reasons"][0]["heads_up"] == "blocked"
    assert {"code": "workflow", "id": "w" + "1" * 32, "name": "thumbs", "state": "Active"}.items() <= \
        result["reasons"][1].items()
    assert f"due on {day(2)}: blocked by" in robot.last.text and "workflow thumbs" in robot.last.text
    assert "console.cloud.tencent.com/ci/bucket?bucket=soon-1250000000&region=ap-guangzhou" in robot.last.text


def test_a_heads_up_takes_no_place_under_the_cap(cloud, invoke):
    # One at a time, the heads-up first (the sweep goes in name order): were it to take the run's
    # only place, the bucket after it could not be unbound.
    tagged(cloud, "a-soon-1250000000", day(1))
    tagged(cloud, "b-now-1250000000", "true")
    report = invoke(TIMER, env={"CI_UNBIND_MAX_PER_RUN": "1", "CI_UNBIND_CONCURRENCY": "1"})
    assert [r["bucket"] for r in report["results"]] == ["a-soon-1250000000", "b-now-1250000000"]
    assert outcome_of(report, "a-soon-1250000000")["reasons"][0]["heads_up"] == "would_unbind"
    assert outcome_of(report, "b-now-1250000000")["outcome"] == "unbound"
    assert cloud.count(endpoint="PUT /?unbind") == 1


def test_already_off_and_failed_checks_are_said_as_such(cloud, invoke):
    tagged(cloud, "off-1250000000", day(1), ci_status="off")
    tagged(cloud, "flaky-1250000000", day(1))
    cloud.inject("GET /workflow", status=503, bucket="flaky-1250000000")
    report = invoke(TIMER)
    assert outcome_of(report, "off-1250000000")["reasons"] == [
        {"code": "not_due", "not_before": f"{day(1)}T00:00:00Z", "heads_up": "not_bound"}]
    flaky = outcome_of(report, "flaky-1250000000")
    assert flaky["outcome"] == "skipped" and flaky["reasons"][0]["heads_up"] == "unknown"
    assert flaky["reasons"][1]["code"] == "api_error" and flaky["reasons"][1]["http_status"] == 503
    assert cloud.count(endpoint="PUT /?unbind") == 0


def test_only_within_the_notice_days_and_only_on_the_sweep(cloud, invoke):
    tagged(cloud, "later-1250000000", day(5))
    tagged(cloud, "soon-1250000000", day(1))
    def asked(bucket):
        return {c.endpoint for c in cloud.calls if c.bucket == bucket}

    report = invoke(TIMER)
    assert outcome_of(report, "later-1250000000")["reasons"] == [
        {"code": "not_due", "not_before": f"{day(5)}T00:00:00Z"}]
    assert asked("later-1250000000") == {"GET /?tagging"}
    assert "heads_up" in outcome_of(report, "soon-1250000000")["reasons"][0]

    cloud.clear_calls()
    report = invoke(TIMER, env={"CI_UNBIND_NOTICE_DAYS": "0"})
    assert "heads_up" not in outcome_of(report, "soon-1250000000")["reasons"][0]
    assert asked("soon-1250000000") == {"GET /?tagging"}
    cloud.clear_calls()
    report = invoke(manual("soon-1250000000"))
    assert asked("soon-1250000000") == {"GET /?tagging"}
    assert cloud.count(endpoint="PUT /?unbind") == 0


NOW = datetime(2026, 11, 29, 17, 0, tzinfo=timezone.utc)
REF = BucketRef("ap-guangzhou", "soon-1250000000")
_err = st.builds(lambda s: ApiError(api="GET /", http_status=s, code="X"), st.sampled_from([403, 500, 503]))


@settings(max_examples=150, deadline=None)
@given(hours_ahead=st.integers(1, 72), status=st.sampled_from([None, "on", "off", "unbinding", "weird"]),
       status_error=st.none() | _err, blockers=st.none() | st.lists(st.just({"code": "workflow", "id": "w"}), max_size=2),
       check_errors=st.lists(_err, max_size=2), dry_run=st.booleans(), slot=st.sampled_from([None, "granted"]))
def test_a_heads_up_never_unbinds_never_takes_a_slot(hours_ahead, status, status_error, blockers, check_errors,
                                                       dry_run, slot):
    due = NOW + timedelta(hours=hours_ahead)
    facts = Facts(ref=REF, tags={"ci-unbind": due.isoformat()}, status=status, status_error=status_error,
                  blockers=blockers, check_errors=check_errors, slot=slot, heads_up=timedelta(days=3))
    answer = decide(facts, Settings(), NOW, dry_run)
    if isinstance(answer, Need):
        assert answer.what in (NEED_STATUS, NEED_BLOCKERS) and answer.what != NEED_SLOT
    else:
        assert isinstance(answer, Decision) and answer.action != UNBIND and answer.outcome == "skipped"
        assert answer.reasons[0]["code"] == "not_due" and answer.reasons[0]["heads_up"] in (
            "would_unbind", "blocked", "not_bound", "unbinding", "unknown")
