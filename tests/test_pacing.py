"""Request pacing: the one-second window, throttling back-off, retries inside the time budget."""

import threading
import time

import pytest
from conftest import REGION, manual, outcome_of
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lib.cloud import pacing
from lib.cloud.cos import RetryPolicy
from lib.cloud.errors import ApiError
from lib.settings import SettingsError, load


class VirtualTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self):
        self.now = 0.0
        self._lock = threading.Lock()

    def clock(self):
        return self.now

    def sleep(self, seconds):
        with self._lock:
            self.now += max(seconds, 0.0)


def peak(times, width=1.0):
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + width) for i, t in enumerate(times)) if times else 0


@settings(max_examples=60, deadline=None)
@given(rate=st.integers(1, 40), gaps=st.lists(st.floats(0, 0.3), min_size=1, max_size=200))
@example(rate=1, gaps=[0.036059933361313065, 0.0, 0.0])  # float rounding once let a wait of ~1e-16 through
def test_no_one_second_window_holds_more_than_the_rate(rate, gaps):
    vt = VirtualTime()
    window = pacing.Window(rate, vt.clock, vt.sleep)
    starts = []
    for gap in gaps:
        vt.sleep(gap)  # requests arrive whenever they like
        window.acquire()
        starts.append(vt.now)
        window.release()
    assert peak(starts) <= rate


def test_a_request_seen_late_still_counts_in_its_second():
    # Let go at 0 s but answered at 0.9 s: it holds its place until 1.9 s, so however late it
    # reached the wire, the second after it sees at most `rate` requests.
    vt = VirtualTime()
    window = pacing.Window(1, vt.clock, vt.sleep)
    window.acquire()
    vt.sleep(0.9)
    window.release()
    window.acquire()
    assert vt.now >= 1.9


def test_a_slot_that_would_come_after_the_budget_is_refused():
    vt = VirtualTime()
    window = pacing.Window(2, vt.clock, vt.sleep)
    for _ in range(2):
        with window.slot(end=0.5):
            pass
    with pytest.raises(ApiError) as info:
        window.acquire(end=0.5)
    assert info.value.code == "TimeBudgetExhausted"


def test_retries_stop_when_the_next_wait_would_pass_the_budget():
    vt = VirtualTime()
    paced = pacing.Pacing(50, vt.clock, vt.sleep, hard_end=0.5)
    pacing.begin(paced)
    attempts = []

    def throttled():
        attempts.append(vt.now)
        raise ApiError(api="GET /", http_status=429, code="SlowDown", retryable=True)

    try:
        with pytest.raises(ApiError):
            RetryPolicy(attempts=5, initial_wait=1.0, max_wait=1.0, sleep=vt.sleep).call(throttled)
    finally:
        pacing.end(paced)
    assert len(attempts) == 1  # a one-second back-off would end after the budget


@pytest.mark.parametrize("status, code", [(429, "SlowDown"), (503, "SlowDown"), (429, None)])
def test_throttled_reads_are_retried(cloud, invoke, status, code):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("GET /?tagging", status=status, code=code, times=2)
    result = outcome_of(invoke(manual("clean-1250000000")), "clean-1250000000")
    assert result["outcome"] == "unbound" and cloud.count(endpoint="GET /?tagging") == 3


def test_request_limit_exceeded_on_discovery_is_retried(cloud, invoke):
    cloud.add_bucket("clean-1250000000", REGION, tags={"ci-unbind": "true"})
    cloud.inject("tag:GetResources", code="RequestLimitExceeded", times=2)
    report = invoke({"Type": "Timer"})
    assert report["ok"] is True and cloud.count(endpoint="tag:GetResources") == 3


def test_a_run_is_paced_at_the_set_rate(cloud, invoke):
    for n in range(6):
        cloud.add_bucket(f"b{n}-1250000000", REGION, tags={"ci-unbind": "true"}, ci_status="off")
    vt = VirtualTime()
    report = invoke({"buckets": [{"bucket": f"b{n}-1250000000", "region": REGION} for n in range(6)]},
                    env={"CI_UNBIND_MAX_RPS": "3", "CI_UNBIND_CONCURRENCY": "1"}, clock=vt.clock, sleep=vt.sleep)
    assert report["summary"] == {"not_bound": 6}
    # 12 requests at 3 a second: the last starts no earlier than 3 s after the first's window.
    assert len(cloud.calls) == 12 and vt.now >= 3.0
    assert pacing.current() is None  # the pacing ended with the run


def test_a_sleep_that_lets_no_time_pass_takes_no_place_early():
    # The clock moves a tenth of a second each time it is read; the sleep does nothing. The window
    # must still wait for the second to pass rather than take a place after a sleep that did not.
    ticks = iter(range(10**6))

    def clock():
        return next(ticks) / 10

    window = pacing.Window(1, clock, lambda _s: None)
    window.acquire()
    window.release()
    window.acquire()
    assert clock() >= 1.0


def test_end_to_end_runs_are_paced_under_the_tests_clock(cloud, invoke):
    # The default test invocation skips its sleeps on a clock that jumps over them: the run's
    # elapsed time is the paced one, though the test does not wait for it.
    for n in range(6):
        cloud.add_bucket(f"b{n}-1250000000", REGION, tags={"ci-unbind": "true"}, ci_status="off")
    started = time.monotonic()
    report = invoke({"buckets": [{"bucket": f"b{n}-1250000000", "region": REGION} for n in range(6)]},
                    env={"CI_UNBIND_MAX_RPS": "3", "CI_UNBIND_CONCURRENCY": "1"})
    assert report["summary"] == {"not_bound": 6} and len(cloud.calls) == 12
    assert report["elapsed_ms"] >= 3000 and time.monotonic() - started < 3.0


def test_a_run_that_ends_takes_only_its_own_pacing_away():
    # Two runs in one process (threads of a test): the first to end leaves the other one paced.
    first, second = pacing.Pacing(50), pacing.Pacing(50)
    pacing.begin(first)
    pacing.begin(second)
    try:
        pacing.end(second)
        assert pacing.current() is first
        pacing.end(second)  # twice is harmless
        assert pacing.current() is first
    finally:
        pacing.end(first)
    assert pacing.current() is None


@pytest.mark.parametrize("raw", ["0", "-1", "1001", "fifty", "5.5"])
def test_max_rps_must_be_a_whole_number_in_range(raw):
    with pytest.raises(SettingsError, match="CI_UNBIND_MAX_RPS"):
        load({"CI_UNBIND_MAX_RPS": raw})


def test_max_rps_defaults_to_50():
    assert load({}).max_rps == 50
