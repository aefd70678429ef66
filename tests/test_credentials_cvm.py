"""--use-cvm-role: the keys of the CAM role bound to the CVM the command runs on, as the SDK's own
CVMRoleCredential reads them from the instance metadata service (served by the fake over HTTP).
The fake cloud takes only the role's temporary keys with their token, so a call signed otherwise
fails there."""

import pytest

from lib.fakecloud import FakeCloud
from lib.fakecloud.metadata_handlers import MetadataService
from lib.fakecloud.metadata_models import ROLE_PATH, InstanceRole
from lib.ops.cli import main
from tests.conftest import APPID, REGION

BUCKET = f"clean-{APPID}"
ENV_KEYS = ("AKIDSOMEONEELSE00000001", "someone-else-secret-key")
NO_ROLE_KEYS = ("cos-ci-unbinder: --use-cvm-role: the instance metadata service gave no role keys (is this a CVM "
                "with a CAM role bound to it?)")


@pytest.fixture
def shell(monkeypatch):
    """A shell with other keys in it: the role's keys must win, as --profile's do."""
    monkeypatch.setenv("TENCENTCLOUD_SECRETID", ENV_KEYS[0])
    monkeypatch.setenv("TENCENTCLOUD_SECRETKEY", ENV_KEYS[1])
    monkeypatch.delenv("TENCENTCLOUD_SESSIONTOKEN", raising=False)
    monkeypatch.setenv("TENCENTCLOUD_APPID", APPID)


def invoke(role: InstanceRole, capsys):
    with MetadataService(role) as metadata, \
            FakeCloud(appid=APPID, secret_id=role.secret_id, secret_key=role.secret_key, token=role.token) as cloud:
        cloud.add_bucket(BUCKET, REGION, tags={"ci-unbind": "true"})
        code = main(["invoke", "--bucket", BUCKET, "--region", REGION, "--use-cvm-role"])
    out, err = capsys.readouterr()
    return code, out, err, cloud, metadata


def test_the_roles_temporary_keys_and_token_sign_the_calls(shell, capsys):
    role = InstanceRole("cos-ci-unbinder-ops")
    code, out, err, cloud, metadata = invoke(role, capsys)
    assert code == 0, err
    assert BUCKET in out and "would_unbind" in out
    assert cloud.count(endpoint="GET /?tagging") == 1 and cloud.count(endpoint="GET /") >= 1
    assert metadata.role.reads[:2] == [ROLE_PATH, ROLE_PATH + "cos-ci-unbinder-ops"]
    assert metadata.other_hosts == []
    for secret in (role.secret_key, role.token, ENV_KEYS[1]):
        assert secret not in out + err


@pytest.mark.parametrize("role", [
    InstanceRole(None),                                   # no role bound to the instance
    InstanceRole("cos-ci-unbinder-ops", code="Failed"),   # the service says the keys are not there
], ids=["no-role", "not-success"])
def test_no_role_keys_is_one_line_and_no_call(shell, capsys, role):
    code, out, err, cloud, metadata = invoke(role, capsys)
    assert code == 2 and out == ""
    assert err.strip() == NO_ROLE_KEYS
    assert cloud.calls == []
    assert metadata.role.reads and metadata.other_hosts == []  # the fake instance was asked, nothing else


def test_no_proxy_does_not_send_the_sdk_past_the_fake(shell, monkeypatch, capsys):
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", ".tencentyun.com")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # a proxy of the environment is not used either
    code, _, err, _, metadata = invoke(InstanceRole("cos-ci-unbinder-ops"), capsys)
    assert code == 0, err
    assert metadata.role.reads
