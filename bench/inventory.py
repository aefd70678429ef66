"""One `inventory` of N buckets on the fake cloud, measured, in a fresh process.

    python bench/inventory.py --buckets 5000 [--concurrency 16] [--latency-ms 20] [--max-rps N|default] [--json]

The fake runs in a child process of its own (lib/fakecloud/remote.py) and every call waits
`--latency-ms` there, as the sweeps of bench/sweep.py do; the population is the sweeps' mixed one.
The inventory runs as the command does (lib/ops/inventory.take), its SDKs signing every request.
The latency bound is the pool's calls x latency / concurrency, plus the GET Service pages (one after
another: each needs the marker of the one before) x latency.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from sweep import APPID, SECRET_ID, SECRET_KEY, StampingProcess, max_in_window, populate  # noqa: E402

from lib import invocation  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.calllog import CallLog  # noqa: E402


def measure(n: int, concurrency: int = 16, latency: float = 0.02, max_rps=None) -> dict:
    from lib.ops import inventory

    def build() -> FakeCloud:
        cloud = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, call_log=CallLog.counting())
        populate(cloud, n, "mixed")
        return cloud

    env = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY, "TENCENTCLOUD_APPID": APPID,
           "CI_UNBIND_CONCURRENCY": str(concurrency)}
    if max_rps is not None:
        env["CI_UNBIND_MAX_RPS"] = str(max_rps)
    settings = invocation.cold_start(env)
    transport = StampingProcess(build, latency)
    try:
        with transport:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            taken = inventory.take(settings)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        stats = transport.stats()
    finally:
        transport.close()
    if stats.get("fake_errors") or stats["unknown_requests"]:
        raise SystemExit(f"bench: the fake failed or was asked what it does not serve: "
                         f"{(stats.get('fake_errors') or stats['unknown_requests'])[:3]}")
    endpoints = stats["counts_by_endpoint"]
    calls = sum(endpoints.values())
    pages = endpoints.get("GET Service", 0)
    bound = (calls - pages) * latency / concurrency + pages * latency
    summary = taken.summary()
    writes = {ep: c for ep, c in endpoints.items() if not ep.startswith(("GET", "cam:"))}
    return {"buckets": n, "concurrency": concurrency, "latency_ms": latency * 1000, "max_rps": max_rps,
            "wall_s": round(wall, 2), "bound_s": round(bound, 2), "ratio": round(wall / bound, 3),
            "rate_bound_s": round(calls / max_rps, 2) if max_rps else None,
            "calls": calls, "calls_per_bucket": round(calls / n, 3), "product_cpu_s": round(cpu, 2),
            "max_1s_window": max_in_window(transport.stamps), "writes": writes,
            "summary": {k: summary[k] for k in ("buckets", "bound", "could_unbind", "blocked", "errors")},
            "endpoints": dict(sorted(endpoints.items()))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--max-rps", default="1000", help="CI_UNBIND_MAX_RPS ('default' leaves it unset: 50/s)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    max_rps = None if args.max_rps == "default" else int(args.max_rps)
    result = measure(args.buckets, args.concurrency, args.latency_ms / 1000.0, max_rps)
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
