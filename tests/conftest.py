"""Shared fixtures: a fake cloud on the HTTP layer and an invocation through the real handler path."""

import io
import json
import pathlib
import threading
import time

import pytest

from lib import invocation
from lib.cloud.clients import connect
from lib.cloud.cos import RetryPolicy
from lib.fakecloud import FakeCloud
from lib.report import JsonLog
from tests import cam_policy
from tests.browser import browser  # noqa: F401  (headless Chromium for the page tests)
from tests.campaign_helpers import opcloud  # noqa: F401  (the campaign commands' fake cloud)

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
    return connect(settings, retry=FAST_RETRY)


def load_event(name):
    return json.loads((EVENTS / name).read_text())


def manual(*buckets, region=REGION, **extra):
    return {"buckets": [{"bucket": b, "region": region} for b in buckets], **extra}




@pytest.fixture(autouse=True)
def no_keys_of_this_machine(tmp_path_factory, monkeypatch):
    # The operator's commands also find keys in the SDK's and tccli's variables and files:
    # a test sees only the keys it sets, never those of whoever runs it.
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_TOKEN", "TCCLI_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def cloud():
    fake = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, token=TOKEN)
    with fake:
        yield fake
    cam_policy.CALLS_MADE.update((c.service, c.endpoint) for c in fake.calls)


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


class SkipClock:
    """Real time, except that a sleep returns at once and the clock jumps to when it would have
    woken: a run is paced and budgeted as in production, without the waiting.

    A sleeper wakes `seconds` after the time it last read (its own thread's last reading, from which
    it worked out the wait), so threads that wait for the same moment move the clock once, not once
    each.
    """

    def __init__(self):
        self._ahead = 0.0
        self._lock = threading.Lock()
        self._seen = threading.local()

    def clock(self) -> float:
        now = time.monotonic() + self._ahead
        self._seen.at = now
        return now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            wake = getattr(self._seen, "at", time.monotonic() + self._ahead) + max(seconds, 0.0)
            self._ahead = max(self._ahead, wake - time.monotonic())
        time.sleep(0)  # let the threads that hold the places run


class Invoker:
    """Runs events through `invocation.handle`, the function's own path, and keeps the log lines."""

    def __init__(self, env=None):
        self.env = {**BASE_ENV, **(env or {})}
        self.stream = io.StringIO()

    def __call__(self, event, env=None, context=None, **options):
        settings = invocation.cold_start({**self.env, **(env or {})})
        if "clock" not in options and "sleep" not in options:
            skip = SkipClock()
            options.update(clock=skip.clock, sleep=skip.sleep)
        # A test that brings its own clock without a sleep keeps a sleep that lets no time pass:
        # its clock moves on its own (with the calls made, say).
        options.setdefault("sleep", lambda _s: None)
        return invocation.handle(event, CONTEXT if context is None else context, settings,
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
