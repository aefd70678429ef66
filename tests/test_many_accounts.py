"""Member accounts: roles assumed per account, shard events as workers, and one account's failing
role leaving the others' results intact. Everything runs against the fake on the HTTP layer."""

import json

import pytest

from lib.cloud import sts as roles
from tests.conftest import APPID, REGION, SECRET_ID, SECRET_KEY, TOKEN, codes, manual
from tests.org import CENTRAL_UIN, Org, add_member, member_appid, member_uin

TIMER = {"Type": "Timer", "TriggerName": "sweep-hourly", "Time": "2026-11-29T17:17:00Z", "Message": ""}


def shard(account, *buckets, index=0, of=1, **extra):
    return {**manual(*buckets), "shard": {"account": account, "coordinator_run_id": "coord-1", "index": index,
                                          "of": of}, **extra}


def test_shard_naming_an_unlisted_account_is_invalid_and_assumes_nothing(cloud):
    _, listed = add_member(cloud, 1, ["a"])
    _, unlisted = add_member(cloud, 2, ["b"])
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": listed})
    report = org(shard(unlisted, f"b-{member_appid(2)}"))
    assert report["ok"] is False and report["error"]["code"] == "invalid_event"
    assert "not listed" in report["error"]["message"]
    assert cloud.calls == [] and cloud.sts.issued == []
    assert cloud.members[member_uin(2)].bucket(f"b-{member_appid(2)}").ci_status == "on"


@pytest.mark.parametrize("block", [
    {"account": "self", "coordinator_run_id": "c", "index": 1, "of": 1},
    {"account": "self", "coordinator_run_id": "c", "index": 0},
    "self",
])
def test_malformed_shard_blocks_are_invalid_events(cloud, block):
    org = Org(cloud)
    report = org({**manual(f"x-{APPID}"), "shard": block})
    assert report["error"]["code"] == "invalid_event" and cloud.calls == []


def test_shard_worker_unbinds_a_member_bucket_with_the_member_role(cloud):
    member, arn = add_member(cloud, 1, ["clean", "blocked"])
    member.bucket(f"blocked-{member_appid(1)}").add_workflow(state="Paused")
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": arn, "TENCENTCLOUD_APPID": APPID})
    report = org(shard(arn, f"clean-{member_appid(1)}", f"blocked-{member_appid(1)}"))
    assert report["ok"] is True and report["summary"] == {"unbound": 1, "blocked": 1}
    assert report["shard"] == {"account": arn, "coordinator_run_id": "coord-1", "index": 0, "of": 1}
    assert member.bucket(f"clean-{member_appid(1)}").ci_status in ("unbinding", "off")
    # The member's calls were signed with the temporary keys STS issued for that role, no others.
    ((role_arn, tmp_id),) = cloud.sts.issued
    assert role_arn == arn and cloud.keys.get(tmp_id).account is member


def test_forged_shard_can_do_no_more_than_a_manual_event(cloud):
    """A central bucket named in a member's shard is out of that role's reach; dry_run only makes it drier."""
    cloud.add_bucket(f"central-{APPID}", REGION, tags={"ci-unbind": "true"})
    member, arn = add_member(cloud, 1, ["clean"], tags={"team": "x"})
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": arn})
    report = org(shard(arn, f"central-{APPID}", f"clean-{member_appid(1)}"))
    by_bucket = {r["bucket"]: r for r in report["results"]}
    # The member's APPID (CAM GetUserAppId with the member's keys) makes ours another account's.
    assert report["account"] == {"appid": member_appid(1), "source": "cam", "request_id": report["account"]["request_id"]}
    assert by_bucket[f"central-{APPID}"]["outcome"] == "skipped"
    assert by_bucket[f"central-{APPID}"]["reasons"][0]["code"] == "foreign_account"
    assert cloud.count(bucket=f"central-{APPID}") == 0
    assert by_bucket[f"clean-{member_appid(1)}"]["outcome"] == "skipped"  # the live tags say not requested
    assert cloud.count(endpoint="PUT /?unbind") == 0 and cloud.bucket(f"central-{APPID}").ci_status == "on"
    member.bucket(f"clean-{member_appid(1)}").tags["ci-unbind"] = "true"
    dry = org(shard(arn, f"clean-{member_appid(1)}", dry_run=True))
    assert dry["dry_run"] is True and dry["summary"] == {"would_unbind": 1}
    assert cloud.count(endpoint="PUT /?unbind") == 0


def test_member_whose_appid_cannot_be_found_unbinds_nothing(cloud):
    """Should CAM not answer for the member, ownership is unknown and nothing is unbound."""
    cloud.add_bucket(f"central-{APPID}", REGION, tags={"ci-unbind": "true"})
    _, arn = add_member(cloud, 1, ["clean"])
    cloud.inject("cam:GetUserAppId", code="InternalError")
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": arn})
    report = org(shard(arn, f"central-{APPID}", f"clean-{member_appid(1)}"))
    assert report["ok"] is False and report["account"]["appid"] is None
    by_bucket = {r["bucket"]: r for r in report["results"]}
    assert by_bucket[f"clean-{member_appid(1)}"]["outcome"] == "error"
    assert "appid_unknown" in codes(by_bucket[f"clean-{member_appid(1)}"])
    assert "appid_unknown" in codes(by_bucket[f"central-{APPID}"])
    assert cloud.count(endpoint="PUT /?unbind") == 0


def test_shard_whose_role_cannot_be_assumed_is_an_error_and_calls_nothing_else(cloud):
    _, arn = add_member(cloud, 1, ["a"], trusted=("999999999",))
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": arn})
    report = org(shard(arn, f"a-{member_appid(1)}"))
    assert report["ok"] is False and report["error"]["code"] == "assume_role_failed"
    assert report["error"]["service_code"] == "UnauthorizedOperation" and report["error"]["request_id"]
    assert report["shard"]["account"] == arn and report["results"] == []
    assert cloud.counts_by_endpoint() == {"sts:AssumeRole": 1}


def test_one_failing_role_leaves_the_other_accounts_results_intact(cloud):
    cloud.add_bucket(f"own-{APPID}", REGION, tags={"ci-unbind": "true"})
    _, good = add_member(cloud, 1, ["m1"])
    _, missing = add_member(cloud, 2, ["m2"])
    del cloud.sts.roles[missing]  # the member never created the role
    _, untrusting = add_member(cloud, 3, ["m3"], trusted=("123456789",))
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": f"{good},{missing},{untrusting}"})
    report = org(TIMER)
    assert report["ok"] is False
    accounts = {a["account"]: a for a in report["accounts"]}
    assert accounts["self"]["ok"] and accounts[good]["ok"]
    assert accounts[missing]["error"]["service_code"] == "ResourceNotFound.RoleNotFound"
    assert accounts[untrusting]["error"]["service_code"] == "UnauthorizedOperation"
    assert {(r["account"], r["bucket"], r["outcome"]) for r in report["results"]} == {
        ("self", f"own-{APPID}", "unbound"), (good, f"m1-{member_appid(1)}", "unbound")}
    assert cloud.members[member_uin(2)].bucket(f"m2-{member_appid(2)}").ci_status == "on"


def test_per_run_cap_is_shared_by_the_accounts_of_one_sweep(cloud):
    _, a1 = add_member(cloud, 1, [f"b{i}" for i in range(3)])
    _, a2 = add_member(cloud, 2, [f"c{i}" for i in range(3)])
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": f"{a1},{a2}", "CI_UNBIND_MAX_PER_RUN": "4"})
    report = org(TIMER)
    assert report["summary"] == {"unbound": 4, "deferred": 2}
    assert cloud.count(endpoint="PUT /?unbind") == 4
    # Each account's part is a run of its own id, tied to this one in the log.
    runs = [line["run_id"] for line in org.lines if line["msg"] == "run"]
    assert runs == ["req-test-0001.0", "req-test-0001.1", "req-test-0001.2"]
    (tie,) = [line for line in org.lines if line["msg"] == "accounts"]
    assert tie["run_id"] == report["run_id"] == "req-test-0001" and [a["buckets"] for a in tie["accounts"]] == [0, 3, 3]


def test_temporary_keys_never_reach_the_report_or_the_logs(cloud):
    _, arn = add_member(cloud, 1, ["a"])
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": arn})
    reports = [org(TIMER), org(shard(arn, f"a-{member_appid(1)}"))]
    text = json.dumps(reports) + org.stream.getvalue()
    for secret_id, key in ((i, cloud.keys.get(i)) for _, i in cloud.sts.issued):
        for value in (secret_id, key.secret_key, key.token):
            assert value not in text
    for value in (SECRET_ID, SECRET_KEY, TOKEN):
        assert value not in text


def test_assumed_keys_are_reused_until_close_to_expiry(cloud):
    _, arn = add_member(cloud, 1, ["a"])
    org = Org(cloud, {"CI_UNBIND_ACCOUNTS": arn})
    # Only the container's sense of time moves; the keys themselves stay valid at the fake.
    now = [0.0]
    roles.CACHE._clock = lambda: roles.time.time() + now[0]
    try:
        for _ in range(3):
            assert org(shard(arn, f"a-{member_appid(1)}"))["ok"]
        assert cloud.count(endpoint="sts:AssumeRole") == 1
        # 7,200 s keys, a 60 s time limit: renewed once fewer than 180 s would remain.
        now[0] += 7200 - 190
        assert org(shard(arn, f"a-{member_appid(1)}"))["ok"]
        assert cloud.count(endpoint="sts:AssumeRole") == 1
        now[0] += 12
        assert org(shard(arn, f"a-{member_appid(1)}"))["ok"]
        assert cloud.count(endpoint="sts:AssumeRole") == 2
    finally:
        roles.CACHE._clock = roles.time.time
        roles.CACHE.clear()


def test_duration_covers_the_time_limit():
    assert roles.duration_for(900) == 7200 and roles.duration_for(None) == 7200
    assert roles.duration_for(86400) == 43200 and roles.duration_for(10000) == 10240


def test_central_uin_constant_matches_the_fake():
    assert CENTRAL_UIN == "100000000001"
