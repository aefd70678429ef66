"""Whose buckets: TENCENTCLOUD_APPID, else CAM GetUserAppId once per container; unknown = no unbind."""

import pytest

from lib import invocation
from lib.cloud import cam as account
from lib.ops.output import table
from tests.conftest import APPID, BASE_ENV, CONTEXT, Invoker, codes, manual, outcome_of

OTHER = "other-bucket-1300000000"
MINE = "mine-1250000000"


@pytest.fixture
def no_appid_invoke(cloud):
    """The function outside SCF, or on a runtime that does not inject TENCENTCLOUD_APPID."""
    invoker = Invoker()
    invoker.env.pop("TENCENTCLOUD_APPID")
    return invoker


def add_buckets(cloud):
    cloud.add_bucket(MINE, "ap-guangzhou", tags={"ci-unbind": "true"})
    cloud.add_bucket(OTHER, "ap-guangzhou", tags={"ci-unbind": "true"})


def test_without_the_setting_the_appid_comes_from_cam(cloud, no_appid_invoke):
    add_buckets(cloud)
    report = no_appid_invoke(manual(MINE, OTHER))
    assert report["account"]["appid"] == APPID and report["account"]["source"] == "cam"
    assert report["account"]["request_id"].startswith("fakereq")
    assert cloud.count(endpoint="cam:GetUserAppId") == 1
    # The other-account check is on: the bucket of another APPID is left alone.
    assert outcome_of(report, OTHER)["outcome"] == "skipped"
    assert codes(outcome_of(report, OTHER)) == ["foreign_account"]
    assert outcome_of(report, MINE)["outcome"] == "unbound"
    assert cloud.count(endpoint="PUT /?unbind", bucket=OTHER) == 0


def test_with_the_setting_cam_is_not_asked(cloud, invoke):
    add_buckets(cloud)
    report = invoke(manual(MINE, OTHER))
    assert report["account"] == {"appid": APPID, "source": "settings"}
    assert cloud.count(endpoint="cam:GetUserAppId") == 0
    assert codes(outcome_of(report, OTHER)) == ["foreign_account"]


@pytest.mark.parametrize("fault", [
    {"code": "AuthFailure.UnauthorizedOperation"},
    {"status": 500},
    {"body": "malformed"},
    {"connection_error": True},
])
def test_unknown_appid_unbinds_nothing(cloud, no_appid_invoke, fault):
    add_buckets(cloud)
    cloud.inject("cam:GetUserAppId", times=None, **fault)
    report = no_appid_invoke(manual(MINE, OTHER))
    assert report["ok"] is False
    assert report["account"]["appid"] is None and report["account"]["source"] == "unknown"
    assert report["account"]["error"]["api"] == "cam:GetUserAppId"
    for bucket in (MINE, OTHER):
        result = outcome_of(report, bucket)
        assert result["outcome"] == "error" and codes(result) == ["appid_unknown"]
        assert "TENCENTCLOUD_APPID" in result["reasons"][0]["message"]
    assert cloud.count(endpoint="PUT /?unbind") == 0
    assert cloud.count(service="ci") == 0 and cloud.count(service="cos") == 0
    assert "APPID unknown" in table(report)


def test_a_region_left_out_stays_skipped_when_the_appid_is_unknown(cloud, no_appid_invoke):
    cloud.add_bucket("far-1250000000", "ap-beijing", tags={"ci-unbind": "true"})
    cloud.inject("cam:GetUserAppId", code="AuthFailure.UnauthorizedOperation", times=None)
    report = no_appid_invoke(manual("far-1250000000", region="ap-beijing"),
                             env={"CI_UNBIND_REGIONS": "ap-guangzhou"})
    assert codes(outcome_of(report, "far-1250000000")) == ["region_excluded"]


def test_once_per_container_and_a_failure_is_not_kept(cloud):
    add_buckets(cloud)
    env = {k: v for k, v in BASE_ENV.items() if k != "TENCENTCLOUD_APPID"}
    settings = invocation.cold_start({**env, "CI_UNBIND_DRY_RUN": "true"})
    identity = account.Identity()
    from tests.conftest import fast_connect

    cloud.inject("cam:GetUserAppId", code="InternalError", times=3)  # every retry of the first invocation
    first = invocation.handle(manual(MINE), CONTEXT, settings, connect_fn=fast_connect, identity=identity)
    assert outcome_of(first, MINE)["outcome"] == "error"
    second = invocation.handle(manual(MINE), CONTEXT, settings, connect_fn=fast_connect, identity=identity)
    third = invocation.handle(manual(MINE), CONTEXT, settings, connect_fn=fast_connect, identity=identity)
    assert outcome_of(second, MINE)["outcome"] == outcome_of(third, MINE)["outcome"] == "would_unbind"
    assert second["account"]["source"] == third["account"]["source"] == "cam"
    # three failed tries for the first invocation, one success for the second, none for the third
    assert cloud.count(endpoint="cam:GetUserAppId") == 4
    assert "request_id" in second["account"] and "request_id" not in third["account"]


def test_the_table_names_the_appid(cloud, no_appid_invoke):
    add_buckets(cloud)
    report = no_appid_invoke(manual(MINE), env={"CI_UNBIND_DRY_RUN": "true"})
    assert f"for APPID {APPID} (from CAM GetUserAppId)" in table(report)


def test_an_answer_that_is_not_an_appid_is_an_error(cloud, no_appid_invoke):
    add_buckets(cloud)
    cloud.cam.appid = "0"  # not 6-12 digits
    report = no_appid_invoke(manual(MINE))
    assert report["account"]["error"]["service_code"] == "MalformedResponse"
    assert codes(outcome_of(report, MINE)) == ["appid_unknown"]
