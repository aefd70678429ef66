"""Digest cost: building the digest of a large run and cutting it to each robot's limit.

    python bench/notify.py [--buckets 100,2000,10000] [--runs 5]

The report is made before the clock starts; each figure is digest.build + robots.render (the
bisection that finds how many buckets fit), the median of --runs. Target: under 250 ms for a
2,000-bucket run, so the digest costs nothing next to the sweep it reports on. The numbers: bench/NOTIFY.md.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib.notify import digest, robots  # noqa: E402
from lib.notify.config import NotifySettings  # noqa: E402

TARGET_MS = 250.0
FORMATS = ("wecom", "dingtalk", "feishu", "slack", "json")


def report(n: int) -> dict:
    results = [{"bucket": f"bucket-{i:05d}-1250000000", "region": "ap-guangzhou", "outcome": "blocked", "calls": [],
                "reasons": [{"code": "workflow", "id": f"w{i:032x}", "name": f"transcode-{i}", "state": "Paused"},
                            {"code": "batch_job", "id": f"b{i:032x}", "name": "thumbs", "type": "Job",
                             "state": "Running"}]} for i in range(n)]
    return {"ok": True, "trigger": "timer", "dry_run": False, "run_id": "bench", "summary": {"blocked": n},
            "results": results}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", default="100,2000,10000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    settings = NotifySettings(url="https://hooks.example.com/x", format="json")
    print(f"python {sys.version.split()[0]}, median of {args.runs} runs; target < {TARGET_MS:.0f} ms at 2000 buckets")
    print("buckets  format    ms      listed  omitted")
    for n in (int(x) for x in args.buckets.split(",")):
        rep = report(n)
        for fmt in FORMATS:
            times, omitted = [], 0
            for _ in range(args.runs):
                start = time.perf_counter()
                _, omitted = robots.render(fmt, digest.build(rep, settings))
                times.append((time.perf_counter() - start) * 1000)
            ms = statistics.median(times)
            mark = "" if n != 2000 else ("  ok" if ms < TARGET_MS else "  OVER TARGET")
            print(f"{n:>7}  {fmt:<8} {ms:>7.1f}  {n - omitted:>6}  {omitted:>7}{mark}")


if __name__ == "__main__":
    main()
