"""Time to read a large manual event: `lib.triggers.parse` on N buckets (every tenth a duplicate).

    python bench/parse.py [--buckets 20000,200000] [--repeat 3]

The event is built before the clock starts; the figure is the best of `--repeat` parses, printed
beside the target: linear time, well inside the smallest useful time budget.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib.triggers import parse  # noqa: E402

# Linear time: the per-100,000 figure stays flat as the event grows, and 200,000 buckets take a
# small part of the 60 s margin a 900 s invocation keeps for its last unbind.
TARGET_S_PER_100K = 5.0


def event(n: int) -> dict:
    regions = ("ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-singapore")
    buckets = [{"bucket": f"bucket-{i // 10 * 10 if i % 10 == 9 else i:07d}-1250000000",
                "region": regions[i % 4] if i % 10 != 9 else regions[(i // 10 * 10) % 4]} for i in range(n)]
    return {"buckets": buckets}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", default="20000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"| buckets | unique | parse (best of {args.repeat}) | per 100,000 | target per 100,000 |")
    print("|---|---|---|---|---|")
    for n in (int(x) for x in args.buckets.split(",")):
        ev = event(n)
        best, trigger = float("inf"), None
        for _ in range(args.repeat):
            started = time.perf_counter()
            trigger = parse(ev)
            best = min(best, time.perf_counter() - started)
        print(f"| {n:,} | {len(trigger.buckets):,} | {best:.2f} s | {best / n * 100000:.2f} s | "
              f"<= {TARGET_S_PER_100K:.2f} s |")


if __name__ == "__main__":
    main()
