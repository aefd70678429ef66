"""Every page is read: a blocker on a later page still blocks."""

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
    assert len([c for c in result["calls"] if c["api"] == "GET /inventorytriggerjob?type=Job"]) == 2


def test_workflow_on_a_later_page_blocks(cloud, invoke):
    b = cloud.add_bucket("wfs-1250000000", REGION, tags={"ci-unbind": "true"})
    wfs = [b.add_workflow(name=f"wf{i}", state="Active" if i else "Paused") for i in range(205)]
    result = outcome_of(invoke(manual("wfs-1250000000")), "wfs-1250000000")
    assert result["outcome"] == "blocked"
    assert {r["id"] for r in result["reasons"]} == {w.id for w in wfs}
    assert codes(result).count("workflow") == 205


def test_paging_ends_either_way(cloud, invoke):
    for end in ("empty", "absent"):
        cloud.next_token_end = end
        name = f"end-{end}-1250000000"
        b = cloud.add_bucket(name, REGION, tags={"ci-unbind": "true"})
        for _ in range(150):
            b.add_batch_job(type="Workflow", state="Success")
        assert outcome_of(invoke(manual(name), env={"CI_UNBIND_DRY_RUN": "true"}), name)["outcome"] == "would_unbind"
