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
# The function's environment in tests: live mode unless a test says otherwise.
BASE_ENV = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
            "TENCENTCLOUD_SESSIONTOKEN": TOKEN, "CI_UNBIND_DRY_RUN": "false"}

# Same retries as production, without the waits between them.
FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0, max_wait=0, sleep=lambda _s: None)


def fast_connect(settings):
    return run.connect(settings, retry=FAST_RETRY)


def load_event(name):
    return json.loads((EVENTS / name).read_text())


def manual(*buckets, region=REGION, **extra):
    return {"buckets": [{"bucket": b, "region": region} for b in buckets], **extra}


# CAM actions the fake served to the function's code over this run; see tests/cam_policy.py.
ACTIONS_USED: set = set()
_CAM_CHECK = {"partial": False, "problem": ""}


@pytest.fixture
def cloud():
    fake = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    with fake:
        yield fake
    ACTIONS_USED.update(fake.actions_seen())


def pytest_deselected(items):
    _CAM_CHECK["partial"] = True


def pytest_collection_finish(session):
    collected = {item.path.resolve() for item in session.items}
    if not cam_policy.product_test_files() <= collected or any("::" in arg for arg in session.config.args):
        _CAM_CHECK["partial"] = True


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    result = yield
    # Only a complete, passing run of the product suite knows every action the code needs; a
    # failing one reports its own failures rather than a policy made doubtful by them.
    if not (_CAM_CHECK["partial"] or session.config.option.collectonly or session.testsfailed
            or session.shouldstop or session.shouldfail):
        _CAM_CHECK["problem"] = cam_policy.problem(cam_policy.granted_actions(cam_policy.load_policy()),
                                                   ACTIONS_USED)
        if _CAM_CHECK["problem"]:
            session.testsfailed += 1
    return result


def pytest_terminal_summary(terminalreporter, config):
    if _CAM_CHECK["problem"]:
        terminalreporter.write_sep("=", "CAM policy does not match the code", red=True)
        terminalreporter.write_line(_CAM_CHECK["problem"])
    elif _CAM_CHECK["partial"] and not config.option.collectonly:
        terminalreporter.write_line("deploy/cam-policy.json not compared with the code: not the whole suite")


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


@pytest.fixture
def invoke(cloud):
    return Invoker()


def outcome_of(report, bucket):
    (result,) = [r for r in report["results"] if r["bucket"] == bucket]
    return result


def codes(result):
    return [r["code"] for r in result["reasons"]]
