"""Invocations that run at the same time and share nothing but the cloud and the state bucket.

Each proof counts `PUT /?unbind` as the fake cloud saw it on the wire.
"""

import importlib.util
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from lib import run
from lib.buckets import BucketRef
from lib.cloud.clients import connect
from lib.settings import load
from lib.state.bucket import State
from lib.state.store import StateStore
from tests.conftest import BASE_ENV, CONTEXT, FAST_RETRY, REGION, ROOT, Invoker, load_event
from tests.state_helpers import PREFIX, STATE_BUCKET, STATE_ENV, add_state_bucket, clean_bucket, keys, record

BUCKET = "demo-clean-1250000000"  # the bucket of events/cos-put-bucket-tagging.json


def _context(i):
    return {**CONTEXT, "request_id": f"req-concurrent-{i:03d}"}


def _together(n, fn):
    """Run fn(i) for i in range(n) on n threads released at the same moment."""
    start = threading.Barrier(n)

    def one(i):
        start.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def _outcomes(reports, bucket):
    return sorted(r["outcome"] for rep in reports for r in rep["results"] if r["bucket"] == bucket)


@pytest.fixture
def tagged(cloud):
    add_state_bucket(cloud)
    clean_bucket(cloud, BUCKET)
    # The first unbind waits on the wire, so the other deliveries have read `on` before it lands:
    # without the lease each of them would send its own.
    cloud.inject("PUT /?unbind", latency=0.3, times=1)
    return cloud


def test_three_deliveries_of_one_event_on_threads_send_one_unbind(tagged):
    event = load_event("cos-put-bucket-tagging.json")
    invoke = Invoker({**STATE_ENV})
    reports = _together(3, lambda i: invoke(event, context=_context(i)))
    assert tagged.count("PUT /?unbind") == 1
    outcomes = _outcomes(reports, BUCKET)
    assert outcomes.count("unbound") == 1
    # The others found the lease held, or (when they came after its release) the status no longer `on`.
    assert set(outcomes) - {"unbound"} <= {"deferred", "unbinding"}
    for rep in reports:
        for r in rep["results"]:
            if r["outcome"] == "deferred":
                assert r["reasons"][0]["code"] == "lease_held"
                assert r["reasons"][0]["holder_run_id"].startswith("req-concurrent-")


def _load_copy(i, monkeypatch):
    """handler.py loaded afresh over its own copy of the lib package: module state, settings read at
    cold start and client caches are all its own, as in separate SCF containers."""
    lib_name, handler_name = f"lib_copy_{i}", f"handler_copy_{i}"
    spec = importlib.util.spec_from_file_location(lib_name, ROOT / "lib" / "__init__.py",
                                                  submodule_search_locations=[str(ROOT / "lib")])
    package = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, lib_name, package)  # its relative imports find it here
    spec.loader.exec_module(package)
    importlib.import_module(f"{lib_name}.invocation")
    real_lib = sys.modules["lib"]
    sys.modules["lib"] = package  # what `from lib import invocation` in handler.py binds to, while it loads
    try:
        hspec = importlib.util.spec_from_file_location(handler_name, ROOT / "handler.py")
        handler = importlib.util.module_from_spec(hspec)
        hspec.loader.exec_module(handler)
    finally:
        sys.modules["lib"] = real_lib
    monkeypatch.setitem(sys.modules, handler_name, handler)
    assert handler.invocation.runs is not run and handler.invocation.runs.__name__ == f"{lib_name}.run"
    return handler


def test_three_deliveries_to_separately_loaded_handlers_send_one_unbind(tagged, monkeypatch):
    for key, value in {**BASE_ENV, **STATE_ENV}.items():
        monkeypatch.setenv(key, value)
    handlers = [_load_copy(i, monkeypatch) for i in range(3)]
    assert len({id(h.invocation.runs.Budget) for h in handlers}) == 3
    event = load_event("cos-put-bucket-tagging.json")
    reports = _together(3, lambda i: handlers[i].main_handler(event, _context(i)))
    assert tagged.count("PUT /?unbind") == 1
    assert _outcomes(reports, BUCKET).count("unbound") == 1


@pytest.mark.slow
def test_ten_sweeps_over_100_buckets_with_a_daily_cap_of_five_send_five(cloud):
    add_state_bucket(cloud)
    names = [clean_bucket(cloud, f"clean-{i:03d}-1250000000") for i in range(100)]
    # Ten instances stand in one process here, where the request pacing is one for all (lib/cloud/pacing.py:
    # SCF runs one invocation at a time per instance). Fifty requests a second shared by ten sweeps
    # is not what ten instances get, so the rate is lifted: this test is about the daily cap.
    invoke = Invoker({**STATE_ENV, "CI_UNBIND_MAX_PER_DAY": "5", "CI_UNBIND_MAX_PER_RUN": "100",
                      "CI_UNBIND_MAX_RPS": "1000"})
    timer = load_event("timer.json")
    # The function's own time limit: on a loaded machine ten sweeps at once outlast a 60 s one.
    reports = _together(10, lambda i: invoke(timer, context={**_context(i), "time_limit_in_ms": 900000}))
    assert cloud.count("PUT /?unbind") == 5
    unbound = [r["bucket"] for rep in reports for r in rep["results"] if r["outcome"] == "unbound"]
    assert len(unbound) == len(set(unbound)) == 5 and set(unbound) <= set(names)
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    assert keys(cloud, "days/") == [f"days/{day}/slot-{k:06d}.json" for k in range(1, 6)]
    assert sorted(record(cloud, f"days/{day}/slot-{k:06d}.json")["bucket"] for k in range(1, 6)) == sorted(unbound)
    for rep in reports:
        assert rep["ok"] is True
        for r in rep["results"]:
            assert r["outcome"] in ("unbound", "deferred", "not_bound", "unbinding"), r
            if r["outcome"] == "deferred":
                assert r["reasons"][0]["code"] in ("max_per_day", "lease_held")


def test_a_killed_invocations_lease_is_taken_over_once_after_it_expires(cloud):
    add_state_bucket(cloud)
    clean_bucket(cloud, BUCKET)
    ref = BucketRef(REGION, BUCKET)
    settings = load({**BASE_ENV, **STATE_ENV})
    clients = connect(settings, retry=FAST_RETRY).clients
    taken = datetime.now(timezone.utc)
    # The killed invocation: it took the lease and never came back to release it.
    killed = State(StateStore(clients, STATE_BUCKET, REGION, PREFIX, FAST_RETRY), settings, "killed-run", 60.0,
                   lambda: taken)
    killed.claim_lease(ref)
    event = load_event("cos-put-bucket-tagging.json")

    # Before it expires (60 s limit + 60 s margin): every delivery defers to the killed run.
    early = Invoker({**STATE_ENV})
    reports = _together(3, lambda i: early(event, context=_context(i), now=lambda: taken + timedelta(seconds=100)))
    assert cloud.count("PUT /?unbind") == 0
    assert {r["reasons"][0]["holder_run_id"] for rep in reports for r in rep["results"]} == {"killed-run"}

    # After: three deliveries at once, one takes lease 2 over, one unbind is sent.
    later = Invoker({**STATE_ENV})
    reports = _together(3, lambda i: later(event, context=_context(10 + i),
                                           now=lambda: taken + timedelta(seconds=121)))
    assert cloud.count("PUT /?unbind") == 1
    assert _outcomes(reports, BUCKET).count("unbound") == 1
    leases = [record(cloud, key) for key in keys(cloud, "leases/")]
    assert [lease["number"] for lease in leases] == list(range(1, len(leases) + 1))
    # Lease 1 is the killed run's, untouched; lease 2 is the one take-over; any later lease was
    # taken only after the one before it was released (and its run found the bucket unbinding).
    assert leases[0]["run_id"] == "killed-run" and "released_at" not in leases[0]
    assert leases[1]["run_id"].startswith("req-concurrent-01")
    for before, after in zip(leases[1:], leases[2:]):
        assert before["released_at"] <= after["taken_at"]

