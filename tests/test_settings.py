"""Settings: defaults, every variable's validation, and credentials kept out of any view."""

import pytest

from lib.settings import SERVICES, Settings, SettingsError, load, public_view


def test_defaults():
    s = load({})
    assert s == Settings()
    assert s.dry_run is True and s.tag_key == "ci-unbind" and s.protect_tag_key == "ci-unbind-protect"
    assert s.regions == frozenset() and s.max_per_run == 20 and s.concurrency == 16
    assert s.blocking_services == frozenset(SERVICES) and s.appid is None


@pytest.mark.parametrize("env,attr,value", [
    ({"CI_UNBIND_DRY_RUN": "false"}, "dry_run", False),
    ({"CI_UNBIND_DRY_RUN": "TRUE"}, "dry_run", True),
    ({"CI_UNBIND_REGIONS": "ap-guangzhou, ap-beijing"}, "regions", frozenset({"ap-guangzhou", "ap-beijing"})),
    ({"CI_UNBIND_MAX_PER_RUN": "0"}, "max_per_run", 0),
    ({"CI_UNBIND_CONCURRENCY": "8"}, "concurrency", 8),
    ({"CI_UNBIND_BLOCKING_SERVICES": ""}, "blocking_services", frozenset()),
    ({"CI_UNBIND_BLOCKING_SERVICES": "media,doc"}, "blocking_services", frozenset({"media", "doc"})),
    ({"TENCENTCLOUD_APPID": "1250000000"}, "appid", "1250000000"),
    ({"CI_UNBIND_TAG_KEY": "release:ci"}, "tag_key", "release:ci"),
])
def test_values(env, attr, value):
    assert getattr(load(env), attr) == value


@pytest.mark.parametrize("env,name", [
    ({"CI_UNBIND_DRY_RUN": "yes"}, "CI_UNBIND_DRY_RUN"),
    ({"CI_UNBIND_DRY_RUN": "0"}, "CI_UNBIND_DRY_RUN"),
    ({"CI_UNBIND_REGIONS": "ap-guangzhou,ap-guangzhou.evil.com"}, "CI_UNBIND_REGIONS"),
    ({"CI_UNBIND_MAX_PER_RUN": "ten"}, "CI_UNBIND_MAX_PER_RUN"),
    ({"CI_UNBIND_MAX_PER_RUN": "-1"}, "CI_UNBIND_MAX_PER_RUN"),
    ({"CI_UNBIND_CONCURRENCY": "0"}, "CI_UNBIND_CONCURRENCY"),
    ({"CI_UNBIND_CONCURRENCY": "1000"}, "CI_UNBIND_CONCURRENCY"),
    ({"CI_UNBIND_BLOCKING_SERVICES": "media,video"}, "CI_UNBIND_BLOCKING_SERVICES"),
    ({"TENCENTCLOUD_APPID": "12abc"}, "TENCENTCLOUD_APPID"),
    ({"CI_UNBIND_TAG_KEY": "bad\nkey"}, "CI_UNBIND_TAG_KEY"),
    ({"CI_UNBIND_TAG_KEY": "same", "CI_UNBIND_PROTECT_TAG_KEY": "same"}, "CI_UNBIND_TAG_KEY"),
])
def test_invalid_settings_name_the_variable(env, name):
    with pytest.raises(SettingsError, match=name):
        load(env)


def test_credentials_never_in_repr_or_public_view():
    s = load({"TENCENTCLOUD_SECRETID": "AKIDsecretid", "TENCENTCLOUD_SECRETKEY": "keykeykey",
              "TENCENTCLOUD_SESSIONTOKEN": "tokentoken"})
    assert s.credentials and s.credentials.token == "tokentoken"
    for text in (repr(s), str(public_view(s))):
        assert "keykeykey" not in text and "tokentoken" not in text and "AKIDsecretid" not in text


STATE = {"CI_UNBIND_STATE_BUCKET": "state-1250000000", "CI_UNBIND_STATE_REGION": "ap-guangzhou"}


def test_state_settings():
    s = load({**STATE, "CI_UNBIND_MAX_PER_DAY": "5", "CI_UNBIND_STATE_PREFIX": "ops/unbinder/"})
    assert (s.state_bucket, s.state_region, s.state_prefix, s.max_per_day) == (
        "state-1250000000", "ap-guangzhou", "ops/unbinder/", 5)
    assert load(STATE).max_per_day is None and load(STATE).state_prefix == "cos-ci-unbinder/"
    assert public_view(s)["state_bucket"] == "state-1250000000" and public_view(s)["max_per_day"] == 5


@pytest.mark.parametrize("env,name", [
    ({"CI_UNBIND_MAX_PER_DAY": "5"}, "CI_UNBIND_MAX_PER_DAY"),  # a daily cap needs somewhere to count
    ({**STATE, "CI_UNBIND_MAX_PER_DAY": "-1"}, "CI_UNBIND_MAX_PER_DAY"),
    ({**STATE, "CI_UNBIND_MAX_PER_DAY": "five"}, "CI_UNBIND_MAX_PER_DAY"),
    ({"CI_UNBIND_STATE_BUCKET": "state-1250000000"}, "CI_UNBIND_STATE_REGION"),
    ({**STATE, "CI_UNBIND_STATE_BUCKET": "Bad_Bucket"}, "CI_UNBIND_STATE_BUCKET"),
    ({**STATE, "CI_UNBIND_STATE_BUCKET": "state-1250000000.evil.com"}, "CI_UNBIND_STATE_BUCKET"),
    ({**STATE, "CI_UNBIND_STATE_REGION": "ap-guangzhou.evil.com"}, "CI_UNBIND_STATE_REGION"),
    ({**STATE, "CI_UNBIND_STATE_PREFIX": "no-slash"}, "CI_UNBIND_STATE_PREFIX"),
    ({**STATE, "CI_UNBIND_STATE_PREFIX": "/abs/"}, "CI_UNBIND_STATE_PREFIX"),
    ({**STATE, "CI_UNBIND_STATE_PREFIX": "a/../b/"}, "CI_UNBIND_STATE_PREFIX"),
    ({**STATE, "CI_UNBIND_STATE_PREFIX": "a//"}, "CI_UNBIND_STATE_PREFIX"),
    ({**STATE, "CI_UNBIND_STATE_PREFIX": "a b/"}, "CI_UNBIND_STATE_PREFIX"),
])
def test_invalid_state_settings(env, name):
    with pytest.raises(SettingsError, match=name):
        load(env)
