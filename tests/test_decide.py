"""The decision as a table: facts in, outcome and reasons out, in docs/design.md's order."""

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.buckets import BucketRef
from lib.cloud.errors import ApiError
from lib.decide import (
    CAP,
    DEADLINE,
    GRANTED,
    UNBIND,
    Decision,
    Facts,
    Need,
    after_unbind,
    decide,
    parse_request_value,
)
from lib.settings import Settings

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
REF = BucketRef("ap-guangzhou", "demo-1250000000")
WF = {"code": "workflow", "id": "w1", "name": "n", "state": "Paused"}
JOB = {"code": "batch_job", "id": "b1", "name": "n", "type": "Job", "state": "Running"}
SVC = {"code": "service_enabled", "service": "media"}
ERR = ApiError(api="GET /workflow", http_status=503, code="ServiceUnavailable", message="m", request_id="r1")


def facts(**kw):
    base = dict(ref=REF, tags={"ci-unbind": "true"}, status="on", blockers=[], slot=GRANTED)
    base.update(kw)
    return Facts(**base)


S = Settings()
TABLE = [
    # (name, settings, facts, dry_run, outcome, first reason code)
    ("region excluded", Settings(regions=frozenset({"ap-beijing"})), facts(), False, "skipped", "region_excluded"),
    ("foreign account", Settings(appid="1300000000"), facts(), False, "skipped", "foreign_account"),
    ("started after deadline", S, facts(started_after_deadline=True), False, "deferred", "deadline"),
    ("tags unreadable", S, facts(tags=None, tags_error=ERR), False, "error", "api_error"),
    ("untagged", S, facts(tags={}), False, "skipped", "not_requested"),
    ("tag value false", S, facts(tags={"ci-unbind": "false"}), False, "skipped", "not_requested"),
    ("tag value garbage", S, facts(tags={"ci-unbind": "soon"}), False, "skipped", "not_requested"),
    ("protected", S, facts(tags={"ci-unbind": "true", "ci-unbind-protect": ""}), False, "skipped", "protected"),
    ("protected beats not due", S, facts(tags={"ci-unbind": "2099-01-01", "ci-unbind-protect": "x"}), False,
     "skipped", "protected"),
    ("not due", S, facts(tags={"ci-unbind": "2026-11-29"}), False, "skipped", "not_due"),
    ("due date passed", S, facts(tags={"ci-unbind": "2026-11-28"}), True, "would_unbind", "dry_run"),
    ("TRUE any case", S, facts(tags={"ci-unbind": "TRUE"}), True, "would_unbind", "dry_run"),
    ("status unreadable", S, facts(status=None, status_error=ERR), False, "error", "api_error"),
    ("not bound", S, facts(status="off"), False, "not_bound", "ci_status"),
    ("unbinding", S, facts(status="unbinding"), False, "unbinding", "ci_status"),
    ("unknown status", S, facts(status="weird"), False, "error", "unknown_status"),
    ("workflow", S, facts(blockers=[WF]), False, "blocked", "workflow"),
    ("batch job", S, facts(blockers=[JOB]), False, "blocked", "batch_job"),
    ("service", S, facts(blockers=[SVC]), False, "blocked", "service_enabled"),
    ("blocked even if a check failed", S, facts(blockers=[WF], check_errors=[ERR]), False, "blocked", "workflow"),
    ("failed check", S, facts(check_errors=[ERR]), False, "error", "api_error"),
    ("over the cap", S, facts(slot=CAP), False, "deferred", "max_per_run"),
    ("past the deadline", S, facts(slot=DEADLINE), False, "deferred", "deadline"),
    ("dry run", S, facts(), True, "would_unbind", "dry_run"),
]


@pytest.mark.parametrize("name,settings,f,dry_run,outcome,code", TABLE, ids=[t[0] for t in TABLE])
def test_decision_table(name, settings, f, dry_run, outcome, code):
    decision = decide(f, settings, NOW, dry_run)
    assert isinstance(decision, Decision)
    assert decision.outcome == outcome
    assert decision.reasons[0]["code"] == code
    assert decision.action is None


def test_live_run_asks_to_unbind():
    decision = decide(facts(), S, NOW, dry_run=False)
    assert decision == Decision("unbind", (), action=UNBIND)


def test_every_blocker_is_reported():
    decision = decide(facts(blockers=[WF, JOB, SVC], check_errors=[ERR]), S, NOW, False)
    assert [r["code"] for r in decision.reasons] == ["workflow", "batch_job", "service_enabled", "api_error"]
    assert decision.reasons[-1]["request_id"] == "r1"


@pytest.mark.parametrize("missing,need", [
    (dict(tags=None), "tags"), (dict(status=None), "status"), (dict(blockers=None), "blockers"),
    (dict(slot=None), "slot"),
])
def test_asks_for_the_next_fact_in_order(missing, need):
    assert decide(facts(**missing), S, NOW, False) == Need(need)


def test_untagged_bucket_needs_no_ci_call():
    # With no request tag the decision settles before it asks for the CI status.
    assert decide(facts(tags={}, status=None, blockers=None, slot=None), S, NOW, False).outcome == "skipped"


def test_custom_tag_keys():
    settings = Settings(tag_key="release-ci", protect_tag_key="keep-ci")
    assert decide(facts(tags={"ci-unbind": "true"}), settings, NOW, True).reasons[0]["code"] == "not_requested"
    assert decide(facts(tags={"release-ci": "true"}), settings, NOW, True).outcome == "would_unbind"
    assert decide(facts(tags={"release-ci": "true", "keep-ci": "1"}), settings, NOW, True).outcome == "skipped"


@pytest.mark.parametrize("value,expected", [
    ("true", True), (" True ", True), ("TRUE", True),
    ("2026-12-01", datetime(2026, 12, 1, tzinfo=timezone.utc)),
    ("2026-12-01T08:00:00", datetime(2026, 12, 1, 8, tzinfo=timezone.utc)),
    ("2026-12-01T08:00:00Z", datetime(2026, 12, 1, 8, tzinfo=timezone.utc)),
    ("2026-12-01T08:00:00+08:00", datetime(2026, 12, 1, 0, tzinfo=timezone.utc)),
    ("2026-12-01 08:00", datetime(2026, 12, 1, 8, tzinfo=timezone.utc)),
    ("2026-12-01T08:00:00.5-01:30", datetime(2026, 12, 1, 9, 30, 0, 500000, tzinfo=timezone.utc)),
    ("false", None), ("", None), ("yes", None), ("2026-13-01", None), ("1", None), ("tomorrow", None),
    ("20261201", None), ("2026-W48", None), ("2026-12-01T08", None), ("2026-12-01+08:00", None),
    ("2026-02-30", None), ("2026-12-01T25:00", None), ("2026-12-01T08:00+24:00", None),
])
def test_request_value(value, expected):
    assert parse_request_value(value) == expected


def test_date_in_a_zone_compares_as_an_instant():
    # 2026-11-28T19:00+08:00 is 11:00 UTC, an hour before NOW: due.
    f = facts(tags={"ci-unbind": "2026-11-28T19:00:00+08:00"})
    assert decide(f, S, NOW, True).outcome == "would_unbind"
    f = facts(tags={"ci-unbind": "2026-11-28T21:00:00+08:00"})
    assert decide(f, S, NOW, True).reasons[0] == {"code": "not_due", "not_before": "2026-11-28T13:00:00Z"}


@pytest.mark.parametrize("status,error,outcome", [
    ("unbinding", None, "unbound"), ("off", None, "unbound"), ("on", None, "error"), (None, ERR, "error"),
])
def test_after_unbind(status, error, outcome):
    decision = after_unbind("put-rid", status, error)
    assert decision.outcome == outcome
    assert decision.reasons[0] == {"code": "unbind_accepted", "request_id": "put-rid"}


@given(value=st.text(max_size=40))
def test_request_value_never_raises(value):
    result = parse_request_value(value)
    assert result is None or result is True or result.tzinfo is not None


_tags = st.dictionaries(st.sampled_from(["ci-unbind", "ci-unbind-protect", "other"]),
                        st.sampled_from(["true", "false", "2020-01-01", "2099-01-01", "", "x"]))


@given(tags=_tags, status=st.sampled_from(["on", "off", "unbinding", "??"]),
       blockers=st.lists(st.sampled_from([WF, JOB, SVC]), max_size=3),
       errors=st.lists(st.just(ERR), max_size=2), slot=st.sampled_from([GRANTED, CAP, DEADLINE]),
       dry_run=st.booleans())
def test_unbind_only_when_everything_allows_it(tags, status, blockers, errors, slot, dry_run):
    """Fail closed, as a property: an unbind needs every one of the conditions, never fewer."""
    decision = decide(Facts(ref=REF, tags=tags, status=status, blockers=blockers, check_errors=errors,
                            slot=slot), S, NOW, dry_run)
    acted = decision.outcome in ("unbind", "would_unbind")
    allowed = (tags.get("ci-unbind") in ("true", "2020-01-01") and "ci-unbind-protect" not in tags
               and status == "on" and not blockers and not errors and slot == GRANTED)
    assert acted == allowed
    if acted:
        assert (decision.action == UNBIND) == (not dry_run)
