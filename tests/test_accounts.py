"""Many-account settings and the shard block: validated before anything is called."""

import pytest

from lib.org.accounts import SELF, FanoutSettings, RoleArn, parse_role_arn
from lib.org.shard import InvalidShard, Shard, check, parse_block
from lib.settings import SettingsError, load, public_view

ARN = "qcs::cam::uin/100000000101:roleName/CosCiUnbinderMember"
ARN2 = "qcs::cam::uin/100000000102:roleName/ops.unbinder@team_2"


def test_defaults_are_this_account_only_without_fanout():
    f = load({}).fanout
    assert f == FanoutSettings() and f.accounts == () and f.fanout is False
    assert (f.shard_size, f.max_invocations) == (500, 20) and f.names == [SELF]


def test_accounts_fanout_and_sizes_are_read():
    f = load({"CI_UNBIND_ACCOUNTS": f" {ARN} ,{ARN2},", "CI_UNBIND_FANOUT": "ON", "CI_UNBIND_SHARD_SIZE": "200",
              "CI_UNBIND_MAX_INVOCATIONS": "5"}).fanout
    assert f.accounts == (RoleArn("100000000101", "CosCiUnbinderMember"), RoleArn("100000000102", "ops.unbinder@team_2"))
    assert f.fanout and f.shard_size == 200 and f.max_invocations == 5
    assert f.names == [SELF, ARN, ARN2] and f.listed(ARN2) and f.listed(SELF) and not f.listed(ARN + "x")


@pytest.mark.parametrize("text", [
    ARN + "\n", ARN + "/x", " " + ARN, "qcs::cam::uin/100000000101:role/4611686018427397919",
    "qcs::cam::uin/abc:roleName/x", "qcs::cam::uin/100000000101:roleName/", "qcs::cam::uin/100000000101:roleName/a b",
    "qcs::cam::uin/100000000101:roleName/" + "a" * 129, "qcs::cam:ap-guangzhou:uin/100000000101:roleName/x", "",
])
def test_role_arn_must_match_entirely(text):
    with pytest.raises(ValueError):
        parse_role_arn(text)


@pytest.mark.parametrize("env,name", [
    ({"CI_UNBIND_ACCOUNTS": f"{ARN},qcs::cam::uin/1:roleName/x"}, "CI_UNBIND_ACCOUNTS"),
    ({"CI_UNBIND_ACCOUNTS": f"{ARN},{ARN}"}, "CI_UNBIND_ACCOUNTS"),
    ({"CI_UNBIND_ACCOUNTS": f"{ARN}\nqcs::cam::uin/100000000102:roleName/y"}, "CI_UNBIND_ACCOUNTS"),
    ({"CI_UNBIND_FANOUT": "true"}, "CI_UNBIND_FANOUT"),
    ({"CI_UNBIND_SHARD_SIZE": "0"}, "CI_UNBIND_SHARD_SIZE"),
    ({"CI_UNBIND_SHARD_SIZE": "2001"}, "CI_UNBIND_SHARD_SIZE"),
    ({"CI_UNBIND_SHARD_SIZE": "5e2"}, "CI_UNBIND_SHARD_SIZE"),
    ({"CI_UNBIND_MAX_INVOCATIONS": "0"}, "CI_UNBIND_MAX_INVOCATIONS"),
    ({"CI_UNBIND_MAX_INVOCATIONS": "-3"}, "CI_UNBIND_MAX_INVOCATIONS"),
    ({"CI_UNBIND_MAX_INVOCATIONS": "101"}, "CI_UNBIND_MAX_INVOCATIONS"),
])
def test_invalid_fanout_settings_name_the_variable(env, name):
    with pytest.raises(SettingsError, match=name):
        load(env)


def test_public_view_lists_roles_and_fanout():
    view = public_view(load({"CI_UNBIND_ACCOUNTS": ARN, "CI_UNBIND_FANOUT": "on"}))
    assert view["accounts"] == [ARN] and view["fanout"] == "on" and view["shard_size"] == 500


GOOD = {"account": ARN, "coordinator_run_id": "req-1", "index": 2, "of": 3}


def test_shard_block_is_parsed_and_checked():
    shard = parse_block(dict(GOOD))
    assert shard == Shard(ARN, "req-1", 2, 3) and shard.as_dict() == GOOD
    check(shard, load({"CI_UNBIND_ACCOUNTS": ARN}).fanout)
    check(parse_block({**GOOD, "account": SELF}), load({}).fanout)
    with pytest.raises(InvalidShard, match="not listed"):
        check(shard, load({"CI_UNBIND_ACCOUNTS": ARN2}).fanout)


@pytest.mark.parametrize("change", [
    {"account": ARN + " "}, {"account": 100000000101}, {"account": "other"}, {"coordinator_run_id": ""},
    {"coordinator_run_id": "a/b"}, {"coordinator_run_id": "x" * 129}, {"index": 3}, {"index": -1},
    {"index": True}, {"index": 1.0}, {"of": 0}, {"of": "3"}, {"extra": 1},
])
def test_bad_shard_blocks(change):
    with pytest.raises(InvalidShard):
        parse_block({**GOOD, **change})


def test_shard_block_needs_every_key():
    for key in GOOD:
        with pytest.raises(InvalidShard, match=key):
            parse_block({k: v for k, v in GOOD.items() if k != key})
    with pytest.raises(InvalidShard):
        parse_block([GOOD])
