"""Every page is read: a blocker on a later page still blocks."""

import pytest

from tests.conftest import REGION, codes, manual, outcome_of


def test_running_job_type_batch_job_on_the_second_page_blocks(cloud, invoke):
    b = cloud.add_bucket("jobs-1250000000", REGION, tags={"ci-unbind": "true"})
    # Listed newest first: the running job, created first, lands on page 2 behind 100 others.
    running = b.add_batch_job(type="Job", state="Running", name="the-old-one")
    for i in range(100):
        b.add_batch_job(type="Job", state="Submitted", name=f"newer-{i}")
    result = outcome_of(invoke(manual("jobs-1250000000")), "jobs-1250000000")
    assert result["outcome"] == "blocked"
    assert running.id in {r.get("id") for r in result["reasons"]}
    calls = invoke.calls("jobs-1250000000")
    assert len([c for c in calls if c["api"] == "GET /inventorytriggerjob?type=Job"]) == 2


def test_workflow_on_a_later_page_blocks(cloud, invoke):
    b = cloud.add_bucket("wfs-1250000000", REGION, tags={"ci-unbind": "true"})
    wfs = [b.add_workflow(name=f"wf{i}", state="Active" if i else "Paused") for i in range(205)]
    result = outcome_of(invoke(manual("wfs-1250000000")), "wfs-1250000000")
    assert result["outcome"] == "blocked"
    assert {r["id"] for r in result["reasons"]} == {w.id for w in wfs}
    assert codes(result).count("workflow") == 205


@pytest.mark.parametrize("end", ["empty", "absent"])
def test_paging_ends_either_way(cloud, invoke, end):
    cloud.next_token_end = end
    cloud.honour_states_filter = False  # finished jobs are listed too and fill the pages
    b = cloud.add_bucket("ends-1250000000", REGION, tags={"ci-unbind": "true"})
    for _ in range(250):
        b.add_batch_job(type="Workflow", state="Success")
    result = outcome_of(invoke(manual("ends-1250000000"), env={"CI_UNBIND_DRY_RUN": "true"}), "ends-1250000000")
    assert result["outcome"] == "would_unbind"
    calls = invoke.calls("ends-1250000000")
    assert [c["api"] for c in calls].count("GET /inventorytriggerjob?type=Workflow") == 3


def test_running_job_behind_finished_ones_blocks(cloud, invoke):
    cloud.honour_states_filter = False
    b = cloud.add_bucket("mixed-1250000000", REGION, tags={"ci-unbind": "true"})
    running = b.add_batch_job(type="Job", state="Running")
    for _ in range(150):
        b.add_batch_job(type="Job", state="Success")
    result = outcome_of(invoke(manual("mixed-1250000000")), "mixed-1250000000")
    assert result["outcome"] == "blocked" and [r["id"] for r in result["reasons"]] == [running.id]


def test_enabled_service_on_a_later_page_blocks(cloud, invoke):
    # If the service ignored bucketNames, the list would hold every bucket with the service on:
    # the bucket asked about may then be on page 3, and must still be found.
    cloud.honour_bucket_names = False
    for i in range(250):
        cloud.add_bucket(f"a{i:03d}-1250000000", REGION).enable_service("media")
    cloud.add_bucket("zz-target-1250000000", REGION, tags={"ci-unbind": "true"}).enable_service("media")
    result = outcome_of(invoke(manual("zz-target-1250000000")), "zz-target-1250000000")
    assert result["outcome"] == "blocked" and codes(result) == ["service_enabled"]
    assert cloud.count(endpoint="GET /mediabucket") == 3
