"""Shared fixtures: a fake cloud on the HTTP layer and an invocation through the real handler path."""

import io
import json
import pathlib

import pytest

from lib import run
from lib.cosapi import RetryPolicy
from lib.fakecloud import FakeCloud
from lib.report import JsonLog
from tests import cam_policy

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
APPID = "1250000000"
REGION = "ap-guangzhou"
SECRET_ID = "AKIDTESTEXAMPLE0000"
SECRET_KEY = "test-secret-key-0000"
TOKEN = "test-session-token-0000"
CONTEXT = {"request_id": "req-test-0001", "time_limit_in_ms": 60000, "function_name": "cos-ci-unbinder"}
# The function's environment in tests: live mode unless a test says otherwise; the APPID as SCF
# injects it (tests/test_account.py runs without it, where CAM GetUserAppId is asked instead).
BASE_ENV = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
            "TENCENTCLOUD_SESSIONTOKEN": TOKEN, "CI_UNBIND_DRY_RUN": "false", "TENCENTCLOUD_APPID": APPID}

# Same retries as production, without the waits between them.
FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0, max_wait=0, sleep=lambda _s: None)


def fast_connect(settings):
    return run.connect(settings, retry=FAST_RETRY)


def load_event(name):
    return json.loads((EVENTS / name).read_text())


def manual(*buckets, region=REGION, **extra):
    return {"buckets": [{"bucket": b, "region": region} for b in buckets], **extra}




@pytest.fixture
def cloud():
    fake = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    with fake:
        yield fake
    cam_policy.ACTIONS_USED.update(fake.actions_seen())


def pytest_deselected(items):
    cam_policy.RUN["partial"] = True


def pytest_collection_finish(session):
    collected = {item.path.resolve() for item in session.items}
    if not cam_policy.product_test_files() <= collected or any("::" in arg for arg in session.config.args):
        cam_policy.RUN["partial"] = True


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    # The policy check needs what every other test made the code call: it runs last.
    last = [item for item in items if item.name == CAM_TEST]
    items[:] = [item for item in items if item.name != CAM_TEST] + last


CAM_TEST = "test_cam_policy_grants_exactly_what_the_code_used"


class Invoker:
    """Runs events through `run.handle`, the function's own path, and keeps the log lines."""

    def __init__(self, env=None):
        self.env = {**BASE_ENV, **(env or {})}
        self.stream = io.StringIO()

    def __call__(self, event, env=None, context=None, **options):
        settings = run.cold_start({**self.env, **(env or {})})
        options.setdefault("sleep", lambda _s: None)
        return run.handle(event, CONTEXT if context is None else context, settings,
                          connect_fn=fast_connect, log=JsonLog(stream=self.stream,
                                                               secrets=[SECRET_ID, SECRET_KEY, TOKEN]),
                          **options)

    @property
    def lines(self):
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def calls(self, bucket):
        """A bucket's calls from its log line, which keeps them all (the report only for some outcomes)."""
        (line,) = [x for x in self.lines if x["msg"] == "bucket" and x["bucket"] == bucket]
        return line["calls"]


@pytest.fixture
def invoke(cloud):
    return Invoker()


def outcome_of(report, bucket):
    (result,) = [r for r in report["results"] if r["bucket"] == bucket]
    return result


def codes(result):
    return [r["code"] for r in result["reasons"]]
