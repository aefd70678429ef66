"""Peak request rate of a sweep against CI_UNBIND_MAX_RPS (CI and COS) and the Tag API's 20/s.

    python bench/rate.py [--buckets 5000] [--max-rps 50] [--latency-ms 5] [--concurrency 8]

A timer sweep runs through `invocation.handle` (the production path: discovery, pacing, the pool, the
SDKs) against the fake cloud, with real time and real sleeps. The fake notes the monotonic time at
which each request reaches the HTTP layer; the figure is the most request starts in any one-second
window, per limit, printed beside its target. The recording is a list append per request, outside
the figure's own clock (the window is computed after the run).
"""

import argparse
import bisect
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import invocation  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.urls import ENDPOINTS  # noqa: E402
from lib.report import JsonLog  # noqa: E402

SECRET_ID, SECRET_KEY = "AKIDBENCHEXAMPLE", "bench-secret-key"


class TimedCloud(FakeCloud):
    """The fake, noting when each request arrives (service, monotonic time)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.arrivals: list[tuple[str, float]] = []

    def _on_request(self, prepared):
        host = prepared.url.split("/", 3)[2]
        self.arrivals.append(("tag" if host.endswith("tencentcloudapi.com") else "ci/cos", time.monotonic()))
        return super()._on_request(prepared)


def populate(cloud, n):
    # Mostly cheap buckets (a future date: one call), some not bound (two), one in twenty the full
    # path (tags, status, workflows, two batch-job lists, service lists).
    for i in range(n):
        kind = i % 20
        value = "2999-01-01" if kind < 15 else "true"
        b = cloud.add_bucket(f"r{i:05d}-1250000000", ("ap-guangzhou", "ap-shanghai", "ap-singapore")[i % 3],
                             tags={"ci-unbind": value}, ci_status="off" if kind in (15, 16, 17, 18) else "on")
        if kind == 19 and i % 40 == 19:
            b.add_workflow(name="wf", state="Active")


def peak(times: list[float]) -> int:
    """The most entries of sorted `times` inside any window [t, t + 1 s)."""
    best = 0
    for i, t in enumerate(times):
        best = max(best, bisect.bisect_left(times, t + 1.0, lo=i) - i)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=5000)
    parser.add_argument("--max-rps", type=int, default=50)
    parser.add_argument("--latency-ms", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    cloud = TimedCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with cloud:
        populate(cloud, args.buckets)
        if args.latency_ms:
            for endpoint in ENDPOINTS:
                cloud.inject(endpoint, latency=args.latency_ms / 1000.0, times=None)
        env = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
               "CI_UNBIND_CONCURRENCY": str(args.concurrency), "CI_UNBIND_MAX_PER_RUN": str(args.buckets),
               "CI_UNBIND_DRY_RUN": "true", "CI_UNBIND_MAX_RPS": str(args.max_rps)}
        started = time.monotonic()
        report = invocation.handle({"Type": "Timer", "TriggerName": "bench", "Time": "2026-11-29T00:00:00Z"},
                            {"request_id": "bench", "time_limit_in_ms": 86400000}, invocation.cold_start(env),
                            log=JsonLog(stream=io.StringIO()))
        elapsed = time.monotonic() - started

    cos = sorted(t for kind, t in cloud.arrivals if kind == "ci/cos")
    tag = sorted(t for kind, t in cloud.arrivals if kind == "tag")
    print(f"buckets {len(report['results'])}, ok {report['ok']}, summary {report['summary']}")
    print(f"elapsed {elapsed:.1f} s, concurrency {args.concurrency}, latency {args.latency_ms} ms per call")
    print()
    print("| limit | requests | mean rate (/s) | peak in any 1 s window | target |")
    print("|---|---|---|---|---|")
    for name, times, target in (("CI + COS (CI_UNBIND_MAX_RPS)", cos, args.max_rps),
                                ("tag:GetResources", tag, 20)):
        span = (times[-1] - times[0]) if len(times) > 1 else 0.0
        mean = len(times) / span if span else float("nan")
        print(f"| {name} | {len(times)} | {mean:.1f} | {peak(times)} | <= {target} |")


if __name__ == "__main__":
    main()
