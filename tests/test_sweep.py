"""The timer sweep: discovery through the Tag API, the bounded pool, the cap and the time budget."""

from collections import Counter, defaultdict

import pytest

from lib.cloud.ci import query_groups
from tests.conftest import REGION, codes, load_event

TIMER = load_event("timer.json")

# One bucket of each kind, cycled; the outcome each kind gets when nothing caps the run.
KINDS = [
    ("clean", "unbound"),
    ("workflow", "blocked"),
    ("batch", "blocked"),
    ("service", "blocked"),
    ("protected", "skipped"),
    ("false", "skipped"),
    ("not_due", "skipped"),
    ("off", "not_bound"),
    ("review", "refused"),
]


def populate(cloud, n, regions=(REGION,)):
    """n tagged buckets of mixed kinds; returns {bucket: kind}."""
    made = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)][0]
        name = f"s{i:05d}-{kind.replace('_', '')}-1250000000"
        tags = {"ci-unbind": "true"}
        if kind == "protected":
            tags["ci-unbind-protect"] = "1"
        elif kind == "false":
            tags = {"ci-unbind": "false"}
        elif kind == "not_due":
            tags = {"ci-unbind": "2999-12-31"}
        b = cloud.add_bucket(name, regions[i % len(regions)], tags=tags,
                             ci_status="off" if kind == "off" else "on")
        if kind == "workflow":
            b.add_workflow(name="wf", state="Paused")
        elif kind == "batch":
            b.add_batch_job(type="Job", state="Running")
        elif kind == "service":
            b.enable_service("media")
        elif kind == "review":
            b.hidden.add("historical_review")
        made[name] = kind
    return made


def expected(made):
    outcomes = dict(KINDS)
    return dict(Counter(outcomes[k] for k in made.values()))


@pytest.mark.parametrize("n", [0, 1, 250])
def test_sweep_summaries(cloud, invoke, n):
    made = populate(cloud, n)
    report = invoke(TIMER, env={"CI_UNBIND_MAX_PER_RUN": "1000"})
    assert report["ok"] is True and report["trigger"] == "timer"
    assert report["summary"] == expected(made)
    assert [r["bucket"] for r in report["results"]] == sorted(made)  # each once, stable order
    assert report["discovery"]["buckets"] == n
    # Service lists are asked once per group of buckets (as many as one query holds), not per bucket.
    assert cloud.count(endpoint="GET /mediabucket") == (len(query_groups(REGION, sorted(made))) if n else 0)


@pytest.mark.slow
def test_sweep_of_2000_buckets(cloud, invoke):
    made = populate(cloud, 2000, regions=(REGION, "ap-beijing", "ap-shanghai"))
    report = invoke(TIMER, env={"CI_UNBIND_MAX_PER_RUN": "50", "CI_UNBIND_DRY_RUN": "true"},
                    context={"request_id": "sweep-2000", "time_limit_in_ms": 900000})
    # A dry run cannot see the hidden review configurations that make the service refuse, so those
    # buckets would be unbound too; the cap takes 50 of them. Once it is full with nothing pending,
    # every bucket not yet started is deferred without a call, whatever it would have been.
    want = {**dict(KINDS), "clean": "would_unbind", "review": "would_unbind"}
    assert report["summary"]["would_unbind"] == 50
    assert sorted(r["bucket"] for r in report["results"]) == sorted(made)
    calls = {line["bucket"]: line["calls"] for line in invoke.lines if line["msg"] == "bucket"}
    unstarted = 0
    for r in report["results"]:
        if r["outcome"] == "deferred":
            assert codes(r) == ["max_per_run"]
            if want[made[r["bucket"]]] != "would_unbind":
                assert calls[r["bucket"]] == []
            unstarted += not calls[r["bucket"]]
        else:
            assert r["outcome"] == want[made[r["bucket"]]]
    assert unstarted > 1000  # the first region has no eligible bucket; the cap fills early in the second
    assert cloud.count(endpoint="GET /?tagging") == 2000 - unstarted
    # Service lists are asked per region for as many buckets as one query holds, not per bucket,
    # and only for the groups the run reached before its cap was full.
    by_region = defaultdict(list)
    for r in sorted(report["results"], key=lambda r: (r["region"], r["bucket"])):
        by_region[r["region"]].append(r["bucket"])
    groups = sum(len(query_groups(region, names)) for region, names in by_region.items())
    assert groups < 2000 / 20
    assert 0 < cloud.count(endpoint="GET /mediabucket") < groups


def test_per_run_cap_is_exact_under_concurrency(cloud, invoke):
    for i in range(40):
        cloud.add_bucket(f"c{i:02d}-1250000000", REGION, tags={"ci-unbind": "true"})
    report = invoke(TIMER, env={"CI_UNBIND_MAX_PER_RUN": "7", "CI_UNBIND_CONCURRENCY": "8"})
    assert report["summary"] == {"unbound": 7, "deferred": 33}
    assert cloud.count(endpoint="PUT /?unbind") == 7
    assert all(codes(r) == ["max_per_run"] for r in report["results"] if r["outcome"] == "deferred")


def test_regions_outside_the_list_are_skipped_without_ci_calls(cloud, invoke):
    cloud.add_bucket("here-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_bucket("there-1250000000", "ap-beijing", tags={"ci-unbind": "true"})
    report = invoke(TIMER, env={"CI_UNBIND_REGIONS": REGION})
    assert report["summary"] == {"unbound": 1, "skipped": 1}
    assert not [c for c in cloud.calls if c.region == "ap-beijing"]


def test_other_services_resources_are_ignored(cloud, invoke):
    cloud.add_bucket("only-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_other_resource("qcs::cvm:ap-guangzhou:uin/100000000001:instance/ins-1", {"ci-unbind": "true"})
    cloud.add_other_resource("qcs::cdb:ap-guangzhou:uin/100000000001:instanceId/cdb-1", {"ci-unbind": "true"})
    report = invoke(TIMER)
    assert [r["bucket"] for r in report["results"]] == ["only-1250000000"]
    assert report["discovery"]["resources"] == 3


def test_tag_api_paging(cloud, invoke):
    for i in range(450):  # three pages of 200
        cloud.add_bucket(f"p{i:03d}-1250000000", REGION, tags={"ci-unbind": "false"})
    report = invoke(TIMER)
    assert report["summary"] == {"skipped": 450}
    assert cloud.count(endpoint="tag:GetResources") == 3


@pytest.mark.parametrize("fault", [dict(status=500, code="InternalError"),
                                   dict(code="AuthFailure.SignatureFailure"),
                                   dict(connection_error=True)])
def test_tag_api_failure_unbinds_nothing(cloud, invoke, fault):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("tag:GetResources", times=None, **fault)
    report = invoke(TIMER)
    assert report["ok"] is False and report["error"]["code"] == "discovery_failed"
    assert report["results"] == []
    assert cloud.count(endpoint="PUT /?unbind") == 0
    assert [c.endpoint for c in cloud.calls if c.endpoint != "tag:GetResources"] == []


def test_tag_api_failure_on_a_later_page_unbinds_nothing(cloud, invoke):
    for i in range(250):
        cloud.add_bucket(f"q{i:03d}-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("tag:GetResources", status=500, code="InternalError", times=None, after=1)
    report = invoke(TIMER)
    assert report["ok"] is False and cloud.count(endpoint="PUT /?unbind") == 0


class CallClock:
    """Simulated time: one second per HTTP call the fake has answered. No sleeping."""

    def __init__(self, cloud):
        self.cloud = cloud

    def __call__(self):
        return float(len(self.cloud.calls))


def test_deadline_defers_buckets_that_would_start_after_it(cloud, invoke):
    for i in range(6):
        cloud.add_bucket(f"d{i}-1250000000", REGION, tags={"ci-unbind": "false"})
    # Each bucket tagged false costs one call, discovery one more.
    report = invoke(TIMER, env={"CI_UNBIND_CONCURRENCY": "1"}, clock=CallClock(cloud),
                    context={"request_id": "r", "time_limit_in_ms": 8000})
    # 8 s limit, 5 s margin: deadline after 3 calls -> discovery + 2 buckets, the rest deferred.
    assert report["summary"] == {"skipped": 2, "deferred": 4}
    deferred = [r for r in report["results"] if r["outcome"] == "deferred"]
    logged = {line["bucket"]: line["calls"] for line in invoke.lines if line["msg"] == "bucket"}
    assert all(codes(r) == ["deadline"] and logged[r["bucket"]] == [] for r in deferred)


def test_unbind_in_flight_at_the_deadline_is_finished_and_verified(cloud, invoke):
    cloud.add_bucket("a-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.add_bucket("b-1250000000", REGION, tags={"ci-unbind": "true"})
    # Calls for bucket a: discovery 1, tags 1, status 1, workflows 1, batch jobs 2, services 6 = 12,
    # then the slot is taken at 12 simulated seconds; deadline 13 (18 s limit, 5 s margin): the PUT
    # (13th call) passes the deadline, and a is still verified; b starts after it and is deferred.
    report = invoke(TIMER, env={"CI_UNBIND_CONCURRENCY": "1"}, clock=CallClock(cloud),
                    context={"request_id": "r", "time_limit_in_ms": 18000})
    assert [r["outcome"] for r in report["results"]] == ["unbound", "deferred"]
    assert [c["api"] for c in invoke.calls(report["results"][0]["bucket"])][-2:] == ["PUT /?unbind", "GET /"]


def test_a_bucket_listed_twice_is_evaluated_once(cloud, invoke):
    cloud.add_bucket("dup-1250000000", REGION, tags={"ci-unbind": "true"}, tag_resource_form=1)
    # The same bucket again, in the other six-segment form, as a second tagged resource.
    cloud.add_other_resource("qcs::cos:ap-guangzhou:uid/1250000000:prefix//1250000000/dup", {"ci-unbind": "true"})
    report = invoke(TIMER)
    assert report["discovery"] == {**report["discovery"], "resources": 2, "buckets": 1}
    assert [r["bucket"] for r in report["results"]] == ["dup-1250000000"]
    assert cloud.count(endpoint="GET /?tagging") == 1 and cloud.count(endpoint="PUT /?unbind") == 1


def test_unparsable_cos_resources_are_reported_not_evaluated(cloud, invoke):
    cloud.add_other_resource("qcs::cos:ap-guangzhou:uid/1250000000:prefix/Bad.Name", {"ci-unbind": "true"})
    report = invoke(TIMER)
    assert report["ok"] is True and report["results"] == []
    assert report["discovery"]["ignored"][0]["resource"].endswith("Bad.Name")
    assert [c.endpoint for c in cloud.calls] == ["tag:GetResources"]


def test_run_log_line_counts_every_http_call_once(cloud, invoke):
    for i in range(5):
        cloud.add_bucket(f"n{i}-1250000000", REGION, tags={"ci-unbind": "true"})
    report = invoke(TIMER)
    (line,) = [line for line in invoke.lines if line["msg"] == "run"]
    assert line["calls"] == len(cloud.calls)
    assert line["summary"] == report["summary"] == {"unbound": 5}
    assert line["elapsed_ms"] == report["elapsed_ms"] >= 0 and line["buckets"] == 5
