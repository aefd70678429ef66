"""Many accounts: the same buckets swept by one invocation, and fanned out over asynchronous SCF
invocations (the fake SCF runs each shard on its own worker), with a real delay on every call.

    python bench/fanout.py [--accounts 50] [--buckets 200] [--latency-ms 20] [--shard-size 200]
                           [--max-invocations 20] [--max-per-day N]

Every HTTP call (CI, COS, Tag, STS, SCF) waits `--latency-ms` in the fake, outside its lock. The
buckets are unbound in the fake (live), a mix of clean and blocked ones. Building the accounts is
outside the timings; the fan-out's wall time runs from the timer event until the last shard ends.
All invocations share this process and its cores, where SCF would give each its own: the report
also times one shard alone, and what the fan-out would take if every shard ran that fast.
"""

import argparse
import io
import math
import os
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib import invocation
from lib.cloud import sts as roles  # noqa: E402
from lib.fakecloud import FakeCloud  # noqa: E402
from lib.fakecloud.urls import ENDPOINTS  # noqa: E402
from lib.report import JsonLog  # noqa: E402

SECRET_ID, SECRET_KEY = "AKIDBENCHEXAMPLE", "bench-secret-key"
CENTRAL_UIN, REGION = "100000000001", "ap-guangzhou"
STATE_BUCKET = "unbinder-state-1250000000"
TIMER = {"Type": "Timer", "TriggerName": "bench", "Time": "2026-11-29T00:00:00Z"}
CONTEXT = {"request_id": "bench-coordinator", "time_limit_in_ms": 900000, "function_name": "cos-ci-unbinder",
           "namespace": "default", "function_version": "$LATEST", "tencentcloud_region": REGION}


def build(accounts: int, per_account: int, latency: float):
    """A fake organisation: `accounts` members, each with `per_account` tagged buckets (1 in 5 blocked)."""
    cloud = FakeCloud(secret_id=SECRET_ID, secret_key=SECRET_KEY, uin=CENTRAL_UIN, scf_concurrency=64)
    arns = []
    for n in range(accounts):
        appid = str(1250100000 + n)
        member = cloud.add_account(str(100000100000 + n), appid)
        for i in range(per_account):
            bucket = member.add_bucket(f"b{i:04d}-{appid}", REGION, tags={"ci-unbind": "true"})
            if i % 5 == 4:
                bucket.add_workflow(name="wf", state="Active")
        arns.append(cloud.sts.add_role(member, "CosCiUnbinderMember", [CENTRAL_UIN]).arn)
    # The central account's state bucket, for --max-per-day (never tagged, never bound).
    cloud.add_bucket(STATE_BUCKET, REGION, ci_status="off")
    if latency:
        for endpoint in ENDPOINTS:
            cloud.inject(endpoint, latency=latency, times=None)
    return cloud, arns


def environment(arns, fanout: bool, args) -> dict:
    env = {"TENCENTCLOUD_SECRETID": SECRET_ID, "TENCENTCLOUD_SECRETKEY": SECRET_KEY, "CI_UNBIND_DRY_RUN": "false",
           "CI_UNBIND_ACCOUNTS": ",".join(arns), "CI_UNBIND_FANOUT": "on" if fanout else "off",
           "CI_UNBIND_SHARD_SIZE": str(args.shard_size), "CI_UNBIND_MAX_INVOCATIONS": str(args.max_invocations),
           "CI_UNBIND_MAX_PER_RUN": "10000",
           # Pacing is per invocation, kept as module state because SCF runs one invocation per
           # instance; here every shard shares one process, so one shard's window would pace them
           # all. Lifted for both runs alike: the figures compare the work, not the pacing.
           "CI_UNBIND_MAX_RPS": "1000"}
    if args.max_per_day is not None:
        env.update({"CI_UNBIND_MAX_PER_DAY": str(args.max_per_day), "CI_UNBIND_STATE_BUCKET": STATE_BUCKET,
                    "CI_UNBIND_STATE_REGION": REGION})
    return env


def count(reports) -> Counter:
    return Counter(r["outcome"] for rep in reports for r in rep["results"])


def single(args, latency):
    cloud, arns = build(args.accounts, args.buckets, latency)
    roles.CACHE.clear()
    with cloud:
        settings = invocation.cold_start(environment(arns, False, args))
        started = time.perf_counter()
        report = invocation.handle(TIMER, dict(CONTEXT), settings, log=JsonLog(stream=io.StringIO()))
        elapsed = time.perf_counter() - started
        return {"elapsed": elapsed, "invocations": 1, "calls": len(cloud.calls), "outcomes": count([report]),
                "endpoints": Counter(c.endpoint for c in cloud.calls), "unbinds": cloud.count(endpoint="PUT /?unbind")}


def fanout(args, latency, accounts=None, per_account=None):
    cloud, arns = build(accounts or args.accounts, per_account or args.buckets, latency)
    roles.CACHE.clear()
    with cloud:
        settings = invocation.cold_start(environment(arns, True, args))
        log = JsonLog(stream=io.StringIO())
        cloud.scf.deploy("cos-ci-unbinder", lambda event, context: invocation.handle(event, context, settings, log=log),
                         cloud.account, time_limit=900, region=REGION)
        started = time.perf_counter()
        report = invocation.handle(TIMER, dict(CONTEXT), settings, log=log)
        coordinator = time.perf_counter() - started
        cloud.scf.drain()
        elapsed = time.perf_counter() - started
        invocations = list(cloud.scf.invocations.values())
        durations = [inv.ended - inv.started for inv in invocations]
        return {"elapsed": elapsed, "coordinator": coordinator, "invocations": 1 + len(invocations),
                "shards": len(report["fanout"]["shards"]), "peak": cloud.scf.peak_running,
                "calls": len(cloud.calls), "outcomes": count(inv.result for inv in invocations),
                "endpoints": Counter(c.endpoint for c in cloud.calls), "durations": durations,
                "unbinds": cloud.count(endpoint="PUT /?unbind"), "ok": report["ok"],
                "status_calls": report["fanout"]["status_calls"],
                "max_per_day": sum(1 for inv in invocations for r in inv.result["results"]
                                   if r["reasons"] and r["reasons"][0].get("code") == "max_per_day"),
                "slots": len([k for k in cloud.objects.keys(STATE_BUCKET, "") if "slot-" in k]),
                "failed": sum(1 for inv in invocations if inv.status != "FINISHED")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--buckets", type=int, default=200, help="tagged buckets per account")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--shard-size", type=int, default=200)
    parser.add_argument("--max-invocations", type=int, default=20)
    parser.add_argument("--max-per-day", type=int, help="CI_UNBIND_MAX_PER_DAY (needs the state bucket)")
    parser.add_argument("--skip-single", action="store_true")
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000.0
    total = args.accounts * args.buckets
    print(f"{args.accounts} accounts x {args.buckets} tagged buckets = {total}, {args.latency_ms:g} ms per call, "
          f"live; shards of {args.shard_size}, at most {args.max_invocations} running\n")

    print("| run | wall time (s) | invocations | HTTP calls | PUT /?unbind | outcomes |")
    print("|---|---|---|---|---|---|", flush=True)

    def row(name, r):
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
        print(f"| {name} | {r['elapsed']:.1f} | {r['invocations']} | {r['calls']} | {r['unbinds']} | {outcomes} |",
              flush=True)

    if not args.skip_single:
        row("one invocation", single(args, latency))
    fan = fanout(args, latency)
    row("fan-out", fan)
    alone = fanout(args, latency, accounts=1, per_account=args.shard_size)
    one_shard = max(alone["durations"])
    waves = math.ceil(fan["shards"] / args.max_invocations)
    print(f"\nfan-out: coordinator {fan['coordinator']:.1f} s until its last shard was started; {fan['shards']} shards, "
          f"at most {fan['peak']} running at once (limit {args.max_invocations}); {fan['status_calls']} status calls; "
          f"{fan['failed']} shards failed; coordinator ok: {fan['ok']}")
    d = sorted(fan["durations"])
    print(f"shard durations here (sharing this machine's cores): median {d[len(d) // 2]:.1f} s, max {d[-1]:.1f} s")
    print(f"one {args.shard_size}-bucket shard alone: {one_shard:.1f} s; with its own instance per shard, as on SCF, "
          f"{fan['shards']} shards in {waves} waves of {args.max_invocations} take about {waves * one_shard:.1f} s "
          f"after the coordinator's discovery")
    print("\nHTTP calls by endpoint (fan-out):\n")
    for endpoint, n in sorted(fan["endpoints"].items()):
        print(f"- `{endpoint}`: {n}")
    if args.max_per_day is not None:
        print(f"\ndaily cap {args.max_per_day}: unbound across all shards {fan['outcomes'].get('unbound', 0)}, "
              f"PUT /?unbind sent {fan['unbinds']}, deferred max_per_day {fan['max_per_day']}, "
              f"slots in the state bucket {fan['slots']}")


if __name__ == "__main__":
    main()
