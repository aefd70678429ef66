"""Sweep throughput and calls per bucket, on the fake cloud with a real delay on every call.

    python bench/sweep.py [--buckets 500] [--latency-ms 20] [--concurrency 1,4,8,16]

Each HTTP call waits `--latency-ms` (a real sleep in the fake, outside its lock), standing in for
the round trip to Tencent Cloud; everything else (signing, the SDKs, XML parsing, the pool) is the
production path. Prints a Markdown table; bench/RESULTS.md keeps the numbers measured.
"""

import argparse
import io
import os
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import run  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.urls import ENDPOINTS  # noqa: E402
from lib.report import JsonLog  # noqa: E402

SECRET_ID, SECRET_KEY = "AKIDBENCHEXAMPLE", "bench-secret-key"
KINDS = ("clean", "workflow", "batch", "service", "protected", "not_requested", "not_bound")


def populate(cloud, n):
    kinds = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        name = f"b{i:05d}-1250000000"
        tags = {"ci-unbind": "false" if kind == "not_requested" else "true"}
        if kind == "protected":
            tags["ci-unbind-protect"] = "1"
        b = cloud.add_bucket(name, ("ap-guangzhou", "ap-shanghai")[i % 2], tags=tags,
                             ci_status="off" if kind == "not_bound" else "on")
        if kind == "workflow":
            b.add_workflow(name="wf", state="Active")
        elif kind == "batch":
            b.add_batch_job(type="Job", state="Running")
        elif kind == "service":
            b.enable_service("media")
        kinds[name] = kind
    return kinds


def sweep(n, latency, concurrency, dry_run=True):
    cloud = FakeCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY)
    with cloud:
        kinds = populate(cloud, n)
        if latency:
            for endpoint in ENDPOINTS:
                cloud.inject(endpoint, latency=latency, times=None)
        # TENCENTCLOUD_APPID as SCF injects it, so no CAM GetUserAppId call joins the figures.
        env = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY,
               "TENCENTCLOUD_APPID": cloud.appid, "CI_UNBIND_CONCURRENCY": str(concurrency), "CI_UNBIND_MAX_PER_RUN": str(n),
               "CI_UNBIND_DRY_RUN": "true" if dry_run else "false"}
        started = time.perf_counter()
        report = run.handle({"Type": "Timer", "TriggerName": "bench", "Time": "2026-11-28T00:00:00Z"},
                            {"request_id": "bench", "time_limit_in_ms": 900000}, run.cold_start(env),
                            log=JsonLog(stream=io.StringIO()))
        elapsed = time.perf_counter() - started
        per_kind = defaultdict(list)
        for result in report["results"]:
            own = [c for c in result["calls"] if not c.get("shared")]
            per_kind[kinds[result["bucket"]]].append(len(own))
        return {
            "elapsed": elapsed,
            "summary": report["summary"],
            "calls": len(cloud.calls),
            "endpoints": Counter(c.endpoint for c in cloud.calls),
            "per_kind": {k: sum(v) / len(v) for k, v in per_kind.items()},
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--live", action="store_true", help="unbind (in the fake) instead of a dry run")
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000.0
    print(f"{args.buckets} buckets, {args.latency_ms:g} ms per call, {'live' if args.live else 'dry run'}\n")
    print("| concurrency | wall time (s) | buckets/s | HTTP calls | calls/bucket |")
    print("|---|---|---|---|---|")
    last = None
    for c in [int(x) for x in args.concurrency.split(",")]:
        last = sweep(args.buckets, latency, c, dry_run=not args.live)
        print(f"| {c} | {last['elapsed']:.2f} | {args.buckets / last['elapsed']:.1f} | {last['calls']} "
              f"| {last['calls'] / max(args.buckets, 1):.2f} |")
    print("\nCalls per bucket by kind (its own calls; the service lists, asked once per 100 buckets of a region, are apart):\n")
    print("| kind | calls |")
    print("|---|---|")
    for kind in KINDS:
        if kind in last["per_kind"]:
            print(f"| {kind} | {last['per_kind'][kind]:.2f} |")
    print("\nHTTP calls by endpoint (last run):\n")
    for endpoint, count in sorted(last["endpoints"].items()):
        print(f"- `{endpoint}`: {count}")
    print(f"\nsummary: {last['summary']}")


if __name__ == "__main__":
    main()
