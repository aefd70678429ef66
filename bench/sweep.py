"""One timer sweep on the fake cloud through the thin transport, measured; run in a fresh process.

    python bench/sweep.py --buckets 1000 [--population mixed|clean] [--live] [--concurrency 16]
                          [--latency-ms 20] [--cap N|default] [--max-rps N|default] [--json]

Every HTTP call sleeps `--latency-ms` in the transport (a real sleep, outside every lock: the
round trip to Tencent Cloud) before the fake answers it. The product runs as in the function:
`invocation.handle` on a timer event, its SDKs signing every request, the fake checking every signature.
The fake's own CPU is measured apart (the transport sums it per thread) and the call log keeps
counters only, so the harness weighs as little as it can on the figures. bench/run.py runs this
script once per configuration, so each peak RSS is that sweep's own.
"""

import argparse
import io
import json
import os
import resource
import sys
import time
from array import array
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import invocation  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.calllog import CallLog  # noqa: E402
from lib.fakecloud.transport import ThinTransport  # noqa: E402
from lib.report import JsonLog  # noqa: E402

SECRET_ID, SECRET_KEY = "AKIDBENCHEXAMPLE", "bench-secret-key"
APPID = "1250000000"
MIXED = ("clean", "workflow", "batch", "service", "protected", "not_requested", "not_bound")
REGIONS = ("ap-guangzhou", "ap-shanghai")
TAG_API_RPS = 20
TIMER = {"Type": "Timer", "TriggerName": "bench", "Time": "2026-11-28T00:00:00Z"}


def kind_of(i: int, population: str) -> str:
    return "clean" if population == "clean" else MIXED[i % len(MIXED)]


def populate(cloud: FakeCloud, n: int, population: str) -> dict:
    kinds = {}
    for i in range(n):
        kind = kind_of(i, population)
        name = f"b{i:05d}-{APPID}"
        tags = {"ci-unbind": "false" if kind == "not_requested" else "true"}
        if kind == "protected":
            tags["ci-unbind-protect"] = "1"
        b = cloud.add_bucket(name, REGIONS[i % len(REGIONS)], tags=tags,
                             ci_status="off" if kind == "not_bound" else "on")
        if kind == "workflow":
            b.add_workflow(name="wf", state="Active")
        elif kind == "batch":
            b.add_batch_job(type="Job", state="Running")
        elif kind == "service":
            b.enable_service("media")
        kinds[name] = kind
    return kinds


class StampingTransport(ThinTransport):
    """The thin transport, also noting when each CI and COS request leaves: what CI_UNBIND_MAX_RPS
    limits (the Tag API's discovery pages have their own limit, 20 a second)."""

    def __init__(self, cloud, latency):
        super().__init__(cloud, latency)
        self.stamps = array("d")

    def send(self, request):
        now = time.monotonic()
        if urlsplit(request.url).hostname.endswith(".myqcloud.com"):
            with self._lock:
                self.stamps.append(now)
        return super().send(request)


def max_in_window(stamps, window: float = 1.0) -> int:
    """The most requests sent in any `window` seconds (a sliding window, not calendar seconds)."""
    ordered = sorted(stamps)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def sweep(n, population="mixed", live=False, concurrency=16, latency=0.02, cap=None, max_rps=None) -> dict:
    setup_started = time.perf_counter()
    kinds = {}
    cloud = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY,
                      call_log=CallLog.counting(group=lambda bucket: kinds.get(bucket, "discovery")))
    kinds.update(populate(cloud, n, population))
    env = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
           "TENCENTCLOUD_APPID": APPID, "CI_UNBIND_CONCURRENCY": str(concurrency),
           "CI_UNBIND_DRY_RUN": "false" if live else "true"}
    if cap is not None:
        env["CI_UNBIND_MAX_PER_RUN"] = str(cap)
    if max_rps is not None:
        env["CI_UNBIND_MAX_RPS"] = str(max_rps)
    settings = invocation.cold_start(env)
    if not hasattr(settings, "credentials"):
        raise SystemExit(f"bench: settings refused: {settings}")
    setup = time.perf_counter() - setup_started

    transport = StampingTransport(cloud, latency)
    log = io.StringIO()
    with transport:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        report = invocation.handle(TIMER, {"request_id": "bench", "time_limit_in_ms": 900000}, settings,
                            log=JsonLog(stream=log))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if cloud.unknown_requests:
        raise SystemExit(f"bench: requests the fake does not serve: {cloud.unknown_requests[:3]}")
    if not report.get("ok") and report.get("error"):
        raise SystemExit(f"bench: the run failed: {report['error']}")

    by_group = cloud.log.by_group()
    per_kind = {}
    for kind in sorted(set(kinds.values())):
        count = sum(1 for k in kinds.values() if k == kind)
        endpoints = {ep: c for (g, ep), c in by_group.items() if g == kind}
        per_kind[kind] = {"buckets": count, "calls": sum(endpoints.values()) / count,
                          "by_endpoint": {ep: c / count for ep, c in sorted(endpoints.items())}}
    endpoints = cloud.log.counts_by_endpoint()
    discovery = endpoints.get("tag:GetResources", 0)
    calls = sum(endpoints.values())
    # The bound: the pool's calls spread over `concurrency` workers, plus the discovery pages,
    # which follow one another (each needs the token of the one before), at most 20 a second (the
    # Tag API's limit, which the product paces discovery under).
    bound = (calls - discovery) * latency / concurrency + discovery * max(latency, 1 / TAG_API_RPS)
    return {
        "buckets": n, "population": population, "live": live, "concurrency": concurrency,
        "latency_ms": latency * 1000, "cap": cap, "max_rps": max_rps,
        "wall_s": wall, "bound_s": bound, "ratio": wall / bound if bound else None,
        "calls": calls, "discovery_calls": discovery, "calls_per_bucket": calls / max(n, 1),
        "rate_bound_s": calls / max_rps if max_rps else None,
        "max_1s_window": max_in_window(transport.stamps),
        "cpu_s": cpu, "harness_cpu_s": transport.harness_cpu, "product_cpu_s": cpu - transport.harness_cpu,
        "setup_s": setup, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "report_bytes": len(json.dumps(report, ensure_ascii=False).encode("utf-8")),
        "log_bytes": len(log.getvalue().encode("utf-8")),
        "summary": report["summary"], "endpoints": dict(sorted(endpoints.items())), "per_kind": per_kind,
    }


def _optional_int(text):
    return None if text in (None, "default") else int(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--population", choices=("mixed", "clean"), default="mixed")
    parser.add_argument("--live", action="store_true", help="unbind (in the fake) instead of a dry run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--cap", default=None,
                        help="CI_UNBIND_MAX_PER_RUN; 'default' leaves the product's default (default: the bucket count)")
    parser.add_argument("--max-rps", default="default", help="CI_UNBIND_MAX_RPS; 'default' leaves it unset")
    parser.add_argument("--json", action="store_true", help="one JSON object (what bench/run.py reads)")
    args = parser.parse_args(argv)
    cap = args.buckets if args.cap is None else _optional_int(args.cap)
    result = sweep(args.buckets, args.population, args.live, args.concurrency, args.latency_ms / 1000.0,
                   cap=cap, max_rps=_optional_int(args.max_rps))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
