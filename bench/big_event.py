"""A manual event far larger than one invocation can decide, in the production profile: a state
bucket, a chat robot, the default rate (50/s) and cap (20), a 60 s time limit.

    python bench/big_event.py [--buckets 200000] [--time-limit 60] [--latency-ms 20] [--json]

Target: the handler returns within its time limit, measured from its call (wall), with the
product's process under 256 MB peak RSS. The fake answers from a process of its own (the round
trip is its sleep), so neither its CPU nor its memory is in the figures.
"""

import argparse
import io
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sweep import APPID, SECRET_ID, SECRET_KEY, StampingProcess, max_in_window, populate  # noqa: E402

from lib import invocation  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.calllog import CallLog  # noqa: E402
from lib.report import JsonLog  # noqa: E402,F401

STATE_BUCKET = f"unbinder-state-{APPID}"
ROBOT_KEY = "bench-robot-key-0001"
RSS_TARGET_MB = 256


def production_env(**extra) -> dict:
    """What a deployment turns on: a state bucket and a robot; rate and cap left at their defaults."""
    from lib.fakecloud.robot_models import HOSTS

    return {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY, "TENCENTCLOUD_APPID": APPID,
            "CI_UNBIND_DRY_RUN": "false", "CI_UNBIND_STATE_BUCKET": STATE_BUCKET,
            "CI_UNBIND_STATE_REGION": "ap-guangzhou",
            "CI_UNBIND_NOTIFY_URL": f"https://{HOSTS['wecom']}/cgi-bin/webhook/send?key={ROBOT_KEY}", **extra}


def build_cloud(n: int, population: str = "mixed") -> FakeCloud:
    cloud = FakeCloud(appid=APPID, secret_id=SECRET_ID, secret_key=SECRET_KEY, call_log=CallLog.counting())
    populate(cloud, n, population)
    cloud.add_bucket(STATE_BUCKET, "ap-guangzhou", ci_status="off")
    cloud.add_robot("wecom", key=ROBOT_KEY)
    return cloud


class _Counting(io.TextIOBase):
    """The log's bytes counted, not kept: in SCF the lines go to the platform, not the process."""

    def __init__(self):
        self.bytes = 0

    def write(self, text):
        self.bytes += len(text.encode("utf-8"))
        return len(text)


def run(n: int, limit_s: float, latency: float) -> dict:
    event = {"buckets": [{"bucket": f"b{i:05d}-{APPID}", "region": ("ap-guangzhou", "ap-shanghai")[i % 2]}
                         for i in range(n)]}
    settings = invocation.cold_start(production_env())
    transport = StampingProcess(lambda: build_cloud(n), latency)
    log = _Counting()
    try:
        with transport:
            wall0 = time.perf_counter()
            report = invocation.handle(event, {"request_id": "bench-big", "time_limit_in_ms": int(limit_s * 1000)},
                                       settings, log=JsonLog(stream=log))
            wall = time.perf_counter() - wall0
            # Before the harness weighs the report (its JSON alone is tens of megabytes).
            peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        stats = transport.stats()
    finally:
        transport.close()
    if stats.get("fake_errors") or stats["unknown_requests"]:
        raise SystemExit(f"bench: the fake failed or was asked what it does not serve: {stats}")
    endpoints = stats["counts_by_endpoint"]
    return {"buckets": n, "time_limit_s": limit_s, "wall_s": wall, "elapsed_ms": report.get("elapsed_ms"),
            "peak_rss_mb": peak_rss_mb, "rss_target_mb": RSS_TARGET_MB,
            "ok": report["ok"], "summary": report["summary"], "notify": report.get("notify"),
            "state_failures": report.get("state", {}).get("failures"),
            "state_writes": sum(c for ep, c in endpoints.items() if ep == "PUT Object"),
            "max_1s_window": max_in_window(transport.stamps), "report_bytes": len(json.dumps(report)), "log_bytes": log.bytes}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buckets", type=int, default=200000)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.buckets, args.time_limit, args.latency_ms / 1000.0)
    if args.json:
        print(json.dumps(result))
        return
    print(f"wall {result['wall_s']:.1f} s (target < {args.time_limit:.0f} s), "
          f"peak RSS {result['peak_rss_mb']:.0f} MB (target < {RSS_TARGET_MB} MB)")
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
