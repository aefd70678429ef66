"""The campaign commands (inventory, request, withdraw, rebind) against the fake cloud on the HTTP
layer, as an operator's live command against Tencent Cloud would go.

Their fake is their own, not the `cloud` fixture: these commands run with the operator's keys and
need actions (PutBucketTagging, CreateCIBucket) that the function's policy must not grant, so
what they call is checked against deploy/cam-policy-operator.json instead (tests/test_operator_policy.py).
"""

import io
import json

import pytest

from lib.fakecloud import DEMO_SCENARIO, FakeCloud, load_scenario

WRITES = ("PUT", "POST", "DELETE", "PATCH")
# The operator's CAM actions seen over the session, for the operator policy's own check.
OPERATOR_ACTIONS: set = set()


class Stdin(io.StringIO):
    def __init__(self, text="", tty=False):
        super().__init__(text)
        self._tty = tty

    def isatty(self):
        return self._tty


def run_json(capsys, *argv):
    """A command's exit code, its --json output and its stderr."""
    from lib.ops.cli import main

    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


def keys(monkeypatch, appid="1250000000"):
    from tests.conftest import SECRET_ID, SECRET_KEY, TOKEN  # conftest imports this module first

    for name, value in (("TENCENTCLOUD_SECRETID", SECRET_ID), ("TENCENTCLOUD_SECRETKEY", SECRET_KEY),
                        ("TENCENTCLOUD_SESSIONTOKEN", TOKEN)):
        monkeypatch.setenv(name, value)
    if appid:
        monkeypatch.setenv("TENCENTCLOUD_APPID", appid)
    for name in ("CI_UNBIND_ACCOUNTS", "CI_UNBIND_STATE_BUCKET", "CI_UNBIND_STATE_REGION", "CI_UNBIND_REGIONS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.stdin", Stdin())


@pytest.fixture
def opcloud(monkeypatch):
    """The demo scenario on the fake cloud, and the operator's keys in the environment."""
    from lib.cloud import sts
    from lib.org import access
    from tests.conftest import APPID, SECRET_ID, SECRET_KEY, TOKEN

    keys(monkeypatch)
    # Role keys and member APPIDs kept for an earlier test's fake cloud mean nothing to this one.
    sts.CACHE.clear()
    access._MEMBER_IDENTITIES.clear()
    fake = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    load_scenario(fake, DEMO_SCENARIO)
    with fake:
        yield fake
    OPERATOR_ACTIONS.update(fake.actions_seen())


def writes(cloud) -> list:
    return [f"{c.method} {c.host}{c.path}" for c in cloud.calls if c.method in WRITES]
