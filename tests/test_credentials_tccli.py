"""Keys where tccli keeps them: ~/.tccli/<profile>.credential, JSON with secretId, secretKey and maybe
token, or "type": "cvm-role" (`tccli configure set ... --profile NAME` writes it). --profile NAME
takes the SDK's [NAME] first; without it, TCCLI_PROFILE when set is the one place after the
environment, else the SDK's [default] comes before tccli's default. The fake cloud takes only the
keys it was given, so a call signed with others fails there."""

import json
import os

import pytest

from lib.fakecloud import FakeCloud
from lib.fakecloud.metadata_handlers import MetadataService
from lib.fakecloud.metadata_models import InstanceRole
from lib.ops.cli import main
from tests.conftest import APPID, REGION
from tests.test_credentials import DEFAULT, PROD, eb_dry_run, write_profiles

TEMP = ("AKIDTEMPORARYTCCLI0001", "temporary-tccli-secret-key", "tccli-session-token-0001")
BUCKET = f"clean-{APPID}"


@pytest.fixture
def home(monkeypatch):
    for name in ("TENCENTCLOUD_SECRETID", "TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN", "TENCENTCLOUD_UIN",
                 "TCCLI_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TENCENTCLOUD_APPID", APPID)
    return os.environ["HOME"]


def write_tccli(home, name, **cred):
    folder = os.path.join(home, ".tccli")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{name}.credential"), "w") as fh:
        json.dump(cred, fh)


def invoke(capsys, keys, *extra):
    secret_id, secret_key, *token = keys
    with FakeCloud(appid=APPID, secret_id=secret_id, secret_key=secret_key, token=(token or [None])[0]) as cloud:
        cloud.add_bucket(BUCKET, REGION, tags={"ci-unbind": "true"})
        code = main(["invoke", "--bucket", BUCKET, "--region", REGION, *extra])
    out, err = capsys.readouterr()
    return code, out, err, cloud


def test_a_tccli_profile_with_a_token_signs_the_calls(home, capsys):
    write_tccli(home, "prod", secretId=TEMP[0], secretKey=TEMP[1], token=TEMP[2], type="default")
    code, out, err, cloud = invoke(capsys, TEMP, "--profile", "prod")
    assert code == 0, err
    assert "would_unbind" in out and cloud.count(endpoint="GET /?tagging") == 1
    assert TEMP[1] not in out + err and TEMP[2] not in out + err


def test_without_a_profile_tcclis_default_comes_after_the_sdks_places(home, capsys):
    write_tccli(home, "default", secretId=PROD[0], secretKey=PROD[1])
    code, out, err, _ = invoke(capsys, PROD)
    assert code == 0, err
    write_profiles(home, default=DEFAULT)  # the SDK's file is read first
    code, out, err, _ = invoke(capsys, DEFAULT)
    assert code == 0, err


def test_tccli_profile_picks_tcclis_profile_before_the_sdks_default(home, monkeypatch, capsys):
    write_profiles(home, default=DEFAULT)
    write_tccli(home, "default", secretId=DEFAULT[0], secretKey=DEFAULT[1])
    write_tccli(home, "prod", secretId=PROD[0], secretKey=PROD[1])
    monkeypatch.setenv("TCCLI_PROFILE", "prod")
    code, _, err, _ = invoke(capsys, PROD)
    assert code == 0, err


def test_a_tccli_profile_without_its_file_is_refused_not_replaced(home, monkeypatch, capsys):
    write_profiles(home, default=DEFAULT)  # other keys are there, and must not be taken instead
    monkeypatch.setenv("TCCLI_PROFILE", "prod")
    code, out, err, cloud = invoke(capsys, DEFAULT)
    assert code == 2 and out == "" and cloud.calls == []
    assert err.strip() == "cos-ci-unbinder: TCCLI_PROFILE is 'prod', and there is no ~/.tccli/prod.credential"


def test_the_sdks_environment_names_take_tcclis_token_beside_them(home, monkeypatch, capsys):
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", TEMP[0])
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", TEMP[1])
    monkeypatch.setenv("TENCENTCLOUD_TOKEN", TEMP[2])
    code, out, err, _ = invoke(capsys, TEMP)
    assert code == 0, err
    assert TEMP[2] not in out + err


def test_the_sdks_section_wins_over_tcclis_file_of_the_same_name(home, capsys):
    write_profiles(home, prod=PROD)
    write_tccli(home, "prod", secretId=DEFAULT[0], secretKey=DEFAULT[1])
    code, _, err, _ = invoke(capsys, PROD, "--profile", "prod")
    assert code == 0, err


def test_a_tccli_cvm_role_profile_asks_the_instance(home, capsys):
    write_tccli(home, "ops", type="cvm-role")
    role = InstanceRole("ops-role")
    with MetadataService(role):
        code, out, err, _ = invoke(capsys, (role.secret_id, role.secret_key, role.token), "--profile", "ops")
    assert code == 0, err
    assert "would_unbind" in out


def test_a_tccli_cvm_role_profile_on_an_instance_without_a_role_names_the_profile(home, capsys):
    write_tccli(home, "ops", type="cvm-role")
    with MetadataService(InstanceRole(None)) as metadata:
        code, out, err, cloud = invoke(capsys, PROD, "--profile", "ops")
    assert code == 2 and out == "" and cloud.calls == [] and metadata.role.reads
    assert err.strip().startswith("cos-ci-unbinder: ~/.tccli/ops.credential (type cvm-role): the instance "
                                  "metadata service gave no role keys")


def test_a_role_arn_without_a_session_name_is_not_a_role_to_tccli_either(home, capsys):
    write_tccli(home, "prod", secretId=PROD[0], secretKey=PROD[1], **{"role-arn": "qcs::cam::uin/1:roleName/r"})
    code, _, err, _ = invoke(capsys, PROD, "--profile", "prod")
    assert code == 0, err


@pytest.mark.parametrize("cred, says", [
    ({"type": "oauth", "oauth": {"accessToken": "x"}}, "a tccli login of type 'oauth', which only tccli refreshes"),
    ({"secretId": PROD[0], "secretKey": PROD[1], "role-arn": "qcs::cam::uin/1:roleName/r",
      "role-session-name": "ops"}, "names a role for tccli to assume"),
    ({"secretId": PROD[0]}, "needs both secretId and secretKey"),
    (["not", "an", "object"], "is not tccli's JSON object"),
], ids=["oauth", "role-arn", "no-key", "not-an-object"])
def test_a_tccli_file_it_cannot_use_is_one_line_and_no_call(home, capsys, cred, says):
    folder = os.path.join(home, ".tccli")
    os.makedirs(folder)
    with open(os.path.join(folder, "prod.credential"), "w") as fh:
        json.dump(cred, fh)
    code, out, err, cloud = invoke(capsys, PROD, "--profile", "prod")
    assert code == 2 and out == "" and cloud.calls == []
    assert len(err.strip().splitlines()) == 1 and says in err and "~/.tccli/prod.credential" in err


def test_a_tccli_file_that_is_not_json_is_named(home, capsys):
    os.makedirs(os.path.join(home, ".tccli"))
    with open(os.path.join(home, ".tccli", "prod.credential"), "w") as fh:
        fh.write("secretId = AKID\n")
    code, _, err = eb_dry_run(capsys, "--profile", "prod")
    assert code == 2 and "~/.tccli/prod.credential cannot be read as tccli's JSON" in err


@pytest.mark.parametrize("name", ["../secrets", "sub/../../secrets", ".secrets", "a\\b"])
def test_a_profile_name_that_would_leave_tcclis_folder_is_refused_before_any_file_is_read(home, capsys, name):
    with open(os.path.join(home, "secrets.credential"), "w") as fh:  # where "../secrets" would lead
        json.dump({"secretId": PROD[0], "secretKey": PROD[1]}, fh)
    write_tccli(home, ".secrets", secretId=PROD[0], secretKey=PROD[1])
    code, out, err, cloud = invoke(capsys, PROD, "--profile", name)
    assert code == 2 and out == "" and cloud.calls == []
    assert "cannot name a tccli profile" in err


def test_an_sdk_section_may_have_any_name(home, capsys):
    write_profiles(home, **{"my profile": PROD})
    code, _, err, _ = invoke(capsys, PROD, "--profile", "my profile")
    assert code == 0, err


def test_a_tccli_profile_name_in_the_environment_that_would_leave_the_folder_is_refused(home, monkeypatch, capsys):
    monkeypatch.setenv("TCCLI_PROFILE", "../../etc/passwd")
    code, _, err = eb_dry_run(capsys)
    assert code == 2
    assert err.startswith("cos-ci-unbinder: TCCLI_PROFILE: '../../etc/passwd' cannot name a tccli profile")
