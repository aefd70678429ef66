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
from lib.fakecloud.remote import ProcessTransport  # noqa: E402
from lib.fakecloud.transport import ThinTransport  # noqa: E402
from lib.report import JsonLog  # noqa: E402

SECRET_ID, SECRET_KEY = "AKIDBENCHEXAMPLE", "bench-secret-key"
APPID = "1250000000"
MIXED = ("clean", "workflow", "batch", "service", "protected", "not_requested", "not_bound")
REGIONS = ("ap-guangzhou", "ap-shanghai")
TAG_API_RPS = 20
TIMER = {"Type": "Timer", "TriggerName": "bench", "Time": "2026-11-28T00:00:00Z"}


# "steady": the mixed kinds of an account whose earlier sweeps unbound all but a few clean buckets
# (they are unbound, still tagged); the few left fit under the default cap, so one sweep decides
# every bucket and the next one finds nothing changed.
STEADY_CLEAN = 19


def kind_of(i: int, population: str) -> str:
    if population == "clean":
        return "clean"
    kind = MIXED[i % len(MIXED)]
    if population == "steady" and kind == "clean" and i // len(MIXED) >= STEADY_CLEAN:
        return "not_bound"
    return kind


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


class _Stamping:
    """Notes when each CI and COS request leaves: what CI_UNBIND_MAX_RPS limits (the Tag API's
    discovery pages have their own limit, 20 a second)."""

    def on_send(self, request):
        now = time.monotonic()
        if urlsplit(request.url).hostname.endswith(".myqcloud.com"):
            with self._lock:
                self.stamps.append(now)


class StampingThin(_Stamping, ThinTransport):
    """The fake in the product's own process (the earlier harness; its CPU shares the product's lock)."""

    def __init__(self, build, latency):
        super().__init__(build(), latency)
        self.stamps = array("d")

    def send(self, request):
        self.on_send(request)
        return super().send(request)

    def stats(self) -> dict:
        log = self.cloud.log
        return {"harness_cpu_s": self.harness_cpu, "counts_by_endpoint": log.counts_by_endpoint(),
                "by_group": log.by_group(), "unknown_requests": list(self.cloud.unknown_requests),
                "peak_rss_mb": None}

    def close(self) -> None:
        self.stop()


class StampingProcess(_Stamping, ProcessTransport):
    """The fake in a child process of its own: its CPU runs beside the product's, as the cloud's does."""

    def __init__(self, build, latency):
        super().__init__(build, latency)
        self.stamps = array("d")


HARNESSES = {"process": StampingProcess, "thread": StampingThin}


def max_in_window(stamps, window: float = 1.0) -> int:
    """The most requests sent in any `window` seconds (a sliding window, not calendar seconds)."""
    ordered = sorted(stamps)
    best, lo = 0, 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def sweep(n, population="mixed", live=False, concurrency=16, latency=0.02, cap=None, max_rps=None,
          harness="process") -> dict:
    setup_started = time.perf_counter()
    kinds = {f"b{i:05d}-{APPID}": kind_of(i, population) for i in range(n)}

    def build() -> FakeCloud:
        cloud = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY,
                          call_log=CallLog.counting(group=lambda bucket: kinds.get(bucket, "discovery")))
        populate(cloud, n, population)
        return cloud

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

    transport = HARNESSES[harness](build, latency)
    setup = time.perf_counter() - setup_started
    log = io.StringIO()
    try:
        with transport:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            report = invocation.handle(TIMER, {"request_id": "bench", "time_limit_in_ms": 900000}, settings,
                                       log=JsonLog(stream=log))
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        stats = transport.stats()
    finally:
        transport.close()
    if stats.get("fake_errors"):
        raise SystemExit(f"bench: the fake failed, so this run does not count: {stats['fake_errors'][:3]}")
    if stats["unknown_requests"]:
        raise SystemExit(f"bench: requests the fake does not serve: {stats['unknown_requests'][:3]}")
    if not report.get("ok") and report.get("error"):
        raise SystemExit(f"bench: the run failed: {report['error']}")

    by_group = stats["by_group"]
    per_kind = {}
    for kind in sorted(set(kinds.values())):
        count = sum(1 for k in kinds.values() if k == kind)
        endpoints = {ep: c for (g, ep), c in by_group.items() if g == kind}
        per_kind[kind] = {"buckets": count, "calls": sum(endpoints.values()) / count,
                          "by_endpoint": {ep: c / count for ep, c in sorted(endpoints.items())}}
    endpoints = stats["counts_by_endpoint"]
    discovery = endpoints.get("tag:GetResources", 0)
    calls = sum(endpoints.values())
    # The bound: the pool's calls spread over `concurrency` workers, plus the discovery pages,
    # which follow one another (each needs the token of the one before), at most 20 a second (the
    # Tag API's limit, which the product paces discovery under).
    bound = (calls - discovery) * latency / concurrency + discovery * max(latency, 1 / TAG_API_RPS)
    harness_cpu = stats["harness_cpu_s"]
    # On the thin transport the fake's CPU is inside the product's process; in its own process it
    # is not, and the product's process spends only the exchange (transport_cpu) on it.
    in_process = harness == "thread"
    transport_cpu = 0.0 if in_process else transport.transport_cpu
    product_cpu = cpu - (harness_cpu if in_process else transport_cpu)
    return {
        "buckets": n, "population": population, "live": live, "concurrency": concurrency,
        "latency_ms": latency * 1000, "cap": cap, "max_rps": max_rps, "harness": harness,
        "wall_s": wall, "bound_s": bound, "ratio": wall / bound if bound else None,
        "calls": calls, "discovery_calls": discovery, "calls_per_bucket": calls / max(n, 1),
        "rate_bound_s": calls / max_rps if max_rps else None,
        "max_1s_window": max_in_window(transport.stamps),
        "cpu_s": cpu, "harness_cpu_s": harness_cpu, "transport_cpu_s": transport_cpu,
        "product_cpu_s": product_cpu, "process_cpu_s": cpu,
        "setup_s": setup, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "fake_peak_rss_mb": stats["peak_rss_mb"],
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
    parser.add_argument("--harness", choices=sorted(HARNESSES), default="process",
                        help="where the fake cloud runs: its own process (default) or the product's (thread)")
    parser.add_argument("--json", action="store_true", help="one JSON object (what bench/run.py reads)")
    args = parser.parse_args(argv)
    cap = args.buckets if args.cap is None else _optional_int(args.cap)
    result = sweep(args.buckets, args.population, args.live, args.concurrency, args.latency_ms / 1000.0,
                   cap=cap, max_rps=_optional_int(args.max_rps), harness=args.harness)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
