"""Keys as Tencent Cloud's tools keep them (issue 19, item 2): the environment (SCF's names and the
SDK's), the SDK's credentials file and its profiles, --profile NAME; the COS client gets the same
keys. The fake cloud checks every signature, so a call signed with other keys fails there."""

import os

import pytest

from lib.fakecloud import FakeCloud
from lib.ops.cli import main
from tests.conftest import APPID, REGION

UIN = "100000000001"
PROD = ("AKIDPRODUCTIONPROFILE01", "prod-profile-secret-key")
DEFAULT = ("AKIDDEFAULTPROFILE00001", "default-profile-secret-key")
OTHER = ("AKIDSOMEONEELSE00000001", "someone-else-secret-key")


@pytest.fixture
def home(monkeypatch):
    for name in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN", "TENCENTCLOUD_UIN"):
        monkeypatch.delenv(name, raising=False)
    return os.environ["HOME"]


def write_profiles(home, **profiles):
    folder = os.path.join(home, ".tencentcloud")
    os.makedirs(folder, exist_ok=True)
    text = "".join(f"[{name}]\nsecret_id = {sid}\nsecret_key = {skey}\n\n" for name, (sid, skey) in profiles.items())
    with open(os.path.join(folder, "credentials"), "w") as fh:
        fh.write(text)


def eb_dry_run(capsys, *extra):
    code = main(["setup-eventbridge", "--uin", UIN, "--dry-run", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_named_profile_signs_the_calls_and_wins_over_the_environment(home, monkeypatch, capsys):
    write_profiles(home, default=DEFAULT, prod=PROD)
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", OTHER[0])
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", OTHER[1])
    with FakeCloud(secret_id=PROD[0], secret_key=PROD[1]) as cloud:
        code, out, err = eb_dry_run(capsys, "--profile", "prod")
    assert code == 0, err
    assert cloud.count(endpoint="eb:ListEventBuses") >= 1
    assert PROD[1] not in out + err and PROD[0] not in out + err


def test_without_a_profile_the_sdk_default_profile_is_used(home, capsys):
    write_profiles(home, default=DEFAULT)
    with FakeCloud(secret_id=DEFAULT[0], secret_key=DEFAULT[1]) as cloud:
        code, _, err = eb_dry_run(capsys)
    assert code == 0, err and cloud.calls


def test_the_sdks_environment_names_are_read(home, monkeypatch, capsys):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", PROD[0])
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", PROD[1])
    with FakeCloud(secret_id=PROD[0], secret_key=PROD[1]):
        code, _, err = eb_dry_run(capsys)
    assert code == 0, err


def test_scf_environment_names_come_before_the_default_profile(home, monkeypatch, capsys):
    write_profiles(home, default=DEFAULT)
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", PROD[0])
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", PROD[1])
    with FakeCloud(secret_id=PROD[0], secret_key=PROD[1]):
        code, _, err = eb_dry_run(capsys)
    assert code == 0, err


def test_a_missing_profile_is_one_line_naming_the_file_and_its_profiles(home, capsys):
    write_profiles(home, default=DEFAULT, prod=PROD)
    with FakeCloud(secret_id=PROD[0], secret_key=PROD[1]) as cloud:
        code, out, err = eb_dry_run(capsys, "--profile", "staging")
    path = os.path.join(home, ".tencentcloud", "credentials")
    assert code == 2 and out == "" and not cloud.calls
    assert err.strip() == (f"cos-ci-unbinder: --profile staging: no [staging] section in {path} "
                           "(profiles there: default, prod), and no ~/.tccli/staging.credential")


def test_a_missing_file_is_one_line_naming_where_it_looked(home, capsys):
    code, out, err = eb_dry_run(capsys, "--profile", "prod")
    assert code == 2 and out == ""
    assert err.strip() == ("cos-ci-unbinder: --profile prod: no credentials file (looked for "
                           "~/.tencentcloud/credentials and /etc/tencentcloud/credentials, and "
                           "~/.tccli/prod.credential)")


def test_no_keys_anywhere_names_every_place(home, capsys):
    code, _, err = eb_dry_run(capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    for place in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRET_ID", "~/.tencentcloud/credentials",
                  "~/.tccli/default.credential", "--profile"):
        assert place in err


def test_a_profile_without_a_key_is_named(home, capsys):
    folder = os.path.join(home, ".tencentcloud")
    os.makedirs(folder)
    with open(os.path.join(folder, "credentials"), "w") as fh:
        fh.write("[prod]\nsecret_id = AKIDONLY\n")
    code, _, err = eb_dry_run(capsys, "--profile", "prod")
    assert code == 2 and "needs both secret_id and secret_key" in err


def test_invoke_gives_the_cos_and_ci_clients_the_profiles_keys(home, monkeypatch, capsys):
    write_profiles(home, prod=PROD)
    monkeypatch.setenv("TENCENTCLOUD_APPID", APPID)
    with FakeCloud(appid=APPID, secret_id=PROD[0], secret_key=PROD[1]) as cloud:
        cloud.add_bucket(f"clean-{APPID}", REGION, tags={"ci-unbind": "true"})
        code = main(["invoke", "--bucket", f"clean-{APPID}", "--region", REGION, "--profile", "prod"])
        out = capsys.readouterr().out
    assert code == 0 and f"clean-{APPID}" in out and "would_unbind" in out
    assert cloud.count(endpoint="GET /?tagging") == 1 and cloud.count(endpoint="GET /") >= 1


def test_a_session_token_of_the_environment_does_not_go_with_a_profiles_keys(home, monkeypatch, capsys):
    write_profiles(home, prod=PROD)
    monkeypatch.setenv("TENCENTCLOUD_SESSIONTOKEN", "token-of-other-keys")
    monkeypatch.setenv("TENCENTCLOUD_APPID", APPID)
    with FakeCloud(appid=APPID, secret_id=PROD[0], secret_key=PROD[1]) as cloud:
        cloud.add_bucket(f"clean-{APPID}", REGION, tags={"ci-unbind": "true"})
        assert main(["invoke", "--bucket", f"clean-{APPID}", "--region", REGION, "--profile", "prod"]) == 0
    assert "would_unbind" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["invoke", "events/manual.json", "--simulate", "--profile", "prod"],
    ["setup-eventbridge", "--simulate", "--profile", "prod"],
    ["history", "--simulate", "--profile", "prod"],
    ["setup-eventbridge", "--uin", UIN, "--profile", "prod", "--use-cvm-role"],
])
def test_a_profile_where_it_cannot_apply_is_refused(home, capsys, args):
    write_profiles(home, prod=PROD)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
